package modules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/elfarch"
)

// ReadFunc returns the contents of the module file at p, a path relative
// to the modules directory such as "kernel/fs/ext4/ext4.ko.xz",
// decompressed: the packer passes its own reader, which knows the
// compression methods.
type ReadFunc func(p string) ([]byte, error)

// HasDepmodFiles reports whether the modules directory fsys has the
// modules.dep that depmod writes; without it, [Scan] computes what depmod
// would have written.
func HasDepmodFiles(fsys fs.FS) bool {
	fi, err := fs.Stat(fsys, "modules.dep")
	return err == nil && fi.Mode().IsRegular()
}

// Scan returns the module metadata of the modules directory fsys without
// depmod's files, as from a Buildroot or Yocto staging tree before depmod
// runs or an extracted kernel package: it reads every module under fsys
// and computes what depmod (kmod 30, tools/depmod.c) would write to
// modules.dep, modules.alias and modules.softdep. modules.builtin and
// modules.builtin.modinfo come with the kernel build and are read as
// [LoadDB] reads them.
//
// As depmod does, it takes a module's dependencies from symbols, not from
// its depends= (which modpost wrote from the symbols the build knew): a
// module depends on the module that exports a symbol it leaves undefined
// (see readObject), and DepEntry.Deps is the closure. When two modules
// export one symbol, the later in modules.order wins, as in depmod;
// modules that modules.order does not list come after the listed ones, by
// path. Aliases and softdeps are the module's own alias= and softdep=
// records, under the module's name from its file name.
//
// Modules are the files whose names end in .ko, .ko.xz, .ko.zst or .ko.gz,
// outside directories named build or source (depmod's exclusions);
// symbolic links to directories are not followed. A module
// name found twice is an error, unless one of the files is under updates/,
// which wins as with depmod's default search order. A dependency cycle is
// an error, as it is for depmod.
func Scan(fsys fs.FS, read ReadFunc) (*DB, error) {
	mods, err := scanModules(fsys, read)
	if err != nil {
		return nil, err
	}
	return assemble(fsys, mods)
}

// assemble makes the DB of the scanned modules of fsys.
func assemble(fsys fs.FS, mods []scanned) (*DB, error) {
	db := &DB{}
	if err := loadBuiltin(fsys, db); err != nil {
		return nil, err
	}
	deps := symbolDeps(mods)
	closure, err := closures(mods, deps)
	if err != nil {
		return nil, err
	}
	db.Deps = make([]DepEntry, len(mods))
	for i, m := range mods {
		e := DepEntry{Name: m.name, Path: m.path}
		for _, j := range closure[i] {
			e.Deps = append(e.Deps, mods[j].path)
		}
		slices.Sort(e.Deps)
		db.Deps[i] = e
		for _, a := range m.info.Aliases {
			db.Aliases = append(db.Aliases, Alias{Pattern: a, Name: m.name})
		}
		for _, sd := range m.info.Softdeps {
			sd.Name = m.name
			db.Softdeps = append(db.Softdeps, sd)
		}
	}
	return db, nil
}

// scanned is one module file read by scanModules.
type scanned struct {
	name, path string
	obj        object
	info       Modinfo
}

// scanModules reads every module under fsys, in depmod's order.
func scanModules(fsys fs.FS, read ReadFunc) ([]scanned, error) {
	byName := make(map[string]string) // module name -> path
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("modules: %w", err)
		}
		if d.IsDir() {
			return skipDir(p, d)
		}
		if _, _, ok := SplitModulePath(p); !ok {
			return nil
		}
		if !d.Type().IsRegular() {
			fi, err := fs.Stat(fsys, p) // a symbolic link: to a module file?
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		}
		name, reason := checkRelPath(p)
		if reason != "" {
			return &FormatError{File: "modules directory", Field: "module file", Value: p, Msg: reason}
		}
		if prev, dup := byName[name]; dup {
			switch prevUp, up := strings.HasPrefix(prev, "updates/"), strings.HasPrefix(p, "updates/"); {
			case prevUp && !up:
				return nil
			case !up || prevUp:
				return fmt.Errorf("modules: module %s is both %s and %s: remove one (depmod would take either)", name, prev, p)
			}
		}
		if len(byName) >= maxDepLines {
			return fmt.Errorf("modules: more than %d module files", maxDepLines)
		}
		byName[name] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(byName))
	for _, p := range byName {
		paths = append(paths, p)
	}
	order, err := readOrder(fsys)
	if err != nil {
		return nil, err
	}
	// modules.order names uncompressed paths (kernel/fs/ext4/ext4.ko).
	rank := func(p string) int {
		ko, _, _ := SplitModulePath(p)
		if i := order[ko]; i > 0 {
			return i
		}
		return len(order) + 1
	}
	slices.SortFunc(paths, func(a, b string) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})

	mods := make([]scanned, len(paths))
	for i, p := range paths {
		data, err := read(p)
		if err != nil {
			return nil, fmt.Errorf("modules: read %s: %w", p, err)
		}
		obj, err := readObject(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("modules: %s: %w", p, err)
		}
		info, err := ParseModinfo(obj.modinfo)
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				fe.File = p + " " + fe.File
			}
			return nil, err
		}
		obj.modinfo = nil
		mods[i] = scanned{name: Name(p), path: p, obj: obj, info: info}
	}
	return mods, nil
}

