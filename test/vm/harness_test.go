//go:build vm

package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// env is what every case shares: the harness (kernel and disk images),
// the binaries and verinit's plain initramfs, built once per run, and
// the image families, each built on first use (so that -run TestLVM
// builds only the LVM images) and then shared.
type env struct {
	*vmtest.Harness
	dir    string // the harness's scratch directory
	initrd string // verinit's initramfs

	baseOnce     func() (struct{}, error)
	verityOnce   func() (*verityImages, error)
	abOnce       func() (*abImages, error)
	createdOnce  func() (map[string]diskCreated, error)
	lvmOnce      func() (*lvmImages, error)
	corruptOnce  func() (*corruptImages, error)
	sigOnce      func() (*sigImages, error)
	policyOnce   func() (*policyImages, error)
	armOnce      map[string]func() (*armImages, error) // by Debian architecture
	chainOnce    func() (*chainImages, error)
	chainARMOnce func() (*chainImages, error)
	usrOnce      func() (*usrImages, error)
	hostOnlyOnce func() (*hostOnlyImages, error)
	sealOnce     func() (*sealImages, error)
	leanOnce     func() (*leanImages, error)
}

// The families, each built on first use by the first case that asks.
func (e *env) verity(t testing.TB) *verityImages           { return need(t, e.verityOnce) }
func (e *env) ab(t testing.TB) *abImages                   { return need(t, e.abOnce) }
func (e *env) created(t testing.TB) map[string]diskCreated { return need(t, e.createdOnce) }
func (e *env) lvm(t testing.TB) *lvmImages                 { return need(t, e.lvmOnce) }
func (e *env) corrupt(t testing.TB) *corruptImages         { return need(t, e.corruptOnce) }
func (e *env) sig(t testing.TB) *sigImages                 { return need(t, e.sigOnce) }
func (e *env) policy(t testing.TB) *policyImages           { return need(t, e.policyOnce) }
func (e *env) arm(t testing.TB, debArch string) *armImages { return need(t, e.armOnce[debArch]) }
func (e *env) chain(t testing.TB) *chainImages             { return need(t, e.chainOnce) }
func (e *env) chainARM(t testing.TB) *chainImages          { return need(t, e.chainARMOnce) }
func (e *env) usr(t testing.TB) *usrImages                 { return need(t, e.usrOnce) }
func (e *env) hostOnly(t testing.TB) *hostOnlyImages       { return need(t, e.hostOnlyOnce) }
func (e *env) seal(t testing.TB) *sealImages               { return need(t, e.sealOnce) }
func (e *env) lean(t testing.TB) *leanImages               { return need(t, e.leanOnce) }

var shared *env

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "verinit-vm-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		e, err := setup(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vm: setup: %v\n", err)
			return 1
		}
		shared = e
		return m.Run()
	}()
	os.Exit(code)
}

// setup builds the binaries and the plain initramfs; the families wait
// until a case asks for them.
func setup(dir string) (*env, error) {
	h, err := vmtest.New(dir)
	if err != nil {
		return nil, err
	}
	e := &env{Harness: h, dir: dir}
	e.baseOnce = sync.OnceValues(func() (struct{}, error) { return struct{}{}, e.makeBaseImages() })
	e.verityOnce = family(e.makeVerityImages)
	e.abOnce = family(e.makeABImages)
	e.createdOnce = sync.OnceValues(e.makeCreatedDisks)
	e.lvmOnce = family(e.makeLVMImages)
	e.corruptOnce = family(e.makeCorruptImages)
	e.sigOnce = family(e.makeSigImages)
	e.policyOnce = family(e.makePolicyImages)
	e.chainOnce = family(e.makeChainImages)
	e.chainARMOnce = family(e.makeChainARMImages)
	e.usrOnce = family(e.makeUsrImages)
	e.hostOnlyOnce = family(e.makeHostOnlyImages)
	e.sealOnce = family(e.makeSealImages)
	e.leanOnce = family(e.makeLeanImages)
	e.armOnce = map[string]func() (*armImages, error){}
	for _, arch := range []string{"arm64", "armhf"} {
		e.armOnce[arch] = sync.OnceValues(func() (*armImages, error) { return e.makeARMImages(arch) })
	}
	root := repoRoot()
	bin := filepath.Join(dir, "bin")
	if err := vmtest.Run(root, "go", "build", "-o", filepath.Join(bin, "verinit"), "./cmd/verinit"); err != nil {
		return nil, err
	}
	if err := vmtest.RunEnv(root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(bin, "init"), "./cmd/init"); err != nil {
		return nil, err
	}
	e.initrd = filepath.Join(dir, "initrd.img")
	if err := vmtest.Run(root, filepath.Join(bin, "verinit"), "initramfs", "-o", e.initrd, "--init", filepath.Join(bin, "init"),
		"--kernel-release", h.Release); err != nil {
		return nil, err
	}
	return e, nil
}

// family builds a family's images once, the first time it is asked for.
func family[T any](fill func(*T) error) func() (*T, error) {
	return sync.OnceValues(func() (*T, error) {
		v := new(T)
		return v, fill(v)
	})
}

// need returns a family, building it on first use; a family that failed
// to build fails every test that needs it.
func need[T any](t testing.TB, family func() (T, error)) T {
	t.Helper()
	v, err := family()
	if err != nil {
		t.Fatalf("building the test images: %v", err)
	}
	return v
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// bin is a binary built for this run: verinit or init.
func (e *env) bin(name string) string { return filepath.Join(e.dir, "bin", name) }

// boot boots the named disks with verinit's initramfs and the kernel
// command line extra.
func (e *env) boot(t testing.TB, disks []string, extra string) vmtest.Result {
	t.Helper()
	return e.bootWith(t, e.initrd, disks, extra)
}

// bootWith is boot with another initramfs.
func (e *env) bootWith(t testing.TB, initrd string, disks []string, extra string) vmtest.Result {
	t.Helper()
	return e.bootOpts(t, vmtest.Boot{Initrd: initrd, Disks: disks, Cmdline: extra})
}

// bootOpts is a boot with more than disks and a command line; the
// initramfs defaults to verinit's plain one.
func (e *env) bootOpts(t testing.TB, o vmtest.Boot) vmtest.Result {
	t.Helper()
	if o.Initrd == "" {
		o.Initrd = e.initrd
	}
	e.images(t, o.Disks...)
	if o.HotAdd != nil {
		e.images(t, o.HotAdd.Disk)
	}
	return e.Boot(t, o)
}

// images builds the families that make the named disks, so that a case
// needs to ask only for the values it uses.
func (e *env) images(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		switch {
		case n == "main" || n == "second" || n == "garbage":
			e.baseImages(t)
		case strings.HasPrefix(n, "verity"):
			e.verity(t)
		case n == "ab-sig":
			e.sig(t)
		case strings.HasPrefix(n, "ab"):
			e.ab(t)
		case strings.HasPrefix(n, "created"):
			e.created(t)
		case strings.HasPrefix(n, "lvm"):
			e.lvm(t)
		case strings.HasPrefix(n, "blob"):
			e.corrupt(t)
		case n == "sha1" || n == "rsa-sig":
			e.policy(t)
		case strings.HasPrefix(n, "chain"):
			e.chain(t)
		case strings.HasPrefix(n, "usr"):
			e.usr(t)
		}
	}
}
