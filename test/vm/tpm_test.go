//go:build vm

package vm

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// tpmEvent is one record of /run/verinit/tpm-events.json.
type tpmEvent struct {
	PCR     int `json:"pcr"`
	Digests []struct {
		HashAlg string `json:"hashAlg"`
		Digest  string `json:"digest"`
	} `json:"digests"`
	Content struct {
		Type   string `json:"type"`
		String string `json:"string"`
	} `json:"content"`
}

var tpmHashes = map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}

// replayLog checks each event's digests against its string and returns
// the PCR each bank reaches from zero, as a verifier replays the log.
func replayLog(t *testing.T, log string) map[string]string {
	t.Helper()
	var events []tpmEvent
	if err := json.Unmarshal([]byte(log), &events); err != nil {
		t.Fatalf("tpm-events.json is not JSON: %v\n%s", err, log)
	}
	pcrs := map[string][]byte{}
	for _, e := range events {
		for _, d := range e.Digests {
			h := tpmHashes[d.HashAlg]
			if h == nil {
				t.Fatalf("event %s: bank %q", e.Content.Type, d.HashAlg)
			}
			x := h()
			x.Write([]byte(e.Content.String))
			if got := hex.EncodeToString(x.Sum(nil)); got != d.Digest {
				t.Errorf("event %s: %s digest %s, but its string hashes to %s", e.Content.Type, d.HashAlg, d.Digest, got)
			}
			v := pcrs[d.HashAlg]
			if v == nil {
				v = make([]byte, h().Size())
			}
			dig, _ := hex.DecodeString(d.Digest)
			x = h()
			x.Write(v)
			x.Write(dig)
			pcrs[d.HashAlg] = x.Sum(nil)
		}
	}
	out := map[string]string{}
	for b, v := range pcrs {
		out[b] = hex.EncodeToString(v)
	}
	return out
}

// predict runs `verinit tpm predict --json` and returns its PCR and values.
func predict(t *testing.T, disk, initrd, cmdline string) (int, map[string]string) {
	t.Helper()
	img, _ := shared.Image(disk)
	out, err := shared.verinitOut("tpm", "predict", img, "--initramfs", initrd, "--cmdline", cmdline, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		PCR    int               `json:"pcr"`
		Values map[string]string `json:"values"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("tpm predict --json: %v\n%s", err, out)
	}
	return rep.PCR, rep.Values
}

// TestTPM boots the signed A/B slots with a TPM 2.0 (swtpm behind QEMU's
// TIS): the real root reads the PCR from sysfs, and it equals the replay
// of the event log verinit left, status.json's values and what `verinit
// tpm predict` said beforehand from the disk image, the initramfs and the
// command line; slots A and B measure different values. A policy that
// requires a TPM refuses a machine without one; a packed tpm-pcr= moves
// the measurement, and predict follows it.
func TestTPM(t *testing.T) {
	s, ab := shared.sig(t), shared.ab(t)
	slots := map[string]string{"A": "roothash=" + ab.a.rootHash + " rauc.slot=A", "B": "roothash=" + ab.b.rootHash + " rauc.slot=B"}
	var mu sync.Mutex
	measured := map[string]string{} // slot -> sha256 of PCR 15
	t.Run("slots", func(t *testing.T) {
		for slot, cmdline := range slots {
			t.Run(slot, func(t *testing.T) {
				t.Parallel()
				r := shared.bootOpts(t, vmtest.Boot{Initrd: s.initrdSigned, Disks: []string{"ab-sig"}, Cmdline: cmdline, TPM: t.TempDir()})
				checkMeasured(t, r, 15, "ab-sig", s.initrdSigned, cmdline, []string{"policy", "root", "signer", "slot"})
				mu.Lock()
				measured[slot] = r.PCRs["sha256"]
				mu.Unlock()
			})
		}
	})
	if a, b := measured["A"], measured["B"]; len(measured) == 2 && a == b {
		t.Errorf("slots A and B both measured %s", a)
	}

	packed := filepath.Join(t.TempDir(), "initrd-tpm.img")
	if out, err := shared.verinitOut("initramfs", "-o", packed, "--init", shared.bin("init"), "--kernel-release", shared.Release,
		"--cert", filepath.Join(shared.dir, "keys", "trusted.pem"), "--policy", "signature=required", "--policy", "tpm=required", "--policy", "tpm-pcr=14"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Run("packed tpm=required, PCR 14", func(t *testing.T) {
		t.Parallel()
		r := shared.bootOpts(t, vmtest.Boot{Initrd: packed, Disks: []string{"ab-sig"}, Cmdline: slots["A"], TPM: t.TempDir()})
		checkMeasured(t, r, 14, "ab-sig", packed, slots["A"], []string{"policy", "root", "signer", "slot"})
		if got := vmtest.Field(r.Status, "policy", "tpm"); got != "required" {
			t.Errorf("policy.tpm = %v", got)
		}
	})
	t.Run("packed tpm=required, no TPM", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, packed, []string{"ab-sig"}, slots["A"]+" verinit.failure_delay=0")
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[measure \+\d+ms\] tpm: no TPM device \(no /dev/tpmrm0 or /dev/tpm0\): the policy requires a TPM to measure the boot into$`)
	})
	t.Run("packed PCR, command line moves it", func(t *testing.T) {
		t.Parallel()
		r := shared.bootOpts(t, vmtest.Boot{Initrd: packed, Disks: []string{"ab-sig"}, Cmdline: slots["A"] + " verinit.tpm_pcr=15 verinit.failure_delay=0", TPM: t.TempDir()})
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] kernel command line: verinit.tpm_pcr=15: the initramfs policy measures into PCR 14; the command line cannot move it$`)
	})
	t.Run("a refused root caps the PCR", func(t *testing.T) {
		t.Parallel()
		r := shared.bootOpts(t, vmtest.Boot{Initrd: s.initrdSigned, Disks: []string{"ab-sig"}, Cmdline: "roothash=" + ab.b.rootHash + " systemd.verity_root_data=PARTUUID=" + ab.a.dataUUID +
			" systemd.verity_root_hash=PARTUUID=" + ab.a.vUUID + " verinit.failure_delay=0", TPM: t.TempDir()})
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[failure \+\d+ms\] extended PCR 15 with a failure event: nothing in this boot can bring it to a measured boot's value$`)
	})
	t.Run("no TPM, none required", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, s.initrdSigned, []string{"ab-sig"}, slots["B"])
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		if got := vmtest.Field(r.Status, "tpm", "state"); got != "absent" {
			t.Errorf("tpm.state = %v, want absent", got)
		}
		if r.TPMLog != "" || len(r.PCRs) > 0 {
			t.Errorf("an event log or PCRs without a TPM: %q %v", r.TPMLog, r.PCRs)
		}
	})
}

