//go:build vm

package vm

import (
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// leanTags drop every optional part of the init (internal/feature).
const leanTags = "verinit_nolvm,verinit_notpm,verinit_nosig"

// leanImages holds the initramfs of an init built without its optional
// parts, packed as for a signed UKI that carries the root hash on its
// command line: verity required, no certificates.
type leanImages struct {
	initrd string
}

// makeLeanImages builds the init with leanTags and packs it.
func (e *env) makeLeanImages(l *leanImages) error {
	bin := e.bin("init-lean")
	if err := vmtest.RunEnv(repoRoot(), []string{"CGO_ENABLED=0"}, "go", "build", "-tags", leanTags, "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/init"); err != nil {
		return err
	}
	l.initrd = filepath.Join(e.dir, "initrd-lean.img")
	return vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", l.initrd, "--init", bin, "--kernel-release", e.Release, "--policy", "verity=required")
}
