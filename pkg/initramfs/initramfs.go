package initramfs

import (
	"bytes"
	"cmp"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/elfarch"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Size caps for what Build reads from the host. The newc format itself stops
// at 4 GiB per file.
const (
	maxFileBytes   = 1 << 30   // the init and each extra file
	maxModuleBytes = 256 << 20 // each module, compressed and uncompressed
)

// Paths inside the archive.
const (
	initPath          = "/init"
	initrdReleasePath = "/etc/initrd-release"
	modulesRoot       = "/lib/modules"
)

// FileMap copies the host file Src to Dst, an absolute path in the archive.
type FileMap struct {
	Src string
	Dst string
}

// Spec says what goes into the initramfs.
type Spec struct {
	// Init is the host path of the init binary, packed as /init with mode
	// 0755. An ELF init must be built for the machine of the modules (a
	// script is not checked).
	Init string
	// ModulesDir is the modules directory of the target kernel, for example
	// /lib/modules/6.1.0-56-amd64; "" packs no modules (and an empty load list).
	ModulesDir string
	// KernelRelease is the target kernel release; modules go under
	// /lib/modules/KernelRelease and it is recorded in /etc/initrd-release.
	// "" means the base name of ModulesDir.
	KernelRelease string
	// Modules are module names or aliases to pack with their dependencies,
	// loaded at start; nil means modules.DefaultSet of the modules'
	// architecture, whose storage drivers load by modalias and
	// device-mapper and file system modules when the init is about to use
	// them. Needs ModulesDir, which need not have depmod's files: without
	// modules.dep the dependencies and aliases are computed from the
	// modules (modules.Scan).
	Modules []string
	// Wants, when not nil, replace the default set with these modules,
	// each loading as its class says (verinit initramfs --host-only);
	// Modules must then be nil.
	Wants []modules.Want
	// DB is ModulesDir's module metadata when the caller has read it
	// already (ModulesDB, for Wants): it is not read again.
	DB *ModuleDB
	// AddModules are module names or aliases packed besides Modules (or
	// the default set), each loading when the init can first ask for it
	// (modules.Added): a file system when mounted, a driver when a device
	// matches it.
	AddModules []string
	// Eager loads every packed module at start, as if each were named in
	// Modules: the behaviour before loading by need.
	Eager bool
	// Files are extra host files to pack. A file is packed 0755 if its source
	// has any execute bit, else 0644. Parent directories are created 0755.
	Files []FileMap
	// Contents are generated files (such as the policy), packed 0644:
	// archive path -> bytes.
	Contents map[string][]byte
	// Compression is "zstd" (the default for ""), "gzip", "xz" or "none".
	// The kernel needs the matching CONFIG_RD_* option: see CheckKernel.
	Compression string
	// MTime is the modification time of every record: pass SOURCE_DATE_EPOCH,
	// or the zero Time for 1970-01-01.
	MTime time.Time
}

// Report describes a built initramfs.
type Report struct {
	// Arch is the architecture of the modules (from their ELF header),
	// "" without modules or when DPS names none for their machine.
	Arch dps.Arch
	// Computed is true when the modules directory had no modules.dep and
	// their dependencies and aliases were computed from the modules.
	Computed bool
	Modules  []string // modules packed, in load order
	Builtin  []string // requested or needed modules built into the kernel
	Missing  []string // requested modules not found (not packed)
	// Classes counts the packed modules by when the init loads them
	// (indexed by loadlist.Class); Aliases the aliases in the load list.
	Classes map[loadlist.Class]int
	Aliases int
	Files   int // archive entries (directories, nodes, files), without the trailer
	// UncompressedBytes is the size of the cpio archive; CompressedBytes
	// what was written to w.
	UncompressedBytes, CompressedBytes int64
	// InitBuild is what the init carries (InitBuild); without TPM, the
	// default set has no TPM drivers.
	InitBuild feature.Build
}

// Build writes the initramfs described by spec to w as a newc cpio archive,
// compressed as spec says. Everything is checked and the modules are read
// before the first byte is written, but on error w may still hold part of an
// archive; write to a temporary file and rename it.
func Build(w io.Writer, spec Spec) (Report, error) {
	rep, err := buildArchive(w, spec)
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

func buildArchive(w io.Writer, spec Spec) (Report, error) {
	var rep Report
	mtime, err := recordTime(spec.MTime)
	if err != nil {
		return rep, err
	}
	method := spec.Compression
	if method == "" {
		method = CompressionZstd
	}
	if !slices.Contains([]string{CompressionGzip, CompressionZstd, CompressionXZ, CompressionNone}, method) {
		return rep, fmt.Errorf("initramfs: unknown compression %q (want gzip, zstd, xz or none)", method)
	}
	t, err := plan(spec, &rep)
	if err != nil {
		return rep, err
	}

	cw := &countWriter{w: w}
	zw, err := newCompressor(method, cw)
	if err != nil {
		return rep, fmt.Errorf("initramfs: %w", err)
	}
	uw := &countWriter{w: zw}
	rw := cpio.Newc.Writer(uw)
	names := t.sortedNames()
	for i, name := range names {
		if err := writeEntry(rw, t.entries[name], uint64(i+1), mtime); err != nil {
			return rep, fmt.Errorf("initramfs: write /%s: %w", name, err)
		}
	}
	if err := cpio.WriteTrailer(rw); err != nil {
		return rep, fmt.Errorf("initramfs: write trailer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return rep, fmt.Errorf("initramfs: finish %s stream: %w", method, err)
	}
	rep.Files = len(names)
	rep.UncompressedBytes = uw.n
	rep.CompressedBytes = cw.n
	return rep, nil
}

// recordTime converts t to a newc mtime, which is an unsigned 32-bit count of
// seconds since 1970.
func recordTime(t time.Time) (uint64, error) {
	if t.IsZero() {
		return 0, nil
	}
	s := t.Unix()
	if s < 0 || s > math.MaxUint32 {
		return 0, fmt.Errorf("initramfs: mtime %v outside 1970..2106, which newc cannot hold", t.UTC())
	}
	return uint64(s), nil
}

// plan collects every entry of the archive, reading modules and checking
// sources, and fills in the module part of rep.
func plan(spec Spec, rep *Report) (*tree, error) {
	t := newTree()
	for _, d := range []struct {
		name string
		perm uint64
	}{
		{"/dev", 0o755}, {"/etc", 0o755}, {"/lib", 0o755}, {modulesRoot, 0o755},
		{"/proc", 0o755}, {"/root", 0o700}, {"/run", 0o755}, {"/sys", 0o755},
		{"/tmp", 0o1777},
	} {
		if err := t.add(d.name, &entry{mode: cpio.S_IFDIR | d.perm}); err != nil {
			return nil, err
		}
	}
	if err := t.add("/dev/console", &entry{mode: cpio.S_IFCHR | 0o600, rmajor: 5, rminor: 1}); err != nil {
		return nil, err
	}
	if err := t.add("/dev/null", &entry{mode: cpio.S_IFCHR | 0o666, rmajor: 1, rminor: 3}); err != nil {
		return nil, err
	}

	if spec.Init == "" {
		return nil, errors.New("initramfs: no init binary given")
	}
	size, _, err := statSource(spec.Init)
	if err != nil {
		return nil, fmt.Errorf("initramfs: init: %w", err)
	}
	initHeader, initIsELF, build, err := readInit(spec.Init)
	if err != nil {
		return nil, err
	}
	rep.InitBuild = build
	if err := t.add(initPath, &entry{mode: cpio.S_IFREG | 0o755, src: spec.Init, size: size}); err != nil {
		return nil, err
	}

	release := spec.KernelRelease
	if release == "" && spec.ModulesDir != "" {
		release = filepath.Base(filepath.Clean(spec.ModulesDir))
	}
	if release != "" && !validRelease(release) {
		return nil, fmt.Errorf("initramfs: kernel release %q is not a single path element of printable ASCII", release)
	}
	check := func(modulesHeader elfarch.Header, where string) error {
		if initIsELF && !initHeader.SameMachine(modulesHeader) {
			return fmt.Errorf("initramfs: init %s is built for %v, but the modules in %s are for %v (%s): pack the init built for %s",
				spec.Init, initHeader, spec.ModulesDir, modulesHeader, where, cmp.Or(string(modulesHeader.Arch()), "their machine"))
		}
		return nil
	}
	loadList, err := addModules(t, spec, release, rep, check)
	if err != nil {
		return nil, err
	}
	if err := t.add(loadlist.Path, &entry{mode: cpio.S_IFREG | 0o644, data: loadList}); err != nil {
		return nil, err
	}
	if err := t.add(initrdReleasePath, &entry{mode: cpio.S_IFREG | 0o644, data: initrdRelease(release)}); err != nil {
		return nil, err
	}

	for _, f := range spec.Files {
		if f.Src == "" {
			return nil, fmt.Errorf("initramfs: extra file %q: no source", f.Dst)
		}
		size, perm, err := statSource(f.Src)
		if err != nil {
			return nil, fmt.Errorf("initramfs: extra file %s: %w", f.Dst, err)
		}
		if err := t.add(f.Dst, &entry{mode: cpio.S_IFREG | perm, src: f.Src, size: size}); err != nil {
			return nil, err
		}
	}
	for dst, data := range spec.Contents {
		if err := t.add(dst, &entry{mode: cpio.S_IFREG | 0o644, data: data}); err != nil {
			return nil, fmt.Errorf("initramfs: %s: %w", dst, err)
		}
	}
	return t, nil
}

// addModules adds the resolved modules to t and returns the load list.
// check is called with the modules' ELF header and the module it was read
// from, before anything else is done with them.
func addModules(t *tree, spec Spec, release string, rep *Report, check func(elfarch.Header, string) error) ([]byte, error) {
	rep.Classes = make(map[loadlist.Class]int)
	var list loadlist.List
	if spec.ModulesDir == "" {
		if len(spec.Modules) > 0 || len(spec.AddModules) > 0 {
			return nil, errors.New("initramfs: modules requested but no modules directory given")
		}
	} else {
		fsys := os.DirFS(spec.ModulesDir)
		read := moduleReader(fsys)
		header, first, err := modules.Machine(fsys, read)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !modules.HasDepmodFiles(fsys):
			return nil, fmt.Errorf("initramfs: modules directory %s has neither module files nor modules.dep", spec.ModulesDir)
		case errors.Is(err, fs.ErrNotExist): // nothing to check
		case err != nil:
			return nil, fmt.Errorf("initramfs: modules directory %s: %w", spec.ModulesDir, err)
		default:
			if err := check(header, first); err != nil {
				return nil, err
			}
			rep.Arch = header.Arch()
		}
		mdb := spec.DB
		if mdb == nil {
			if mdb, err = loadDB(spec.ModulesDir, fsys); err != nil {
				return nil, err
			}
		}
		db := mdb.DB
		rep.Computed = mdb.Computed
		want := modules.DefaultSet(rep.Arch)
		if !rep.InitBuild.TPM {
			// An init that never opens a TPM has no use for its driver,
			// whose probe only slows the boot.
			tpm := modules.TPMDrivers(rep.Arch)
			want = slices.DeleteFunc(want, func(w modules.Want) bool { return slices.Contains(tpm, w.Name) })
		}
		if spec.Wants != nil {
			if spec.Modules != nil {
				return nil, errors.New("initramfs: both a module list and wanted modules given")
			}
			want = slices.Clone(spec.Wants)
		}
		if spec.Modules != nil {
			want = want[:0]
			for _, n := range spec.Modules {
				want = append(want, modules.Want{Name: n, Class: loadlist.Start})
			}
		}
		for _, n := range spec.AddModules {
			w, err := modules.Added(db, n)
			if err != nil {
				return nil, fmt.Errorf("initramfs: %w", err)
			}
			want = append(want, w)
		}
		names := make([]string, len(want))
		for i, w := range want {
			names[i] = w.Name
		}
		p, err := modules.Resolve(db, names)
		if err != nil {
			return nil, fmt.Errorf("initramfs: %w", err)
		}
		rep.Builtin, rep.Missing = p.Builtin, p.Missing
		dir := path.Join(modulesRoot, release)
		for _, m := range p.Modules {
			ko, compression, ok := modules.SplitModulePath(m.Path)
			if !ok {
				return nil, fmt.Errorf("initramfs: module %s: %q is not a module file", m.Name, m.Path)
			}
			data, err := readModule(fsys, m.Path, compression)
			if err != nil {
				return nil, fmt.Errorf("initramfs: module %s: %s: %w", m.Name, filepath.Join(spec.ModulesDir, m.Path), err)
			}
			// A tree may mix architectures (a module copied from another
			// kernel); the kernel would refuse the odd one at boot.
			if h, err := elfarch.Parse(data); first != "" && (err != nil || !h.SameMachine(header)) {
				return nil, fmt.Errorf("initramfs: module %s: %s is not built for %v like %s", m.Name, filepath.Join(spec.ModulesDir, m.Path), header, first)
			}
			if err := t.add(path.Join(dir, ko), &entry{mode: cpio.S_IFREG | 0o644, data: data}); err != nil {
				return nil, err
			}
			rep.Modules = append(rep.Modules, m.Name)
		}
		list, err = modules.LoadList(db, p, want, func(m modules.Module) string {
			ko, _, _ := modules.SplitModulePath(m.Path)
			return path.Join(dir, ko)
		})
		if err != nil {
			return nil, fmt.Errorf("initramfs: %w", err)
		}
		if spec.Eager {
			list = modules.Eager(list)
		}
		for _, e := range list.Modules {
			rep.Classes[e.Class]++
		}
		rep.Aliases = len(list.Aliases)
	}
	var buf bytes.Buffer
	if err := loadlist.Write(&buf, list); err != nil {
		return nil, fmt.Errorf("initramfs: load list: %w", err)
	}
	return buf.Bytes(), nil
}

// initrdRelease returns /etc/initrd-release, an os-release(5) file whose
// presence tells systemd and other tools they run in an initrd.
func initrdRelease(release string) []byte {
	s := "NAME=verinit\nID=verinit\nPRETTY_NAME=\"verinit initramfs\"\n"
	if release != "" {
		s += "VERINIT_KERNEL_RELEASE=" + release + "\n"
	}
	return []byte(s)
}

// validRelease reports whether a kernel release can be used as one path
// element and an unquoted os-release value.
func validRelease(r string) bool {
	if r == "." || r == ".." || len(r) > 255 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._+-~", c) >= 0) {
			return false
		}
	}
	return r != ""
}

