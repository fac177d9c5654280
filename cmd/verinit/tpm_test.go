package main

import (
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/tpm"
)

// TestTPMPredict: predict measures what the init would for a signed A/B
// disk made by disk create and an initramfs requiring signatures: the
// policy, the slot's root hash, the packed certificate that signed it and
// the slot; each bank's value is the replay of those events; the two
// slots differ; a boot the init would refuse is an error.
func TestTPMPredict(t *testing.T) {
	keys := signingKey(t)
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk.img")
	rep := diskJSON(t, "disk", "create", disk, "--rootfs", diskRootfs(t), "--sign-key", filepath.Join(keys, "k.pem"), "--sign-cert", filepath.Join(keys, "c.pem"), "--json")
	initrd := filepath.Join(dir, "initrd.img")
	if code, _, stderr := runCLI(t, "initramfs", "-o", initrd, "--no-modules", "--arch", "arm64", "--init", writeELF(t, filepath.Join(dir, "init"), elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_EXEC),
		"--cert", filepath.Join(keys, "c.pem"), "--policy", "signature=required"); code != 0 {
		t.Fatalf("initramfs: %s", stderr)
	}
	block, _ := pem.Decode(mustRead(t, filepath.Join(keys, "c.pem")))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256(cert.Raw)
	values := map[string]string{}
	for _, slot := range rep.Slots {
		line := "roothash=" + slot.RootHash + " rauc.slot=" + strings.ToUpper(slot.Name)
		code, stdout, stderr := runCLI(t, "tpm", "predict", disk, "--initramfs", initrd, "--cmdline", line, "--json")
		if code != 0 {
			t.Fatalf("slot %s: exit %d: %s", slot.Name, code, stderr)
		}
		var got predictReport
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"verinit-policy:verity=required signature=required",
			"verinit-root:" + slot.RootHash,
			"verinit-signer:" + hex.EncodeToString(fp[:]),
			"verinit-slot:rauc.slot=" + strings.ToUpper(slot.Name),
		}
		var strs []string
		for _, e := range got.Events {
			strs = append(strs, e.String)
		}
		if got.PCR != 15 || strings.Join(strs, "\n") != strings.Join(want, "\n") {
			t.Errorf("slot %s: PCR %d, events\n%s\nwant\n%s", slot.Name, got.PCR, strings.Join(strs, "\n"), strings.Join(want, "\n"))
		}
		m := tpm.Measured{Policy: "verity=required signature=required", RootHash: slot.RootHash, Signer: hex.EncodeToString(fp[:]), Slot: "rauc.slot=" + strings.ToUpper(slot.Name)}
		for _, b := range tpmBanks {
			if v := hex.EncodeToString(tpm.Replay(nil, b, m.Events(15, tpmBanks))); got.Values[b.String()] != v {
				t.Errorf("slot %s %s: %s, want %s", slot.Name, b, got.Values[b.String()], v)
			}
		}
		values[slot.Name] = got.Values["sha256"]
		// Text output: the values and the events, one a line.
		code, stdout, _ = runCLI(t, "tpm", "predict", disk, "--initramfs", initrd, "--cmdline", line)
		if code != 0 || !strings.Contains(stdout, "  sha256 "+got.Values["sha256"]+"\n") || !strings.Contains(stdout, "  3 signer     verinit-signer:") {
			t.Errorf("text output: exit %d\n%s", code, stdout)
		}
	}
	if len(values) != 2 || values["a"] == values["b"] {
		t.Errorf("slot values %v: want two different", values)
	}
	for _, tc := range []struct{ name, line, want string }{
		{"unverified under signature=required", "root=PARTLABEL=root-a",
			"verinit tpm predict: the init would not boot this: kernel command line: verity is required, but no root hash was given"},
		{"a wrong root hash", "roothash=" + strings.Repeat("ab", 32),
			"verinit tpm predict: the init would not boot this: "},
	} {
		code, _, stderr := runCLI(t, "tpm", "predict", disk, "--initramfs", initrd, "--cmdline", tc.line)
		if code != 1 || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, %q", tc.name, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "tpm", "predict", disk); code != 2 {
		t.Errorf("without --initramfs: exit %d, %s", code, stderr)
	}
	// inspect --initramfs names the signer as predict measures it.
	code, stdout, _ := runCLI(t, "inspect", disk, "--initramfs", initrd, "--cmdline", "roothash="+rep.Slots[0].RootHash)
	if code != 0 || !strings.Contains(stdout, "signed: by the certificate with SHA-256 "+hex.EncodeToString(fp[:])+", the signature from root-verity-sig partition /dev/vda5\n") {
		t.Errorf("inspect --initramfs: exit %d\n%s", code, stdout)
	}
}
