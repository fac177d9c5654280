//go:build vm

package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestBuildrootPostImage runs contrib/buildroot's post-image script as
// Buildroot would, on the test root (as the squashfs Buildroot makes) and
// with this machine's kernel modules in place of the target's, then boots
// each slot with the command line the script wrote for it. The initramfs
// the script packed requires a signed root hash, so a boot shows that
// the script signed the slot's hash with the key whose certificate it
// packed.
func TestBuildrootPostImage(t *testing.T) {
	shared.baseImages(t) // the test root
	dir := filepath.Join(shared.dir, "buildroot")
	images, target := filepath.Join(dir, "images"), filepath.Join(dir, "target")
	for _, d := range []string{filepath.Join(images, "verinit"), filepath.Join(target, "lib", "modules")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := vmtest.CopyFile(filepath.Join(shared.dir, "bin", "init"), filepath.Join(images, "verinit", "init")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("/lib/modules", shared.Release), filepath.Join(target, "lib", "modules", shared.Release)); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mksquashfs", filepath.Join(shared.dir, "rootfs"), filepath.Join(images, "rootfs.squashfs"),
		"-noappend", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	brConfig := filepath.Join(dir, ".config")
	if err := os.WriteFile(brConfig, []byte("BR2_ARCH=\"x86_64\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "contrib", "buildroot", "board", "qemu_x86_64", "post-image.sh"), images)
	cmd.Env = append(os.Environ(), "VERINIT="+filepath.Join(shared.dir, "bin", "verinit"), "HOST_DIR="+filepath.Join(dir, "host"),
		"TARGET_DIR="+target, "BR2_CONFIG="+brConfig, "BINARIES_DIR="+images)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("post-image.sh: %v\n%s", err, out)
	}
	hashes := regexp.MustCompile(`(?m)^  root hash +([0-9a-f]{64})$`).FindAllStringSubmatch(string(out), -1)
	if len(hashes) != 2 {
		t.Fatalf("post-image.sh printed %d root hashes, want 2:\n%s", len(hashes), out)
	}
	shared.AddImage("buildroot", filepath.Join(images, "disk.img"), false)

	for i, slot := range []string{"A", "B"} {
		t.Run("slot "+slot, func(t *testing.T) {
			t.Parallel()
			cmdline, err := os.ReadFile(filepath.Join(images, "slot-"+strings.ToLower(slot)+".cmdline"))
			if err != nil {
				t.Fatal(err)
			}
			r := shared.bootOpts(t, vmtest.Boot{Initrd: filepath.Join(images, "initramfs.cpio.gz"), Disks: []string{"buildroot"},
				Cmdline: strings.TrimSpace(string(cmdline))})
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			for path, want := range map[string]any{
				"slot.rauc.slot":     slot,
				"verity.root_hash":   hashes[i][1],
				"verity.data_device": "/dev/vda" + string(rune('1'+2*i)),
				"root.device":        "/dev/mapper/root",
				"signature.subject":  "CN=verinit development key (Buildroot)",
				"policy.signature":   "required",
			} {
				p := strings.SplitN(path, ".", 2)
				if got := vmtest.Field(r.Status, p...); got != want {
					t.Errorf("status %s = %v, want %v", path, got, want)
				}
			}
		})
	}
}