// statSource checks that src is a regular file of at most maxFileBytes and
// returns its size and the permission to pack it with.
func statSource(src string) (size int64, perm uint64, err error) {
	fi, err := os.Stat(src)
	if err != nil {
		return 0, 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, 0, fmt.Errorf("%s: not a regular file (%v)", src, fi.Mode().Type())
	}
	if fi.Size() > maxFileBytes {
		return 0, 0, fmt.Errorf("%s: %d bytes; at most %d allowed", src, fi.Size(), maxFileBytes)
	}
	perm = 0o644
	if fi.Mode().Perm()&0o111 != 0 {
		perm = 0o755
	}
	return fi.Size(), perm, nil
}

// writeEntry writes one record with inode number ino and modification time
// mtime.
func writeEntry(rw cpio.RecordWriter, e *entry, ino, mtime uint64) error {
	rec := cpio.Record{Info: cpio.Info{
		Name:   e.name,
		Mode:   e.mode,
		Rmajor: e.rmajor,
		Rminor: e.rminor,
	}}
	switch {
	case e.data != nil:
		rec = cpio.StaticRecord(e.data, rec.Info)
	case e.src != "":
		f, err := os.Open(e.src)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.Size() != e.size {
			return fmt.Errorf("%s changed size while packing: %d bytes, was %d", e.src, fi.Size(), e.size)
		}
		// readerAt hides f's Close from WriteRecord; the defer closes it.
		rec.ReaderAt = readerAt{f}
		rec.FileSize = uint64(e.size)
	}
	rec = cpio.MakeReproducible(rec)
	rec.Ino = ino
	rec.MTime = mtime
	rec.NLink = 1
	if e.mode&cpio.S_IFMT == cpio.S_IFDIR {
		rec.NLink = 2
	}
	return rw.WriteRecord(rec)
}

