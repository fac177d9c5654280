package modules

import (
	"bytes"
	"debug/elf"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/verinit/verinit/internal/testkernel"
	"github.com/verinit/verinit/pkg/dps"
)

// mapRead reads module files from a MapFS, "decompressing" the ones whose
// name says so by taking their contents as they are.
func mapRead(fsys fstest.MapFS) ReadFunc {
	return func(p string) ([]byte, error) {
		f, ok := fsys[p]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return f.Data, nil
	}
}

// scanTree is a small module tree: a storage stack whose dependencies come
// only from symbols (modversions and not), with aliases and softdeps.
func scanTree() fstest.MapFS {
	obj := func(o testObject) *fstest.MapFile { return &fstest.MapFile{Data: objectBytes(o)} }
	return fstest.MapFS{
		"modules.order":           {Data: []byte("kernel/drivers/virtio/virtio.ko\nkernel/drivers/block/virtio_blk.ko\nkernel/lib/crc-a.ko\nkernel/lib/crc-b.ko\n")},
		"modules.builtin":         {Data: []byte("kernel/fs/ext4/ext4.ko\n")},
		"modules.builtin.modinfo": {Data: []byte("ext4.alias=fs-ext4\x00")},
		"kernel/drivers/virtio/virtio.ko": obj(testObject{crcs: []string{"register_virtio_driver", "virtqueue_kick"}, undef: []string{"printk"},
			modinfo: []string{"license=GPL"}}),
		// a weak use counts, and depends= is not read
		"kernel/drivers/block/virtio_blk.ko.xz": obj(testObject{weak: []string{"virtqueue_kick"}, undef: []string{"register_virtio_driver", "crc_x"},
			modinfo: []string{"alias=virtio:d00000002v*", "depends=nonsense", "softdep=pre: crc-b"}}),
		// both export crc_x: the later in modules.order wins
		"kernel/lib/crc-a.ko": obj(testObject{ksymtab: []string{"crc_x"}}),
		"kernel/lib/crc-b.ko": obj(testObject{ksymtab: []string{"crc_x"}}),
		// not in modules.order; its use of virtio goes through its symbols
		"extra/out-of-tree.ko.zst": obj(testObject{undef: []string{"virtqueue_kick", "module_layout"}, versions: []string{"module_layout", "register_virtio_driver"},
			modinfo: []string{"alias=of:N*T*Cvendor,disk", "alias=of:N*T*Cvendor,diskC*"}}),
		// skipped, as depmod skips them
		"build/kernel/x.ko":        obj(testObject{}),
		"source/y.ko":              obj(testObject{}),
		".hidden/z.ko":             obj(testObject{}), // not skipped: depmod searches hidden directories
		"kernel/drivers/README.ko": {Data: []byte("not ELF"), Mode: fs.ModeDir},
		"kernel/notamodule.txt":    {Data: []byte("x")},
	}
}

