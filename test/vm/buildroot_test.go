//go:build vm

package vm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "contrib", "buildroot", "board", "common", "post-image.sh"), images)
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

// TestBuildrootPostImageARM64 is TestBuildrootPostImage for
// verinit_qemu_aarch64_virt_defconfig: the post-image script with
// BR2_ARCH="aarch64", the arm64 init and Debian's arm64 modules in place
// of the target's, and each slot booted on the virt board, slot A by the
// start-qemu.sh the script wrote.
func TestBuildrootPostImageARM64(t *testing.T) {
	t.Parallel()
	a := shared.arm(t, "arm64")
	dir := filepath.Join(a.Dir, "buildroot")
	images, target := filepath.Join(dir, "images"), filepath.Join(dir, "target")
	for _, d := range []string{filepath.Join(images, "verinit"), filepath.Join(target, "lib", "modules")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for src, dst := range map[string]string{filepath.Join(a.Dir, "init"): filepath.Join(images, "verinit", "init"),
		filepath.Join(a.Dir, "rootfs.squashfs"): filepath.Join(images, "rootfs.squashfs"), a.Kernel: filepath.Join(images, "Image")} {
		if err := vmtest.CopyFile(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(a.ModulesDir, filepath.Join(target, "lib", "modules", a.Release)); err != nil {
		t.Fatal(err)
	}
	brConfig := filepath.Join(dir, ".config")
	if err := os.WriteFile(brConfig, []byte("BR2_ARCH=\"aarch64\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "contrib", "buildroot", "board", "common", "post-image.sh"), images)
	cmd.Env = append(os.Environ(), "VERINIT="+shared.bin("verinit"), "HOST_DIR="+filepath.Join(dir, "host"),
		"TARGET_DIR="+target, "BR2_CONFIG="+brConfig, "BINARIES_DIR="+images)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("post-image.sh: %v\n%s", err, out)
	}
	hashes := regexp.MustCompile(`(?m)^  root hash +([0-9a-f]{64})$`).FindAllStringSubmatch(string(out), -1)
	if len(hashes) != 2 {
		t.Fatalf("post-image.sh printed %d root hashes, want 2:\n%s", len(hashes), out)
	}
	a.AddImage("buildroot", filepath.Join(images, "disk.img"), false)
	want := func(t *testing.T, status map[string]any, i int) {
		for path, want := range map[string]any{
			"slot.rauc.slot":     string(rune('A' + i)),
			"verity.root_hash":   hashes[i][1],
			"verity.data_device": "/dev/vda" + string(rune('1'+2*i)),
			"signature.subject":  "CN=verinit development key (Buildroot)",
			"policy.signature":   "required",
		} {
			p := strings.SplitN(path, ".", 2)
			if got := vmtest.Field(status, p...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	}
	t.Run("slot B", func(t *testing.T) {
		t.Parallel()
		cmdline, err := os.ReadFile(filepath.Join(images, "slot-b.cmdline"))
		if err != nil {
			t.Fatal(err)
		}
		r := a.Boot(t, vmtest.Boot{Initrd: filepath.Join(images, "initramfs.cpio.gz"), Disks: []string{"buildroot"}, Cmdline: strings.TrimSpace(string(cmdline))})
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		want(t, r.Status, 1)
	})
	// start-qemu.sh as a user runs it, in a copy of the images so that
	// slot B's boot gets the disk as the script made it.
	t.Run("slot A by start-qemu.sh", func(t *testing.T) {
		t.Parallel()
		run := filepath.Join(dir, "run")
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"start-qemu.sh", "Image", "initramfs.cpio.gz", "disk.img", "slot-a.cmdline"} {
			if err := vmtest.CopyFile(filepath.Join(images, f), filepath.Join(run, f)); err != nil {
				t.Fatal(err)
			}
		}
		before := vmtest.Sum(t, filepath.Join(run, "disk.img"))
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "sh", filepath.Join(run, "start-qemu.sh"), "a").CombinedOutput()
		console := strings.ReplaceAll(string(out), "\r", "")
		if err != nil {
			t.Fatalf("start-qemu.sh a: %v\n%s", err, console)
		}
		r, err := vmtest.ParseConsole(console)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status:\n%s", console)
		}
		want(t, r.Status, 0)
		if after := vmtest.Sum(t, filepath.Join(run, "disk.img")); after != before {
			t.Errorf("disk.img was written during the boot")
		}
	})
}