type readerAt struct{ r io.ReaderAt }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) { return r.r.ReadAt(p, off) }

// readInit reads the ELF header of the init, and what it carries. An
// init that is not ELF (a script, which the kernel runs with the
// initramfs's /bin/sh) is not checked against the modules: ok is false.
func readInit(p string) (h elfarch.Header, ok bool, b feature.Build, err error) {
	f, err := os.Open(p)
	if err != nil {
		return h, false, b, fmt.Errorf("initramfs: init: %w", err)
	}
	defer f.Close()
	h, err = elfarch.Read(f)
	switch {
	case errors.Is(err, elfarch.ErrNotELF):
		return h, false, feature.Full(), nil
	case err != nil:
		return h, false, b, fmt.Errorf("initramfs: init %s: %w", p, err)
	}
	return h, true, InitBuild(f), nil
}

// InitBuild returns what the Go init in r carries (internal/feature),
// from the build tags its build information records. An init that is not
// a Go program has nothing to drop: Full.
func InitBuild(r io.ReaderAt) feature.Build {
	info, err := buildinfo.Read(r)
	if err != nil {
		return feature.Full()
	}
	for _, s := range info.Settings {
		if s.Key == "-tags" {
			return feature.FromTags(strings.Split(s.Value, ","))
		}
	}
	return feature.Full()
}

