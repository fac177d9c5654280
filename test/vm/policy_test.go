//go:build vm

package vm

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestPolicy boots with packed policies and command lines an attacker
// could write: nothing lax may let unverified bytes reach the real init,
// and the console names what was refused.
func TestPolicy(t *testing.T) {
	signed := `refused by the policy \(packed\) verity=required signature=required`
	refusedKey := func(kv string) string {
		return `verinit: \[config \+\d+ms\] (kernel command line: )?` + regexp.QuoteMeta(kv) + `: ` + signed + `: .+$`
	}
	slotA := shared.corrupt(t).disk.Slots[0]
	blobA := slotA.Cmdline + " verinit.roothashsig=base64:" + shared.policy(t).blobASig + " verinit.failure_delay=0"

	// Slot A of the blob disk, its data changed after it was signed:
	// tree, root hash and signature are genuine, and the changed block
	// is read only by the real system. Each lax option on the command
	// line must be refused before anything is mounted.
	t.Run("changed after signing", func(t *testing.T) {
		for _, tc := range []struct{ name, extra, refused string }{
			{"verinit ignore on corruption", "verinit.verity_on_corruption=ignore", "verinit.verity_on_corruption=ignore"},
			{"systemd ignore-corruption", "systemd.verity_root_options=ignore-corruption", "systemd.verity_root_options=ignore-corruption"},
			{"check-at-most-once", "systemd.verity_root_options=check-at-most-once", "systemd.verity_root_options=check-at-most-once"},
			{"a shell on failure", "verinit.on_failure=shell", "verinit.on_failure=shell"},
			{"the initramfs as an overlay root", "rootfstype=overlay rootflags=lowerdir=/ init=/init", "rootfstype=overlay"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"blob-a-flip"}, blobA+" "+tc.extra+" verinit_test.read="+blobPath)
				if r.Reached {
					t.Errorf("the real init was reached")
				}
				vmtest.WantLine(t, r.Console, refusedKey(tc.refused))
				vmtest.WantLine(t, r.Console, `verinit: \[failure \+\d+ms\] rebooting in 0s$`)
				if strings.Contains(r.Console, "starting /bin/sh") {
					t.Errorf("a shell was started")
				}
			})
		}
		t.Run("without them the kernel restarts when the changed block is read", func(t *testing.T) {
			t.Parallel()
			r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"blob-a-flip"}, blobA+" verinit_test.read="+blobPath)
			if !r.Reached {
				t.Fatalf("the real init was not reached")
			}
			vmtest.WantLine(t, r.Console, `^.*device-mapper: verity: 25\d:\d+: data block \d+ is corrupted$`)
			vmtest.WantLine(t, r.Console, `^.*reboot: Restarting system with command 'dm-verity device corrupted'$`)
			if strings.Contains(r.Console, vmtest.MarkerRead+" ok") {
				t.Errorf("the real system read the changed block")
			}
		})
	})
	t.Run("the untouched root boots", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"blob"}, blobA+" verinit_test.read="+blobPath)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		vmtest.WantLine(t, r.Console, regexp.QuoteMeta(vmtest.MarkerRead)+` ok sha256=`+shared.corrupt(t).sumGood+`$`)
		for path, want := range map[string]any{"signature.subject": "CN=verinit test trusted", "policy.signature": "required"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	})
	// The real init reads the command line too: under cmdline-keys=,
	// a word the initramfs does not list refuses the boot before
	// anything is mounted, and the listed ones boot.
	t.Run("cmdline-keys", func(t *testing.T) {
		listed := `refused by the policy \(packed\) verity=required signature=required cmdline-keys="` + regexp.QuoteMeta(cmdlineKeysListed) + `": `
		unlisted := "the real init reads the command line too; only the words the initramfs lists in cmdline-keys= may reach it$"
		for _, tc := range []struct{ name, extra, refused, why string }{
			{"a shell as init", "init=/bin/sh", "init=/bin/sh", unlisted},
			{"systemd's debug shell", "systemd.debug_shell", "systemd.debug_shell", unlisted},
			{"an argument of the real init", "-- emergency", "-- emergency", unlisted},
			// One word to the kernel (rauc.slot=, the init's own),
			// three to systemd, which groups single quotes too.
			{"a word systemd splits apart", `rauc.slot='"' systemd.debug_shell '"'`, "a single quote (')",
				"systemd groups words in single quotes, the kernel does not, so the real init would split the command line into words this check never saw$"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, shared.policy(t).initrdListed, []string{"blob"}, blobA+" verinit_test.read="+blobPath+" "+tc.extra)
				if r.Reached {
					t.Errorf("the real init was reached")
				}
				vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] (kernel command line: )?`+regexp.QuoteMeta(tc.refused)+`: `+listed+tc.why)
				vmtest.WantLine(t, r.Console, `verinit: \[failure \+\d+ms\] rebooting in 0s$`)
			})
		}
		t.Run("the listed words boot", func(t *testing.T) {
			t.Parallel()
			r := shared.bootWith(t, shared.policy(t).initrdListed, []string{"blob"}, blobA+" verinit_test.read="+blobPath+" quiet init=/sbin/init")
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			vmtest.WantLine(t, r.Console, regexp.QuoteMeta(vmtest.MarkerRead)+` ok sha256=`+shared.corrupt(t).sumGood+`$`)
			got := vmtest.Field(r.Status, "policy", "cmdline_keys")
			if want := strings.Fields(cmdlineKeysListed); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("status policy.cmdline_keys = %v, want %v", got, want)
			}
		})
	})
	t.Run("a packed root hash is not replaced", func(t *testing.T) {
		t.Parallel()
		// The Yocto initramfs packs dm-verity.env for the verity disk's
		// ext4 root; the command line names slot A of the A/B disk,
		// signed by the same trusted key.
		a := shared.ab(t).a
		line := "roothash=" + a.rootHash + " systemd.verity_root_data=PARTUUID=" + a.dataUUID + " systemd.verity_root_hash=PARTUUID=" + a.vUUID +
			" verinit.roothashsig=base64:" + shared.sig(t).aByTrusted + " verinit.failure_delay=0"
		r := shared.bootWith(t, shared.sig(t).initrdYoctoSigned, []string{"ab"}, line)
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] (kernel command line: )?roothash=`+a.rootHash+
			`: refused by the policy \(packed\) verity=required signature=required roothash=`+shared.verity(t).rootHashExt4+
			`: the initramfs pins the root hash to `+shared.verity(t).rootHashExt4+`$`)
	})
	sha1 := "roothash=" + shared.policy(t).sha1Hash + " systemd.verity_root_data=PARTUUID=" + uuidS1Data + " systemd.verity_root_hash=PARTUUID=" + uuidS1Hash +
		" verinit.roothashsig=base64:" + shared.policy(t).sha1Sig + " verinit.failure_delay=0"
	t.Run("a signed SHA-1 tree is refused", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"sha1"}, sha1)
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[verity \+\d+ms\] verity: `+signed+`: the hash tree uses sha1 \(pack --policy sha1=allowed to accept SHA-1 trees\)$`)
	})
	t.Run("a signed SHA-1 tree boots where the initramfs allows SHA-1", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.policy(t).initrdSHA1, []string{"sha1"}, sha1)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		if got := vmtest.Field(r.Status, "verity", "algorithm"); got != "sha1" {
			t.Errorf("status verity.algorithm = %v, want sha1", got)
		}
	})
	// Rollback: both slots are genuinely signed, slot A as version 1.
	t.Run("rollback", func(t *testing.T) {
		slot := func(s abSlot, sig string) string {
			return "roothash=" + s.rootHash + " systemd.verity_root_data=PARTUUID=" + s.dataUUID + " systemd.verity_root_hash=PARTUUID=" + s.vUUID +
				" verinit.roothashsig=base64:" + sig + " verinit.failure_delay=0"
		}
		ab, p := shared.ab(t), shared.policy(t)
		for _, tc := range []struct{ name, line, refused string }{
			{"an older signed root is refused", slot(ab.a, p.aV1), `verity: the root is version 1, older than version 2, the oldest the initramfs allows \(a rollback\)`},
			{"a signature without a version is refused", slot(ab.a, shared.sig(t).aByTrusted), `verity: the initramfs requires root version 2 or later, but the signature by .+ carries no version \(verinit sign --version\)`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, p.initrdMinV2, []string{"ab"}, tc.line)
				if r.Reached {
					t.Errorf("the real init was reached")
				}
				vmtest.WantLine(t, r.Console, `verinit: \[verity \+\d+ms\] `+tc.refused+`$`)
				vmtest.WantLine(t, r.Console, `verinit: \[failure \+\d+ms\] rebooting in 0s$`)
			})
		}
		// The version is a signed attribute the kernel does not know: it
		// must still parse the signature and check its digest and
		// signature, failing only at trust (ENOKEY: the stock kernel's
		// keyrings do not hold our certificate). A signature it could
		// not read would fail with EBADMSG, a wrong one EKEYREJECTED.
		t.Run("the kernel reads a versioned signature", func(t *testing.T) {
			t.Parallel()
			line := strings.Replace(slot(ab.b, ""), "base64:", "PARTLABEL=b-v2-rsa", 1) + " verinit.verity_sig=kernel"
			r := shared.bootWith(t, p.initrdMinV2, []string{"ab", "rsa-sig"}, line)
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			vmtest.WantLine(t, r.Console, `device-mapper: table: 25\d:\d+: verity: Root hash verification failed \(-ENOKEY\)$`)
			vmtest.WantLine(t, r.Console, `verinit: \[verity \+\d+ms\] verity: the kernel refused the root-hash signature: no certificate in its trusted keyrings signs it \(see docs/signatures.md\): dm: load table of root: DM_TABLE_LOAD: required key not available$`)
		})
		t.Run("the newer root boots", func(t *testing.T) {
			t.Parallel()
			r := shared.bootWith(t, p.initrdMinV2, []string{"ab"}, slot(ab.b, p.bV2))
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			for path, want := range map[string]any{"signature.version": 2.0, "policy.min_version": 2.0, "verity.root_hash": ab.b.rootHash} {
				if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
					t.Errorf("status %s = %v, want %v", path, got, want)
				}
			}
		})
	})
	t.Run("GODEBUG does not reach the init's crypto", func(t *testing.T) {
		t.Parallel()
		a := shared.ab(t).a
		line := "roothash=" + a.rootHash + " systemd.verity_root_data=PARTUUID=" + a.dataUUID + " systemd.verity_root_hash=PARTUUID=" + a.vUUID +
			" verinit.roothashsig=base64:" + shared.sig(t).aByTrusted + " GODEBUG=rsa1024min=0"
		r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"ab"}, line)
		if !r.Reached {
			t.Fatalf("the real init was not reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[start \+\d+ms\] "GODEBUG=rsa1024min=0" from the kernel command line does not apply to the init \(it is passed on to the real init\)$`)
		// The real init gets the environment the kernel gave /init.
		vmtest.WantLine(t, r.Console, `^VERINIT-TEST-ROOT: env GODEBUG=rsa1024min=0$`)
	})
}