// checkMeasured checks a boot measured into pcr: status.json, the PCR the
// real root read, the replay of the event log and the prediction agree,
// in every bank the TPM has, and the events are of the types wanted.
func checkMeasured(t *testing.T, r vmtest.Result, pcr int, disk, initrd, cmdline string, types []string) {
	t.Helper()
	if !r.Reached || r.Status == nil {
		t.Fatalf("the real init was not reached or printed no status")
	}
	if got := vmtest.Field(r.Status, "tpm", "state"); got != "measured" {
		t.Fatalf("tpm.state = %v (error %v), want measured", got, vmtest.Field(r.Status, "tpm", "error"))
	}
	if got := vmtest.Field(r.Status, "tpm", "pcr"); got != float64(pcr) {
		t.Errorf("tpm.pcr = %v, want %d", got, pcr)
	}
	banks, _ := vmtest.Field(r.Status, "tpm", "banks").([]any)
	if len(banks) == 0 || len(r.PCRs) != len(banks) {
		t.Fatalf("banks %v, the root read PCR %d in %v", banks, pcr, r.PCRs)
	}
	replayed := replayLog(t, r.TPMLog)
	gotPCR, predicted := predict(t, disk, initrd, cmdline)
	if gotPCR != pcr {
		t.Errorf("predict says PCR %d, want %d", gotPCR, pcr)
	}
	for _, b := range banks {
		bank := b.(string)
		read := r.PCRs[bank]
		for what, v := range map[string]any{"the event log's replay": replayed[bank], "status.json": vmtest.Field(r.Status, "tpm", "pcr_values", bank), "tpm predict": predicted[bank]} {
			if v != read {
				t.Errorf("%s: the real root read PCR %d = %s, %s says %v", bank, pcr, read, what, v)
			}
		}
	}
	var events []tpmEvent
	_ = json.Unmarshal([]byte(r.TPMLog), &events)
	var got []string
	for _, e := range events {
		got = append(got, e.Content.Type)
		if e.PCR != pcr {
			t.Errorf("event %s in PCR %d", e.Content.Type, e.PCR)
		}
	}
	if strings.Join(got, " ") != strings.Join(types, " ") {
		t.Errorf("events %v, want %v", got, types)
	}
	t.Logf("PCR %d: %s", pcr, fmt.Sprint(r.PCRs))
}