// skipDir returns fs.SkipDir for the directories depmod does not search:
// build and source, the links into the kernel's build tree that
// distributions leave in the modules directory (should_exclude_dir).
func skipDir(p string, d fs.DirEntry) error {
	if p != "." && (d.Name() == "build" || d.Name() == "source") {
		return fs.SkipDir
	}
	return nil
}

// readOrder reads modules.order, the modules of the kernel build in the
// order of its Makefiles: path -> 1-based position. The file is optional.
func readOrder(fsys fs.FS) (map[string]int, error) {
	order := make(map[string]int)
	err := parseFile(fsys, "modules.order", false, func(r io.Reader) error {
		return scanLines(r, "modules.order", maxDepLineBytes, maxDepLines, func(n int, line string) error {
			if line = strings.TrimSpace(line); !isComment(line) {
				if p := path.Clean(line); order[p] == 0 {
					order[p] = len(order) + 1 // 0: not listed
				}
			}
			return nil
		})
	})
	return order, err
}

// symbolDeps returns, for each module, the modules exporting a symbol it
// needs (indexes into mods, sorted, without itself), as depmod's
// depmod_load_dependencies finds them.
func symbolDeps(mods []scanned) [][]int {
	owner := make(map[string]int)
	for i, m := range mods {
		for _, s := range m.obj.exports {
			owner[s] = i // the later module wins, as depmod's hash_add replaces
		}
	}
	deps := make([][]int, len(mods))
	for i, m := range mods {
		for _, s := range m.obj.needs {
			s = strings.TrimPrefix(s, ".") // ppc64: .foo is foo (depmod_symbol_find)
			if j, ok := owner[s]; ok && j != i {
				deps[i] = append(deps[i], j)
			}
		}
		slices.Sort(deps[i])
		deps[i] = slices.Compact(deps[i])
	}
	return deps
}

// closures returns the dependency closure of each module, or an error
// naming a cycle.
func closures(mods []scanned, deps [][]int) ([][]int, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]uint8, len(mods))
	closure := make([][]int, len(mods))
	var stack []int
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			start := slices.Index(stack, i)
			var names []string
			for _, j := range stack[start:] {
				names = append(names, mods[j].name)
			}
			return fmt.Errorf("modules: dependency cycle: %s -> %s", strings.Join(names, " -> "), mods[i].name)
		}
		state[i] = visiting
		stack = append(stack, i)
		var all []int
		for _, j := range deps[i] {
			if err := visit(j); err != nil {
				return err
			}
			all = append(all, j)
			all = append(all, closure[j]...)
		}
		slices.Sort(all)
		closure[i] = slices.Compact(all)
		stack = stack[:len(stack)-1]
		state[i] = done
		return nil
	}
	for i := range mods {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return closure, nil
}

// Machine returns the ELF header of the first module file under fsys (in
// lexical order, skipping what [Scan] skips) and its path: the
// architecture of the kernel the modules were built for. It returns an
// error wrapping fs.ErrNotExist if there is no module file.
func Machine(fsys fs.FS, read ReadFunc) (elfarch.Header, string, error) {
	var found string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("modules: %w", err)
		}
		if d.IsDir() {
			return skipDir(p, d)
		}
		if _, _, ok := SplitModulePath(p); ok && d.Type().IsRegular() {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return elfarch.Header{}, "", err
	}
	if found == "" {
		return elfarch.Header{}, "", fmt.Errorf("modules: no module file (.ko, .ko.xz, .ko.zst, .ko.gz): %w", fs.ErrNotExist)
	}
	data, err := read(found)
	if err != nil {
		return elfarch.Header{}, found, fmt.Errorf("modules: read %s: %w", found, err)
	}
	h, err := elfarch.Parse(data)
	if err != nil {
		return elfarch.Header{}, found, fmt.Errorf("modules: %s: %w", found, err)
	}
	return h, found, nil
}
