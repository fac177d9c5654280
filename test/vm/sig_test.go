//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestSignature boots with an initramfs that trusts one certificate and
// requires signed root hashes.
func TestSignature(t *testing.T) {
	a, b, s := shared.ab(t).a, shared.ab(t).b, shared.sig(t)
	systemd := func(sl abSlot) string {
		return "roothash=" + sl.rootHash + " systemd.verity_root_data=PARTUUID=" + sl.dataUUID + " systemd.verity_root_hash=PARTUUID=" + sl.vUUID
	}
	t.Run("boots", func(t *testing.T) {
		for _, tc := range []struct {
			name, disk, cmdline, slot, from string
		}{
			{"signed on the command line", "ab", systemd(a) + " verinit.roothashsig=base64:" + s.aByTrusted, "A", "verinit.roothashsig=base64:..."},
			{"slot A, DPS root-verity-sig partition", "ab-sig", "roothash=" + a.rootHash, "A", "root-verity-sig partition /dev/vda3"},
			{"slot B, DPS root-verity-sig partition", "ab-sig", "roothash=" + b.rootHash, "B", "root-verity-sig partition /dev/vda6"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{tc.disk}, tc.cmdline)
				if !r.Reached || r.Status == nil {
					t.Fatalf("the real init was not reached or printed no status")
				}
				if !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot "+tc.slot+"\n") {
					t.Errorf("the real init is not slot %s's", tc.slot)
				}
				for path, want := range map[string]any{"signature.subject": "CN=verinit test trusted", "signature.from": tc.from,
					"policy.signature": "required", "policy.verity": "required", "signature.kernel": false} {
					if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
						t.Errorf("status %s = %v, want %v", path, got, want)
					}
				}
			})
		}
	})
	// Static boot entries per slot: the root hash is the one the slot's
	// signed root-verity-sig partition names (docs/integration/updates.md).
	t.Run("root hash from the slot's signature partition", func(t *testing.T) {
		entry := func(slot, sigSlot string) string {
			return "systemd.verity_root_data=PARTLABEL=root-" + slot + " systemd.verity_root_hash=PARTLABEL=root-" + slot + "-verity" +
				" verinit.roothash_sig=PARTLABEL=root-" + sigSlot + "-verity-sig rauc.slot=" + strings.ToUpper(slot) + " verinit.failure_delay=0"
		}
		for _, tc := range []struct {
			name, initrd, cmdline, slot, line string
		}{
			{"slot A", s.initrdSigned, entry("a", "a"), "A", ""},
			{"slot B", s.initrdSigned, entry("b", "b"), "B", ""},
			{"B's signature over A's partitions", s.initrdSigned, entry("a", "b"), "",
				`verinit: \[verity \+\d+ms\] /dev/vda2: verity: root hash mismatch`},
			{"without a required signature", shared.initrd, entry("a", "a"), "",
				`verinit: \[config \+\d+ms\] kernel command line: verinit.roothash_sig= takes the root hash from the disk: it needs a required signature`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, tc.initrd, []string{"ab-sig"}, tc.cmdline)
				if tc.slot == "" {
					if r.Reached {
						t.Errorf("the real init was reached")
					}
					vmtest.WantLine(t, r.Console, tc.line)
					return
				}
				if !r.Reached || r.Status == nil {
					t.Fatalf("the real init was not reached or printed no status")
				}
				hash := a.rootHash
				if tc.slot == "B" {
					hash = b.rootHash
				}
				sigDev := map[string]string{"A": "/dev/vda3", "B": "/dev/vda6"}[tc.slot]
				for path, want := range map[string]any{"verity.source": "signature", "verity.root_hash": hash,
					"signature.from":    "verinit.roothash_sig=PARTLABEL=root-" + strings.ToLower(tc.slot) + "-verity-sig (" + sigDev + ")",
					"signature.subject": "CN=verinit test trusted"} {
					if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
						t.Errorf("status %s = %v, want %v", path, got, want)
					}
				}
				if !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot "+tc.slot+"\n") {
					t.Errorf("the real init is not slot %s's", tc.slot)
				}
			})
		}
	})
	t.Run("dm-verity.env with its signature beside it", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.sig(t).initrdYoctoSigned, []string{"verity"}, "root=PARTUUID="+uuidVExt4App)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		for path, want := range map[string]any{"signature.from": "/usr/share/misc/dm-verity.env.p7s", "verity.source": "dm-verity.env",
			"signature.subject": "CN=verinit test trusted"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	})
	t.Run("refuses", func(t *testing.T) {
		sigErr := `verinit: \[verity \+\d+ms\] verity: signature from verinit.roothashsig=base64:\.\.\.: sig: `
		for _, tc := range []struct {
			name, disk, cmdline, line string
		}{
			{"untrusted key", "ab", systemd(a) + " verinit.roothashsig=base64:" + s.aByUntrusted,
				sigErr + `not signed by a trusted key: signer "CN=verinit test untrusted" \(sha256 [0-9a-f]{64}\) does not chain to a trusted certificate`},
			{"signature over another hash", "ab", systemd(a) + " verinit.roothashsig=base64:" + s.bOverA,
				sigErr + `signature does not match the root hash: signature does not verify over "` + a.rootHash + `" with the key of signer "CN=verinit test trusted"`},
			{"truncated signature", "ab", systemd(a) + " verinit.roothashsig=base64:" + s.aTruncated, sigErr + `malformed signature: truncated`},
			{"garbage signature", "ab", systemd(a) + " verinit.roothashsig=base64:Z2FyYmFnZQ==", sigErr + `malformed signature`},
			{"no signature", "ab", systemd(a), `verinit: \[verity \+\d+ms\] verity: a signed root hash is required, but no signature was found$`},
			{"command line cannot weaken the packed policy", "ab", systemd(a) + " verinit.signature=optional",
				`verinit: \[config \+\d+ms\] kernel command line: verinit.signature=optional: the initramfs policy requires a signed root hash; the command line cannot weaken it$`},
			// Debian's kernel has no ECDSA (CONFIG_CRYPTO_ECDSA): an
			// ECDSA signature fails there before trust is looked at.
			// TestPolicy/rollback has the RSA case.
			{"kernel mode: the stock kernel has no ECDSA", "ab", systemd(a) + " verinit.verity_sig=kernel verinit.roothashsig=base64:" + s.aByTrusted,
				`device-mapper: table: 25\d:\d+: verity: Root hash verification failed \(-ENOENT\)$`},
			{"kernel mode: the init's refusal", "ab", systemd(a) + " verinit.verity_sig=kernel verinit.roothashsig=base64:" + s.aByTrusted,
				`verinit: \[verity \+\d+ms\] verity: the kernel refused the root-hash signature: it lacks the signature's algorithm \(for ECDSA CONFIG_CRYPTO_ECDSA, which Debian's 6.1 kernel has not: sign with RSA\): dm: load table of root: DM_TABLE_LOAD: no such file or directory$`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{tc.disk}, tc.cmdline+" verinit.failure_delay=0")
				if r.Reached {
					t.Errorf("the real init was reached")
				}
				vmtest.WantLine(t, r.Console, tc.line)
			})
		}
	})
}
