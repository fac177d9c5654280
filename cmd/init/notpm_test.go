//go:build verinit_notpm

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/status"
)

// TestMeasureNotBuilt: an init built without TPM support says the boot is
// not measured, and refuses it when the policy requires a TPM.
func TestMeasureNotBuilt(t *testing.T) {
	newBoot := func(line string, console *strings.Builder) *boot {
		start := time.Now()
		b := &boot{cfg: parse(t, line), log: klog.New(nil, console, "verinit", start), tl: status.NewTimeline(start, time.Now)}
		b.tl.Begin("mount-root")
		return b
	}
	var console strings.Builder
	b := newBoot("root=/dev/vda2", &console)
	if err := b.measure(); err != nil {
		t.Fatalf("measure: %v", err)
	}
	if b.st.TPM == nil || b.st.TPM.State != "not built" {
		t.Errorf("status tpm %+v, want state \"not built\"", b.st.TPM)
	}
	if want := "this init was built without TPM support: the boot is not measured"; !strings.Contains(console.String(), want) {
		t.Errorf("log %q lacks %q", console.String(), want)
	}
	b.capTPM() // nothing to cap with: no device is opened

	b = newBoot("root=/dev/vda2 verinit.tpm=required", &console)
	err := b.measure()
	if want := "tpm: this init was built without TPM support (build tag verinit_notpm): the policy requires a TPM to measure the boot into"; err == nil || err.Error() != want {
		t.Errorf("measure under tpm=required: %v, want %q", err, want)
	}
}
