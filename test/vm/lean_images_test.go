//go:build vm

package vm

import (
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// leanTags drop every optional part of the init (internal/feature).
const leanTags = "verinit_nolvm,verinit_notpm"

// leanImages holds the initramfs of an init built without its optional
// parts: initrd packed like env.initrd, initrdSigned like
// sigImages.initrdSigned (it trusts the signing key and requires
// signatures).
type leanImages struct {
	initrd, initrdSigned string
}

// makeLeanImages builds the init with leanTags and packs it as
// makeSigImages packs the full one.
func (e *env) makeLeanImages(l *leanImages) error {
	if _, err := e.sigOnce(); err != nil { // the keys
		return err
	}
	bin := e.bin("init-lean")
	if err := vmtest.RunEnv(repoRoot(), []string{"CGO_ENABLED=0"}, "go", "build", "-tags", leanTags, "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/init"); err != nil {
		return err
	}
	l.initrd = filepath.Join(e.dir, "initrd-lean.img")
	if err := vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", l.initrd, "--init", bin, "--kernel-release", e.Release); err != nil {
		return err
	}
	l.initrdSigned = filepath.Join(e.dir, "initrd-lean-signed.img")
	return vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", l.initrdSigned, "--init", bin,
		"--kernel-release", e.Release, "--cert", filepath.Join(e.dir, "keys", "trusted.pem"), "--policy", "signature=required")
}
