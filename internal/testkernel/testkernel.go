// Package testkernel finds the Debian kernel module trees that unit tests
// check the packer against: the host's under /lib/modules and the foreign
// ones (arm64, armhf) that scripts/prereqs.sh downloads and extracts into
// a cache directory. A test that needs a tree fails when it is missing,
// so that CI never passes by skipping; VERINIT_NO_KERNEL=1 skips them
// instead, for machines without the trees.
package testkernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// DefaultCache is where scripts/prereqs.sh extracts Debian's kernel
// packages for other architectures, one directory per Debian
// architecture (arm64, armhf) holding the package's files (boot/,
// lib/modules/RELEASE/, ...). VERINIT_KERNEL_CACHE overrides it, for
// prereqs.sh and the tests alike.
const DefaultCache = "/var/cache/verinit/kernels"

// Cache returns the cache directory of the foreign kernel packages.
func Cache() string {
	if d := os.Getenv("VERINIT_KERNEL_CACHE"); d != "" {
		return d
	}
	return DefaultCache
}

// skipUnlessWanted skips t when VERINIT_NO_KERNEL=1.
func skipUnlessWanted(t testing.TB) {
	t.Helper()
	if os.Getenv("VERINIT_NO_KERNEL") == "1" {
		t.Skip("VERINIT_NO_KERNEL=1: not testing against real kernel module trees")
	}
}

// Foreign returns the modules directory (lib/modules/RELEASE) of the
// Debian kernel package of debArch ("arm64", "armhf") in the cache. It
// fails t if there is none, unless VERINIT_NO_KERNEL=1 (then it skips).
// With several releases it takes the last in byte order.
func Foreign(t testing.TB, debArch string) string {
	t.Helper()
	skipUnlessWanted(t)
	// Debian 12's packages install to /lib/modules, later ones to
	// /usr/lib/modules.
	var rels []string
	for _, base := range []string{"lib/modules", "usr/lib/modules"} {
		base = filepath.Join(Cache(), debArch, base)
		entries, _ := os.ReadDir(base)
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(base, e.Name(), "modules.builtin")); err == nil && e.IsDir() {
				rels = append(rels, filepath.Join(base, e.Name()))
			}
		}
	}
	if len(rels) == 0 {
		t.Fatalf("no Debian %s kernel modules under %s: run scripts/prereqs.sh as root (it downloads and extracts the kernel package), "+
			"or set VERINIT_NO_KERNEL=1 to skip the tests that need one", debArch, filepath.Join(Cache(), debArch, "lib", "modules"))
	}
	return slices.Max(rels)
}

// Depmod returns the path of kmod's depmod. It fails t if there is none,
// unless VERINIT_NO_KERNEL=1 (then it skips).
func Depmod(t testing.TB) string {
	t.Helper()
	skipUnlessWanted(t)
	for _, p := range []string{"depmod", "/usr/sbin/depmod", "/sbin/depmod"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("no depmod: install kmod (scripts/prereqs.sh does), or set VERINIT_NO_KERNEL=1 to skip the tests that need it")
	return ""
}

// RunDepmod runs depmod on the modules directory dir, as `depmod -b` on a
// copy of the tree, and returns the directory holding its output
// (modules.dep, modules.alias, modules.softdep, ...). The copy links to
// dir's module directories and copies nothing, and depmod reads no
// configuration (-C on an empty directory), so its answer depends on the
// modules alone, as the packer's does.
func RunDepmod(t testing.TB, dir string) string {
	t.Helper()
	depmod := Depmod(t)
	release := filepath.Base(dir)
	base := t.TempDir()
	out := filepath.Join(base, "lib", "modules", release)
	conf := filepath.Join(base, "depmod.d")
	for _, d := range []string{out, conf} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		keep := e.IsDir() && e.Name() != "build" && e.Name() != "source" ||
			slices.Contains([]string{"modules.order", "modules.builtin", "modules.builtin.modinfo"}, e.Name())
		if keep {
			if err := os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(out, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(depmod, "-b", base, "-C", conf, release)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, b)
	}
	return out
}