// moduleReader reads the module files of fsys for modules.Scan and
// modules.Machine, decompressing them.
func moduleReader(fsys fs.FS) modules.ReadFunc {
	return func(p string) ([]byte, error) {
		_, compression, ok := modules.SplitModulePath(p)
		if !ok {
			return nil, fmt.Errorf("%q is not a module file", p)
		}
		return readModule(fsys, p, compression)
	}
}

// ModuleDB is a modules directory's metadata: depmod's files, or without
// them (Computed) the same computed from the modules.
type ModuleDB struct {
	*modules.DB
	Computed bool
}

// ModulesDB reads the module metadata of the modules directory dir.
func ModulesDB(dir string) (*ModuleDB, error) {
	return loadDB(dir, os.DirFS(dir))
}

func loadDB(dir string, fsys fs.FS) (*ModuleDB, error) {
	m := &ModuleDB{Computed: !modules.HasDepmodFiles(fsys)}
	var err error
	if m.Computed {
		m.DB, err = modules.Scan(fsys, moduleReader(fsys))
	} else {
		m.DB, err = modules.LoadDB(fsys)
	}
	if err != nil {
		return nil, fmt.Errorf("initramfs: modules directory %s: %w", dir, err)
	}
	return m, nil
}

// ModulesMachine returns the ELF header of the first module file of the
// modules directory dir and that file's path relative to dir: the
// architecture of the kernel the modules belong to. It returns an error
// wrapping fs.ErrNotExist if dir has no module file.
func ModulesMachine(dir string) (elfarch.Header, string, error) {
	fsys := os.DirFS(dir)
	h, p, err := modules.Machine(fsys, moduleReader(fsys))
	if err != nil {
		return h, p, fmt.Errorf("initramfs: modules directory %s: %w", dir, err)
	}
	return h, p, nil
}