func TestScan(t *testing.T) {
	tree := scanTree()
	delete(tree, "kernel/drivers/README.ko")
	db, err := Scan(tree, mapRead(tree))
	if err != nil {
		t.Fatal(err)
	}
	want := &DB{
		Deps: []DepEntry{
			{Name: "virtio", Path: "kernel/drivers/virtio/virtio.ko"},
			{Name: "virtio_blk", Path: "kernel/drivers/block/virtio_blk.ko.xz", Deps: []string{"kernel/drivers/virtio/virtio.ko", "kernel/lib/crc-b.ko"}},
			{Name: "crc_a", Path: "kernel/lib/crc-a.ko"},
			{Name: "crc_b", Path: "kernel/lib/crc-b.ko"},
			{Name: "z", Path: ".hidden/z.ko"},
			{Name: "out_of_tree", Path: "extra/out-of-tree.ko.zst", Deps: []string{"kernel/drivers/virtio/virtio.ko"}},
		},
		Softdeps:       []Softdep{{Name: "virtio_blk", Pre: []string{"crc_b"}}},
		Builtin:        []string{"kernel/fs/ext4/ext4.ko"},
		Aliases:        []Alias{{Pattern: "virtio:d00000002v*", Name: "virtio_blk"}, {Pattern: "of:N*T*Cvendor,disk", Name: "out_of_tree"}, {Pattern: "of:N*T*Cvendor,diskC*", Name: "out_of_tree"}},
		BuiltinAliases: []Alias{{Pattern: "fs-ext4", Name: "ext4"}},
	}
	if !reflect.DeepEqual(db, want) {
		t.Errorf("Scan =\n%#v\nwant\n%#v", db, want)
	}
	h, p, err := Machine(tree, mapRead(tree))
	if err != nil || h.Arch() != dps.ArchX86_64 || p != ".hidden/z.ko" {
		t.Errorf("Machine = %v, %s, %v; want x86-64 from the first module file", h, p, err)
	}
	plan, err := Resolve(db, []string{"virtio_blk", "of:NdiskT(null)Cvendor,disk", "fs-ext4"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range plan.Modules {
		names = append(names, m.Name)
	}
	if want := []string{"crc_b", "virtio", "virtio_blk", "out_of_tree"}; !reflect.DeepEqual(names, want) || !reflect.DeepEqual(plan.Builtin, []string{"ext4"}) {
		t.Errorf("Resolve = %q, built in %q; want %q, [ext4]", names, plan.Builtin, want)
	}
}

// TestScanDepmod writes scanTree's uncompressed modules to disk and checks
// that depmod gives them the dependencies, aliases and softdeps Scan does.
func TestScanDepmod(t *testing.T) {
	tree := scanTree()
	dir := filepath.Join(t.TempDir(), "6.1.0-test")
	files := fstest.MapFS{}
	for p, f := range tree {
		if f.Mode.IsDir() {
			continue
		}
		ko, c, ok := SplitModulePath(p)
		if ok && c != "" {
			p = ko // depmod would need real compression
		}
		files[p] = f
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Scan(os.DirFS(dir), readPlain(dir))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadDB(os.DirFS(testkernel.RunDepmod(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	checkSameDB(t, db, ref)
}

func TestScanErrors(t *testing.T) {
	obj := func(o testObject) *fstest.MapFile { return &fstest.MapFile{Data: objectBytes(o)} }
	for _, tc := range []struct {
		name    string
		tree    fstest.MapFS
		wantErr string
	}{
		{"same name twice", fstest.MapFS{"kernel/a/dm-mod.ko": obj(testObject{}), "extra/dm_mod.ko.xz": obj(testObject{})},
			"module dm_mod is both extra/dm_mod.ko.xz and kernel/a/dm-mod.ko: remove one"},
		{"cycle", fstest.MapFS{
			"a.ko": obj(testObject{ksymtab: []string{"fa"}, undef: []string{"fb"}}),
			"b.ko": obj(testObject{ksymtab: []string{"fb"}, undef: []string{"fc"}}),
			"c.ko": obj(testObject{ksymtab: []string{"fc"}, undef: []string{"fa"}}),
		}, "modules: dependency cycle: a -> b -> c -> a"},
		{"not ELF", fstest.MapFS{"kernel/a.ko": {Data: []byte("#!/bin/sh\n")}}, "modules: kernel/a.ko: elfarch: not an ELF file"},
		{"bad alias", fstest.MapFS{"kernel/a.ko": obj(testObject{modinfo: []string{"license=GPL", "alias=x["}})},
			`modules: kernel/a.ko .modinfo line 2: alias "x[": malformed glob`},
		{"bad file name", fstest.MapFS{"kernel/a b.ko": obj(testObject{})}, `module file "kernel/a b.ko": not printable ASCII`},
		{"unreadable", fstest.MapFS{"kernel/gone.ko": obj(testObject{})}, "modules: read kernel/gone.ko: file does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := mapRead(tc.tree)
			if tc.name == "unreadable" {
				read = func(string) ([]byte, error) { return nil, fs.ErrNotExist }
			}
			_, err := Scan(tc.tree, read)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Scan: %v, want one line containing %q", err, tc.wantErr)
			}
		})
	}
	// updates/ wins over the same module elsewhere, as with depmod.
	tree := fstest.MapFS{"kernel/a/dm-mod.ko": obj(testObject{}), "updates/dm_mod.ko": obj(testObject{machine: elf.EM_AARCH64})}
	db, err := Scan(tree, mapRead(tree))
	if err != nil || len(db.Deps) != 1 || db.Deps[0].Path != "updates/dm_mod.ko" {
		t.Errorf("Scan with updates/ = %+v, %v", db, err)
	}
	if _, _, err := Machine(fstest.MapFS{"modules.order": {}}, mapRead(nil)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Machine of a tree without modules: %v", err)
	}
}

// FuzzReadObject: a module file is input; reading it must not panic and
// its .modinfo must be bounded.
func FuzzReadObject(f *testing.F) {
	f.Add(objectBytes(testObject{modinfo: []string{"alias=virtio:d00000002v*"}, crcs: []string{"a"}, undef: []string{"b"}, versions: []string{"module_layout"}}))
	f.Add(objectBytes(testObject{class: elf.ELFCLASS32, machine: elf.EM_ARM, ksymtab: []string{"a", "NS"}, weak: []string{"w"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := readObject(bytes.NewReader(data))
		if err == nil && len(o.modinfo) > maxModinfoBytes {
			t.Fatalf(".modinfo of %d bytes accepted", len(o.modinfo))
		}
	})
}
