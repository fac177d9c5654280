package contrib

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAppendedTreeExample checks the verinit side of the barebox appendroot
// layout (docs/integration/barebox.md): a squashfs with its tree appended
// at its padded size, named by verinit.root= with roothash=, as barebox
// with global.bootm.root_param=verinit.root passes it.
func TestAppendedTreeExample(t *testing.T) {
	needTool(t, "mksquashfs")
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "sbin", "init"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Incompressible, so that the image spans many verity blocks.
	blob := make([]byte, 256<<10)
	rand.NewChaCha8([32]byte{6}).Read(blob)
	if err := os.WriteFile(filepath.Join(rootfs, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "root.img")
	run(t, nil, "mksquashfs", rootfs, img, "-noappend", "-quiet")
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	hashFile := filepath.Join(dir, "root.roothash")
	run(t, nil, built.verinit, "verity", "format", img, img, "--hash-offset", strconv.FormatInt(st.Size(), 10), "--root-hash-file", hashFile)
	hash := readFile(t, hashFile)
	// The image is the whole disk vda in inspect's dry run.
	out := run(t, nil, built.verinit, "inspect", img, "--cmdline", "verinit.root=/dev/vda rootwait=10 roothash="+hash)
	if !strings.Contains(out, "the root hash "+hash+" matches the tree") {
		t.Errorf("inspect does not verify the appended tree:\n%s", out)
	}
	// And the kernel's root= must not disagree with it.
	if out, err := runErr(nil, built.verinit, "inspect", img, "--cmdline", "verinit.root=/dev/vda root=/dev/vdb roothash="+hash); err == nil ||
		!strings.Contains(out, "verinit.root=/dev/vda and root=/dev/vdb name different roots") {
		t.Errorf("disagreeing root= accepted (err %v):\n%s", err, out)
	}
}
