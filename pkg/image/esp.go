package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/gpt"
)

const (
	// SigBytes is the size of a root-verity-sig partition: the JSON is
	// a few KiB, padded with NULs (the Discoverable Partitions
	// Specification).
	SigBytes = AlignBytes

	// DefaultESPBytes is the EFI system partition's size unless
	// Spec.ESPBytes says otherwise: room for a kernel and an initramfs
	// per slot.
	DefaultESPBytes = 128 << 20

	// MinESPBytes is the smallest ESP Create makes: FAT32 needs 65525
	// clusters, of 512 bytes at this size.
	MinESPBytes = 34 << 20
)

// ESPAttributes are the ESP's GPT attribute bits: legacy BIOS bootable
// (bit 2), which UEFI ignores and U-Boot's distro boot looks for to
// choose the partitions it searches for a boot script (part list
// -bootable); without it U-Boot searches only partition 1.
const ESPAttributes = 1 << 2

// ESPType is the GPT partition type of an EFI system partition (UEFI
// 2.10, table 5.14).
var ESPType = mustGUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")

func mustGUID(s string) gpt.GUID {
	g, err := gpt.ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// writeSig signs s's root hash with sign and writes the result, padded
// with NULs, to s's root-verity-sig partition, under a random PARTUUID
// drawn from rnd.
func writeSig(w io.WriterAt, s *Slot, sign func([]byte) ([]byte, error), rnd io.Reader) error {
	content, err := sign(s.RootHash)
	if err != nil {
		return fmt.Errorf("image: sign the root hash of slot %s: %w", s.Name, err)
	}
	content = bytes.TrimRight(content, "\x00") // padded already, or not
	if int64(len(content)) >= s.Sig.SizeBytes || bytes.IndexByte(content, 0) >= 0 {
		return fmt.Errorf("image: slot %s: a signature of %d bytes, or holding a NUL, does not fit the %d-byte %s partition", s.Name, len(content), s.Sig.SizeBytes, s.Sig.Label)
	}
	u, err := randomUUID(rnd)
	if err != nil {
		return err
	}
	s.Sig.UUID = gpt.GUIDFromBytes(u)
	buf := make([]byte, s.Sig.SizeBytes)
	copy(buf, content)
	if _, err := w.WriteAt(buf, s.Sig.OffsetBytes); err != nil {
		return fmt.Errorf("image: write %s at byte %d: %w", s.Sig.Label, s.Sig.OffsetBytes, err)
	}
	return nil
}

// writeESP makes a FAT32 file system of p's size holding the files of
// the directory dir, with mkfs.fat and mcopy in a temporary file (no
// privileges needed), and writes it to p.
func writeESP(w io.WriterAt, p Partition, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("image: ESP: %w", err)
	}
	tmpDir, err := os.MkdirTemp("", "verinit-esp-")
	if err != nil {
		return fmt.Errorf("image: ESP: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	fat := filepath.Join(tmpDir, "esp.img")
	if err := run("mkfs.fat", "dosfstools", "the ESP", "-F", "32", "-n", "ESP", "-C", fat, strconv.FormatInt(p.SizeBytes>>10, 10)); err != nil {
		return fmt.Errorf("image: ESP: %w", err)
	}
	if len(entries) > 0 {
		args := []string{"-s", "-Q", "-i", fat}
		for _, e := range entries {
			args = append(args, filepath.Join(dir, e.Name()))
		}
		if err := run("mcopy", "mtools", "the ESP", append(args, "::/")...); err != nil {
			return fmt.Errorf("image: ESP from %s: %w", dir, err)
		}
	}
	f, err := os.Open(fat)
	if err != nil {
		return fmt.Errorf("image: ESP: %w", err)
	}
	defer f.Close()
	buf := make([]byte, AlignBytes)
	if _, err := io.CopyBuffer(io.NewOffsetWriter(w, p.OffsetBytes), io.NewSectionReader(f, 0, p.SizeBytes), buf); err != nil {
		return fmt.Errorf("image: write the ESP at byte %d: %w", p.OffsetBytes, err)
	}
	return nil
}

// BootScript compiles the U-Boot script src into the legacy script image
// dst that U-Boot's distro boot runs (boot.cmd to boot.scr), with
// mkimage from u-boot-tools.
func BootScript(src, dst string) error {
	if err := run("mkimage", "u-boot-tools", "boot.scr", "-T", "script", "-C", "none", "-n", "verinit A/B", "-d", src, dst); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	return nil
}

// run runs prog (from the Debian package pkg, needed to make what) with
// args; its error says which package to install when prog is missing,
// and holds the program's output when it fails.
func run(prog, pkg, what string, args ...string) error {
	path, err := exec.LookPath(prog)
	if err != nil {
		return fmt.Errorf("%s is needed to make %s (Debian package %s): %w", prog, what, pkg, err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}
