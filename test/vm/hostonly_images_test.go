//go:build vm

package vm

import (
	"os"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules"
)

// Identities of the host-only disk's partitions.
const (
	uuidHostData = "7c2e4d5f-0000-4000-8000-0000000000f1"
	uuidHostHash = "7c2e4d5f-0000-4000-8000-0000000000f2"
)

// Markers of the host-only root's init.
const (
	markerHostReport  = "VERINIT-TEST-HOSTONLY: report"
	markerHostEnd     = "VERINIT-TEST-HOSTONLY: end"
	markerHostWritten = "VERINIT-TEST-HOSTONLY: written "
	markerHostFailed  = "VERINIT-TEST-HOSTONLY: failed: "
)

// hostOnlyInit runs, with verinit_test.hostonly=1 on the command line,
// `verinit initramfs --host-only` on the booted system, prints its report
// and writes the archive to the second disk; then it goes on as the test
// root's init.
const hostOnlyInit = `#!/bin/busybox sh
for a in $(/bin/busybox cat /proc/cmdline); do
	case "$a" in verinit_test.hostonly=1) build=1 ;; esac
done
if [ -n "$build" ]; then
	if /usr/bin/verinit initramfs --host-only --json --init /usr/lib/verinit/init -o /run/hostonly.img >/run/report.json 2>/run/err; then
		echo "` + markerHostReport + `"
		/bin/busybox cat /run/report.json
		echo "` + markerHostEnd + `"
		/bin/busybox dd if=/run/hostonly.img of=/dev/vdb bs=65536 conv=fsync 2>/dev/null &&
			echo "` + markerHostWritten + `$(/bin/busybox stat -c %s /run/hostonly.img)"
	else
		echo "` + markerHostFailed + `$(/bin/busybox cat /run/err)"
	fi
fi
exec /sbin/test-init "$@"
`

// hostOnlyImages holds what the host-only case names.
type hostOnlyImages struct {
	rootHash string // of the root on the disk "hostonly"
}

// makeHostOnlyImages makes the disk "hostonly": a verified squashfs root
// (data and tree on their own partitions) holding a static verinit, the
// init, and the kernel's modules directory with depmod's files and the
// modules of the default set; and "scratch", an empty disk the root
// writes its initramfs to.
func (e *env) makeHostOnlyImages(h *hostOnlyImages) error {
	root := filepath.Join(e.dir, "rootfs-hostonly")
	if err := vmtest.MakeRootDirWith(root, e.Busybox, false); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "sbin", "test-init"), []byte(vmtest.TestInit), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "sbin", "init"), []byte(hostOnlyInit), 0o755); err != nil {
		return err
	}
	if err := vmtest.RunEnv(repoRoot(), []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", filepath.Join(root, "usr", "bin", "verinit"), "./cmd/verinit"); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "usr", "lib", "verinit"), 0o755); err != nil {
		return err
	}
	if err := vmtest.CopyFile(e.bin("init"), filepath.Join(root, "usr", "lib", "verinit", "init")); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(root, "usr", "lib", "verinit", "init"), 0o755); err != nil {
		return err
	}
	// The kernel's modules: depmod's files, and those of the default
	// set, which is all a host-only set can be drawn from here.
	src := filepath.Join("/lib/modules", e.Release)
	dst := filepath.Join(root, "lib", "modules", e.Release)
	db, err := modules.LoadDB(os.DirFS(src))
	if err != nil {
		return err
	}
	plan, err := modules.Resolve(db, modules.DefaultModules(dps.ArchX86_64))
	if err != nil {
		return err
	}
	files := []string{"modules.dep", "modules.alias", "modules.softdep", "modules.builtin", "modules.builtin.modinfo", "modules.order"}
	for _, m := range plan.Modules {
		files = append(files, m.Path)
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			return err
		}
		if err := vmtest.CopyFile(filepath.Join(src, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	if err := vmtest.Run(e.dir, "mksquashfs", root, img("hostonly.squashfs"), "-noappend", "-all-root", "-quiet"); err != nil {
		return err
	}
	if h.rootHash, err = vmtest.VeritysetupFormat(img("hostonly.squashfs"), img("hostonly.hash")); err != nil {
		return err
	}
	if err := e.MakeDisk("hostonly", []vmtest.Part{
		{UUID: uuidFiller, Name: "filler"},
		{UUID: uuidHostData, Name: "root-data", Image: img("hostonly.squashfs")},
		{UUID: uuidHostHash, Name: "root-hash", Image: img("hostonly.hash")},
	}); err != nil {
		return err
	}
	if err := os.WriteFile(img("scratch.img"), nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(img("scratch.img"), 32<<20); err != nil {
		return err
	}
	e.AddImage("scratch", img("scratch.img"), false)
	return nil
}
