package modules

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/verinit/verinit/internal/testkernel"
)

// realTree is a Debian kernel's modules directory, scanned once per test
// binary.
type realTree struct {
	label string // Debian architecture: amd64, arm64, armhf
	dir   string
	once  sync.Once
	mods  []scanned
	db    *DB
	err   error
}

var realTrees = map[string]*realTree{"amd64": {label: "amd64"}, "arm64": {label: "arm64"}, "armhf": {label: "armhf"}}

// scannedTree returns the scanned modules and DB of the Debian tree of
// debArch: the host's /lib/modules for amd64, the cache's for the others.
// It fails t when the tree is missing, unless VERINIT_NO_KERNEL=1.
func scannedTree(t *testing.T, debArch string) *realTree {
	t.Helper()
	rt := realTrees[debArch]
	dir := ""
	if debArch == "amd64" {
		dir = kernelModulesDir(t)
	} else {
		dir = testkernel.Foreign(t, debArch)
	}
	rt.once.Do(func() {
		rt.dir = dir
		fsys := os.DirFS(dir)
		rt.mods, rt.err = scanModules(fsys, readPlain(dir))
		if rt.err == nil {
			rt.db, rt.err = assemble(fsys, rt.mods)
		}
	})
	if rt.err != nil {
		t.Fatalf("Scan(%s): %v", rt.dir, rt.err)
	}
	return rt
}

// readPlain reads uncompressed module files, as Debian 12 ships them.
func readPlain(dir string) ReadFunc {
	return func(p string) ([]byte, error) {
		if _, c, _ := SplitModulePath(p); c != "" {
			return nil, fmt.Errorf("%s: compressed; this test reads only plain modules", p)
		}
		return os.ReadFile(filepath.Join(dir, p))
	}
}

// TestScanMatchesDepmod: on Debian's amd64, arm64 and armhf module trees,
// Scan gives every module the dependencies depmod gives it, and the same
// aliases and softdeps. It also measures how modpost's depends= compares
// with depmod's answer.
func TestScanMatchesDepmod(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64", "armhf"} {
		t.Run(arch, func(t *testing.T) {
			rt := scannedTree(t, arch)
			ref, err := LoadDB(os.DirFS(testkernel.RunDepmod(t, rt.dir)))
			if err != nil {
				t.Fatalf("LoadDB(depmod's output): %v", err)
			}
			checkSameDB(t, rt.db, ref)
			compareDepends(t, rt.mods, ref)
		})
	}
}

// checkSameDB compares got with depmod's DB: the modules and their paths,
// each module's dependency set, the aliases and the softdeps.
func checkSameDB(t *testing.T, got, ref *DB) {
	t.Helper()
	gotDeps, refDeps := depSets(got), depSets(ref)
	if len(gotDeps) != len(refDeps) {
		t.Errorf("%d modules, depmod lists %d", len(gotDeps), len(refDeps))
	}
	paths := make(map[string]string)
	for _, e := range ref.Deps {
		paths[e.Name] = e.Path
	}
	differ, edges := 0, 0
	for _, e := range got.Deps {
		if paths[e.Name] != e.Path {
			t.Errorf("module %s: path %s, depmod's %q", e.Name, e.Path, paths[e.Name])
		}
		edges += len(gotDeps[e.Name])
		if g, w := gotDeps[e.Name], refDeps[e.Name]; !slices.Equal(g, w) {
			if differ++; differ <= 10 {
				t.Errorf("module %s: dependencies %q, depmod's %q", e.Name, g, w)
			}
		}
	}
	t.Logf("modules.dep: %d modules, %d dependency pairs (closure), %d modules differ from depmod", len(got.Deps), edges, differ)

	ga, ra := aliasLines(got.Aliases), aliasLines(ref.Aliases)
	of := 0
	for _, a := range ga {
		if strings.HasPrefix(a, "of:") {
			of++
		}
	}
	if !slices.Equal(ga, ra) {
		onlyGot, onlyRef := diff(ga, ra), diff(ra, ga)
		t.Errorf("modules.alias: %d aliases, depmod %d; only ours (first 5): %q; only depmod's: %q",
			len(ga), len(ra), onlyGot[:min(5, len(onlyGot))], onlyRef[:min(5, len(onlyRef))])
	}
	t.Logf("modules.alias: %d aliases (%d of:), depmod %d", len(ga), of, len(ra))

	gs, rs := softdepLines(got.Softdeps), softdepLines(ref.Softdeps)
	if !slices.Equal(gs, rs) {
		t.Errorf("modules.softdep:\n ours   %q\n depmod %q", gs, rs)
	}
	t.Logf("modules.softdep: %d softdeps, depmod %d", len(gs), len(rs))
}

// depSets returns each module's dependency names, sorted.
func depSets(db *DB) map[string][]string {
	out := make(map[string][]string, len(db.Deps))
	for _, e := range db.Deps {
		var names []string
		for _, d := range e.Deps {
			names = append(names, Name(d))
		}
		slices.Sort(names)
		out[e.Name] = names
	}
	return out
}

func aliasLines(as []Alias) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Pattern + " " + a.Name
	}
	slices.Sort(out)
	return out
}

func softdepLines(sds []Softdep) []string {
	var out []string
	for _, sd := range sds {
		out = append(out, fmt.Sprintf("%s pre: %s post: %s", sd.Name, strings.Join(sd.Pre, " "), strings.Join(sd.Post, " ")))
	}
	slices.Sort(out)
	return out
}

// diff returns the elements of a (sorted) that b (sorted) lacks.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

// compareDepends logs how the modules' depends= records compare with the
// dependencies from symbols: direct ones with Scan's symbol resolution,
// their closure with depmod's modules.dep. It fails only if depends= names
// a module the tree lacks.
func compareDepends(t *testing.T, mods []scanned, ref *DB) {
	t.Helper()
	byName := make(map[string]int, len(mods))
	for i, m := range mods {
		byName[m.name] = i
	}
	direct := symbolDeps(mods)
	declared := make([][]int, len(mods))
	directDiffer := 0
	for i, m := range mods {
		for _, d := range m.info.Depends {
			j, ok := byName[d]
			if !ok {
				t.Errorf("%s: depends= names %s, which the tree lacks", m.path, d)
				continue
			}
			declared[i] = append(declared[i], j)
		}
		slices.Sort(declared[i])
		declared[i] = slices.Compact(declared[i])
		if !slices.Equal(declared[i], direct[i]) {
			if directDiffer++; directDiffer <= 5 {
				t.Logf("  %s: depends= %v, from symbols %v", m.name, names(mods, declared[i]), names(mods, direct[i]))
			}
		}
	}
	closure, err := closures(mods, declared)
	if err != nil {
		t.Logf("depends= has a cycle: %v", err)
		return
	}
	refDeps := depSets(ref)
	closureDiffer := 0
	for i, m := range mods {
		got := names(mods, closure[i])
		slices.Sort(got)
		if !slices.Equal(got, refDeps[m.name]) {
			closureDiffer++
		}
	}
	t.Logf("depends=: %d of %d modules differ from the symbols' direct dependencies, %d from depmod's modules.dep", directDiffer, len(mods), closureDiffer)
}

func names(mods []scanned, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, mods[i].name)
	}
	return out
}
