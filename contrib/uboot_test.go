package contrib

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFIT: u-boot/verinit.its, with a kernel, a device tree and an
// initramfs beside it, is a FIT description that mkimage builds and
// signs as its comment says: configuration "verinit" (the one
// `verinit disk create --print u-boot --fit` boots) signed over the
// three images, the kernel run where bootm puts it. That U-Boot checks
// the signature, and refuses a changed FIT, is shown by the VM suite
// (TestUBootARM64): Debian has no fit_check_sign.
func TestFIT(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := os.Mkdir(p("keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	its, err := os.ReadFile(filepath.Join("u-boot", "verinit.its"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"verinit.its": string(its),
		"Image":       strings.Repeat("kernel ", 1<<16),
		"initramfs":   strings.Repeat("initramfs ", 1<<12),
	} {
		if err := os.WriteFile(p(name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A real device tree (QEMU's arm64 board) for both roles: the
	// kernel's in the FIT, and U-Boot's, which gets the key.
	run(t, nil, needTool(t, "qemu-system-aarch64"), "-M", "virt,dumpdtb="+p("board.dtb"), "-display", "none", "-nodefaults")
	dtb, err := os.ReadFile(p("board.dtb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("u-boot.dtb"), dtb, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(needTool(t, "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=verinit FIT test",
		"-keyout", p("keys/verinit.key"), "-out", p("keys/verinit.crt"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	cmd = exec.Command(needTool(t, "mkimage"), "-f", "verinit.its", "-k", "keys", "-K", "u-boot.dtb", "-r", "verinit.itb")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimage: %v\n%s", err, out)
	}
	if st, err := os.Stat(p("u-boot.dtb")); err != nil || st.Size() <= int64(len(dtb)) {
		t.Errorf("mkimage -K added no key to U-Boot's device tree: %v", err)
	}
	list := run(t, nil, needTool(t, "dumpimage"), "-l", p("verinit.itb"))
	for _, want := range []string{
		"Type:         Kernel Image (no loading done)",
		"Type:         Flat Device Tree",
		"Type:         RAMDisk Image",
		"Default Configuration: 'verinit'",
		"Sign algo:    sha256,rsa2048:verinit",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("dumpimage -l lacks %q:\n%s", want, list)
		}
	}
}
