//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestLeanInit boots an init built without its optional parts (-tags
// verinit_nolvm,verinit_notpm,verinit_nosig) under verity=required: a
// slot of the signed A/B disk boots verified by the root hash on the
// command line alone, and what needs a dropped part is refused, saying
// which tag dropped it.
func TestLeanInit(t *testing.T) {
	a, s, l := shared.ab(t).a, shared.sig(t), shared.lvm(t)
	initrd := shared.lean(t).initrd
	t.Run("slot A boots, verified, unsigned, unmeasured", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, initrd, []string{"ab-sig"}, "roothash="+a.rootHash)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		if !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot A\n") {
			t.Errorf("the real init is not slot A's")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[start \+\d+ms\] verinit \S+ \(built with -tags `+leanTags+`\), PID 1$`)
		vmtest.WantLine(t, r.Console, `verinit: \[measure \+\d+ms\] this init was built without TPM support: the boot is not measured \(\d+ms\)$`)
		for path, want := range map[string]any{"policy.verity": "required", "policy.signature": "optional", "signature": nil,
			"verity.root_hash": a.rootHash, "tpm.state": "not built"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
		vmtest.WantStages(t, r.Status, "mount", "config", "modules", "device", "discovery", "verity", "root-hash", "mount-root", "measure", "switch")
	})
	for _, tc := range []struct {
		name, cmdline, line string
		disks               []string
	}{
		{"a verity hash tree on an LV", "roothash=" + l.rootHashB + " systemd.verity_root_data=/dev/mapper/vg--ab-root--b systemd.verity_root_hash=LVM=vg-ab/root-b-hash",
			`verinit: \[device \+\d+ms\] verity /dev/mapper/vg--ab-root--b: this init was built without LVM support \(build tag verinit_nolvm\)$`, []string{"lvm-ab"}},
		{"a TPM required", "roothash=" + a.rootHash + " verinit.tpm=required",
			`verinit: \[measure \+\d+ms\] tpm: this init was built without TPM support \(build tag verinit_notpm\): the policy requires a TPM to measure the boot into$`,
			[]string{"ab-sig"}},
		{"a signature on the command line", "roothash=" + a.rootHash + " verinit.roothashsig=base64:" + s.aByTrusted,
			`verinit: \[verity \+\d+ms\] verity: verinit.roothashsig: this init was built without signature support \(build tag verinit_nosig\)$`,
			[]string{"ab-sig"}},
		{"a signature required", "roothash=" + a.rootHash + " verinit.signature=required",
			`verinit: \[verity \+\d+ms\] verity: this init was built without signature support \(build tag verinit_nosig\): the policy requires a signed root hash$`,
			[]string{"ab-sig"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootWith(t, initrd, tc.disks, tc.cmdline+" verinit.failure_delay=0")
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			vmtest.WantLine(t, r.Console, tc.line)
		})
	}
}
