//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestLeanInit boots an init built without its optional parts (-tags
// verinit_nolvm,verinit_notpm): a signed A/B root boots as with the full
// init, and what needs a dropped part is refused, saying which tag
// dropped it.
func TestLeanInit(t *testing.T) {
	a := shared.ab(t).a
	lean := shared.lean(t)
	t.Run("signed slot A boots, unmeasured", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, lean.initrdSigned, []string{"ab-sig"}, "roothash="+a.rootHash)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		if !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot A\n") {
			t.Errorf("the real init is not slot A's")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[start \+\d+ms\] verinit \S+ \(built with -tags `+leanTags+`\), PID 1$`)
		vmtest.WantLine(t, r.Console, `verinit: \[measure \+\d+ms\] this init was built without TPM support: the boot is not measured \(\d+ms\)$`)
		for path, want := range map[string]any{"signature.subject": "CN=verinit test trusted", "policy.signature": "required",
			"verity.root_hash": a.rootHash, "tpm.state": "not built"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
		vmtest.WantStages(t, r.Status, "mount", "config", "modules", "device", "discovery", "verity", "root-hash", "mount-root", "measure", "switch")
	})
	for _, tc := range []struct {
		name, initrd, cmdline, line string
		disks                       []string
	}{
		{"a root on an LV", lean.initrd, "root=/dev/vg-ab/root-a", `verinit: \[device \+\d+ms\] root /dev/vg-ab/root-a: this init was built without LVM support \(build tag verinit_nolvm\)$`,
			[]string{"lvm-ab"}},
		{"a policy requiring a TPM", lean.initrdSigned, "roothash=" + a.rootHash + " verinit.tpm=required",
			`verinit: \[measure \+\d+ms\] tpm: this init was built without TPM support \(build tag verinit_notpm\): the policy requires a TPM to measure the boot into$`,
			[]string{"ab-sig"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootWith(t, tc.initrd, tc.disks, tc.cmdline+" verinit.failure_delay=0")
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			vmtest.WantLine(t, r.Console, tc.line)
		})
	}
}
