package image

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
)

// TestCreateSignedESP: with Sign and ESP, each slot gets a
// root-verity-sig partition holding its signature, NUL-padded, and the
// disk an EFI system partition that fsck.fat finds clean and mtools
// reads the files from; sfdisk agrees with the layout.
func TestCreateSignedESP(t *testing.T) {
	needTool(t, "fsck.fat")
	needTool(t, "mtype")
	img := buildImage(t, FSSquashfs)
	sign := func(root []byte) ([]byte, error) {
		return []byte(`{"rootHash":"` + hex.EncodeToString(root) + `"}`), nil
	}
	files := map[string][]byte{
		"EFI/BOOT/BOOTX64.EFI":            bytes.Repeat([]byte("MZ"), 70000),
		"loader/loader.conf":              []byte("timeout 0\n"),
		"loader/entries/verinit-2-a.conf": []byte("title a\n"),
	}
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	disk, l := createFile(t, Spec{Image: img, Arch: dps.ArchX86_64, Sign: sign, ESP: dir, ESPBytes: 40 << 20})
	checkGPT(t, disk, l)
	checkTool(t, l, sfdiskJSON(t, disk))
	checkContents(t, disk, l, img)

	sigType, _ := dps.TypeGUID(dps.RootVeritySig, dps.ArchX86_64)
	raw, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range l.Slots {
		if s.Sig.Number != 2*len(l.Slots)+1+i || s.Sig.Label != "root-"+s.Name+"-verity-sig" || s.Sig.Type != sigType || s.Sig.SizeBytes != SigBytes {
			t.Errorf("slot %s: signature partition %+v", s.Name, s.Sig)
		}
		want, _ := sign(s.RootHash)
		got := raw[s.Sig.OffsetBytes : s.Sig.OffsetBytes+s.Sig.SizeBytes]
		if !bytes.Equal(got[:len(want)], want) || !bytes.Equal(got[len(want):], make([]byte, len(got)-len(want))) {
			t.Errorf("slot %s: %s holds %.80q..., want %s and NULs", s.Name, s.Sig.Label, got, want)
		}
		if want := "systemd.verity_root_data=PARTLABEL=root-" + s.Name + " systemd.verity_root_hash=PARTLABEL=root-" + s.Name +
			"-verity verinit.roothash_sig=PARTLABEL=root-" + s.Name + "-verity-sig rauc.slot=" + s.Bootname; s.SigCmdline() != want {
			t.Errorf("SigCmdline() = %q, want %q", s.SigCmdline(), want)
		}
	}
	if e := l.ESP; e.Number != 2*len(l.Slots)+len(l.Slots)+1 || e.Label != "esp" || e.Type != ESPType || e.SizeBytes != 40<<20 || e.Attributes != ESPAttributes {
		t.Errorf("ESP %+v", e)
	}
	esp := filepath.Join(t.TempDir(), "esp.img")
	if err := os.WriteFile(esp, raw[l.ESP.OffsetBytes:l.ESP.OffsetBytes+l.ESP.SizeBytes], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("fsck.fat", "-n", "-v", esp).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat -n: %v\n%s", err, out)
	}
	for name, data := range files {
		out, err := exec.Command("mtype", "-i", disk+"@@"+strconv.FormatInt(l.ESP.OffsetBytes, 10), "::"+name).Output()
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("mtype %s: %d bytes, %v; want the %d bytes written", name, len(out), err, len(data))
		}
	}
}
