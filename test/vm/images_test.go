//go:build vm

package vm

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// Fixed identities, so that the cases can name them.
const (
	uuidFiller = "6b1d3c1e-0000-4000-8000-000000000001"
	uuidSq     = "6b1d3c1e-0000-4000-8000-000000000002"
	uuidErofs  = "6b1d3c1e-0000-4000-8000-000000000003"
	uuidExt4   = "6b1d3c1e-0000-4000-8000-000000000004"
	uuidNoInit = "6b1d3c1e-0000-4000-8000-000000000005"
	uuidSecond = "6b1d3c1e-0000-4000-8000-0000000000b1"
	fsUUIDExt4 = "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a10"
	fsUUID2    = "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a20"
)

// baseImages builds the base family on first use: the test roots
// (rootfs, rootfs-noinit) and their file system images (root.squashfs,
// root.erofs, root.ext4, ...), which the other families build on, and
// the disks main (a root of each file system type and one without an
// init), second (one ext4 root) and garbage (no partition table).
func (e *env) baseImages(t testing.TB) {
	t.Helper()
	need(t, e.baseOnce)
}

func (e *env) makeBaseImages() error {
	good := filepath.Join(e.dir, "rootfs")
	if err := vmtest.MakeRootDir(good, true); err != nil {
		return err
	}
	noInit := filepath.Join(e.dir, "rootfs-noinit")
	if err := vmtest.MakeRootDir(noInit, false); err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	steps := [][]string{
		{"mksquashfs", good, img("root.squashfs"), "-noappend", "-all-root", "-quiet"},
		{"mksquashfs", noInit, img("noinit.squashfs"), "-noappend", "-all-root", "-quiet"},
		{"mkfs.erofs", "--all-root", "-T0", img("root.erofs"), good},
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-U", fsUUIDExt4, "-L", "rootext4", "-d", good, img("root.ext4"), "16M"},
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-U", fsUUID2, "-L", "second", "-d", good, img("second.ext4"), "16M"},
	}
	for _, s := range steps {
		if err := vmtest.Run(e.dir, s[0], s[1:]...); err != nil {
			return err
		}
	}
	if err := e.MakeDisk("main", []vmtest.Part{
		{UUID: uuidFiller, Name: "filler"},
		{UUID: uuidSq, Name: "root-sq", Image: img("root.squashfs")},
		{UUID: uuidErofs, Name: "root-erofs", Image: img("root.erofs")},
		{UUID: uuidExt4, Name: "root-ext4", Image: img("root.ext4")},
		{UUID: uuidNoInit, Name: "noinit", Image: img("noinit.squashfs")},
	}); err != nil {
		return err
	}
	if err := e.MakeDisk("second", []vmtest.Part{{UUID: uuidSecond, Name: "second", Image: img("second.ext4")}}); err != nil {
		return err
	}
	// Garbage where a GPT should be: deterministic pseudo-random bytes.
	garbage := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(img("garbage.img"), garbage, 0o644); err != nil {
		return err
	}
	e.AddImage("garbage", img("garbage.img"), false)
	return nil
}
