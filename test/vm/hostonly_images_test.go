//go:build vm

package vm

import (
	"os"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
	"github.com/verinit/verinit/pkg/dps"
)

// Identities of the host-only disk's partitions.
const (
	uuidHostData = "7c2e4d5f-0000-4000-8000-0000000000f1"
	uuidHostHash = "7c2e4d5f-0000-4000-8000-0000000000f2"
)

// hostOnlyInit builds a host-only initramfs when asked
// (vmtest.HostOnlyScript), then goes on as the test root's init.
const hostOnlyInit = "#!/bin/busybox sh\n" + vmtest.HostOnlyScript + "exec /sbin/test-init \"$@\"\n"

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
	if err := vmtest.AddHostOnlyTools(root, repoRoot(), "amd64", e.bin("init"), filepath.Join("/lib/modules", e.Release), dps.ArchX86_64); err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	if err := vmtest.Run(e.dir, "mksquashfs", root, img("hostonly.squashfs"), "-noappend", "-all-root", "-quiet"); err != nil {
		return err
	}
	var err error
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
	return e.MakeScratch("scratch", 32<<20)
}
