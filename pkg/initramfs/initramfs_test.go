package initramfs

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/internal/feature/featuretest"
	"github.com/verinit/verinit/internal/testkernel"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/elfarch"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

var testMTime = time.Unix(1700000000, 0)

// baseNames are the entries every archive has, besides modules and extra files.
var baseNames = []string{
	"dev", "dev/console", "dev/null", "etc", "etc/initrd-release", "init",
	"lib", "lib/modules", "lib/modules/verinit.load", "proc", "root", "run", "sys", "tmp",
}

// file is a record read back from an archive, with its contents.
type file struct {
	cpio.Info
	data []byte
}

// readArchive reads an archive back with Decompress and List (u-root's newc
// reader), checking that the compression is the one asked for.
func readArchive(t *testing.T, method string, data []byte) []file {
	t.Helper()
	raw, got, err := Decompress(data, 1<<30)
	if err != nil {
		t.Fatalf("Decompress: %v", err)
	}
	if want := cmp.Or(method, CompressionGzip); got != want {
		t.Fatalf("Decompress found %s, want %s", got, want)
	}
	ents, err := List(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []file
	for _, e := range ents {
		out = append(out, file{Info: e.Info, data: raw[e.DataOffset : e.DataOffset+int64(e.FileSize)]})
	}
	return out
}

// needTool returns the path of a system tool; the test fails without it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found in $PATH: these tests check the archive with the system's %s; install it", name, name)
	}
	return p
}

// run runs a system tool with stdin and returns its standard output.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(needTool(t, name), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// systemDecompress decompresses data with the system's gzip, zstd or xz.
func systemDecompress(t *testing.T, method string, data []byte) []byte {
	t.Helper()
	if method == CompressionNone {
		return data
	}
	return run(t, data, method, "-dc")
}

// systemList lists a cpio archive with the system's cpio.
func systemList(t *testing.T, raw []byte) []string {
	t.Helper()
	out := strings.TrimSuffix(string(run(t, raw, "cpio", "-it", "--quiet")), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func writeFile(t *testing.T, p string, data []byte, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// nativeELF returns body behind the ELF header of a program for the
// machine the tests run on (the test binary's own), with the given
// e_type: what the packer reads of an init or module.
func nativeELF(t *testing.T, typ elf.Type, body string) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return foreignELF(t, mustHeader(t, f), typ, body)
}

// foreignELF returns body behind an ELF header with h's class, byte
// order and machine and the e_type typ.
func foreignELF(t *testing.T, h elfarch.Header, typ elf.Type, body string) []byte {
	t.Helper()
	b := make([]byte, 20, 20+len(body))
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(h.Class), byte(h.Data), byte(elf.EV_CURRENT)
	var bo binary.ByteOrder = binary.LittleEndian
	if h.Data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	bo.PutUint16(b[16:], uint16(typ))
	bo.PutUint16(b[18:], uint16(h.Machine))
	return append(b, body...)
}

func mustHeader(t *testing.T, r io.ReaderAt) elfarch.Header {
	t.Helper()
	h, err := elfarch.Read(r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fakeInit(t *testing.T) string {
	t.Helper()
	return writeFile(t, filepath.Join(t.TempDir(), "init"), nativeELF(t, elf.ET_EXEC, " fake verinit init\n"), 0o755)
}

func build(t *testing.T, spec Spec) ([]byte, Report) {
	t.Helper()
	var buf bytes.Buffer
	rep, err := Build(&buf, spec)
	if err != nil {
		t.Fatalf("Build(%+v): %v", spec, err)
	}
	if rep.CompressedBytes != int64(buf.Len()) {
		t.Errorf("Report.CompressedBytes = %d, wrote %d", rep.CompressedBytes, buf.Len())
	}
	return buf.Bytes(), rep
}

// checkCommon checks what every archive must satisfy: sorted names,
// sequential inodes, owner 0:0, the given mtime, and the base entries.
func checkCommon(t *testing.T, files []file, mtime uint64) map[string]file {
	t.Helper()
	byName := make(map[string]file)
	for i, f := range files {
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("record %d %q not after %q", i, f.Name, files[i-1].Name)
		}
		if f.Ino != uint64(i+1) {
			t.Errorf("%s: inode %d, want %d", f.Name, f.Ino, i+1)
		}
		if f.UID != 0 || f.GID != 0 || f.MTime != mtime {
			t.Errorf("%s: uid %d gid %d mtime %d, want 0 0 %d", f.Name, f.UID, f.GID, f.MTime, mtime)
		}
		if dir := path.Dir(f.Name); dir != "." {
			if d, ok := byName[dir]; !ok || d.Mode&cpio.S_IFMT != cpio.S_IFDIR {
				t.Errorf("%s: parent %s is not an earlier directory", f.Name, dir)
			}
		}
		byName[f.Name] = f
	}
	for _, tt := range []struct {
		name           string
		mode           uint64
		rmajor, rminor uint64
	}{
		{"dev", cpio.S_IFDIR | 0o755, 0, 0},
		{"dev/console", cpio.S_IFCHR | 0o600, 5, 1},
		{"dev/null", cpio.S_IFCHR | 0o666, 1, 3},
		{"etc", cpio.S_IFDIR | 0o755, 0, 0},
		{"etc/initrd-release", cpio.S_IFREG | 0o644, 0, 0},
		{"init", cpio.S_IFREG | 0o755, 0, 0},
		{"lib/modules", cpio.S_IFDIR | 0o755, 0, 0},
		{"lib/modules/verinit.load", cpio.S_IFREG | 0o644, 0, 0},
		{"proc", cpio.S_IFDIR | 0o755, 0, 0},
		{"root", cpio.S_IFDIR | 0o700, 0, 0},
		{"run", cpio.S_IFDIR | 0o755, 0, 0},
		{"sys", cpio.S_IFDIR | 0o755, 0, 0},
		{"tmp", cpio.S_IFDIR | 0o1777, 0, 0},
	} {
		f, ok := byName[tt.name]
		if !ok {
			t.Errorf("archive lacks %s", tt.name)
			continue
		}
		if f.Mode != tt.mode || f.Rmajor != tt.rmajor || f.Rminor != tt.rminor {
			t.Errorf("%s: mode %#o dev %d:%d, want %#o %d:%d", tt.name, f.Mode, f.Rmajor, f.Rminor, tt.mode, tt.rmajor, tt.rminor)
		}
	}
	if !strings.Contains(string(byName["etc/initrd-release"].data), "ID=verinit\n") {
		t.Errorf("/etc/initrd-release = %q", byName["etc/initrd-release"].data)
	}
	return byName
}

// TestBuildRealKernel packs the default module set of the installed kernel and
// reads the archive back with u-root's reader and the system's cpio.
func TestBuildRealKernel(t *testing.T) {
	dir := kernelModulesDir(t)
	release := filepath.Base(dir)
	initBin := fakeInit(t)
	data, rep := build(t, Spec{Init: initBin, ModulesDir: dir, MTime: testMTime})

	if len(rep.Missing) > 0 {
		t.Errorf("Report.Missing = %q", rep.Missing)
	}
	if len(rep.Modules) == 0 {
		t.Fatal("no modules packed")
	}
	t.Logf("%s: %d modules %q, built in %q; %d entries, %d bytes cpio, %d bytes zstd",
		release, len(rep.Modules), rep.Modules, rep.Builtin, rep.Files, rep.UncompressedBytes, rep.CompressedBytes)

	// The plan the archive should follow.
	db, err := modules.LoadDB(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Arch != dps.NativeArch() || rep.Computed {
		t.Errorf("Report.Arch, Computed = %q, %v; want %q from the modules, false (modules.dep is there)", rep.Arch, rep.Computed, dps.NativeArch())
	}
	plan, err := modules.Resolve(db, modules.DefaultModules(rep.Arch))
	if err != nil {
		t.Fatal(err)
	}

	files := readArchive(t, CompressionZstd, data) // the default
	if len(files) != rep.Files {
		t.Errorf("archive has %d entries, Report.Files = %d", len(files), rep.Files)
	}
	byName := checkCommon(t, files, uint64(testMTime.Unix()))
	initData, _ := os.ReadFile(initBin)
	if !bytes.Equal(byName["init"].data, initData) {
		t.Errorf("/init differs from %s", initBin)
	}
	if rel := string(byName["etc/initrd-release"].data); !strings.Contains(rel, "VERINIT_KERNEL_RELEASE="+release+"\n") {
		t.Errorf("/etc/initrd-release lacks the kernel release:\n%s", rel)
	}

	// Load list: same modules and order as the plan, paths of packed modules.
	list, err := loadlist.Parse(bytes.NewReader(byName["lib/modules/verinit.load"].data))
	if err != nil {
		t.Fatalf("load list: %v", err)
	}
	entries := list.Modules
	// By need: storage drivers by modalias, with their aliases in the list.
	classes := map[string]loadlist.Class{}
	for _, e := range entries {
		classes[e.Name] = e.Class
	}
	for name, c := range map[string]loadlist.Class{"virtio_blk": loadlist.Storage, "ahci": loadlist.Storage, "dm_verity": loadlist.DM, "ext4": loadlist.FS, "virtio": loadlist.Dep} {
		if got, ok := classes[name]; ok && got != c {
			t.Errorf("%s: class %s, want %s", name, got, c)
		}
	}
	if len(list.Aliases) == 0 || rep.Aliases != len(list.Aliases) || rep.Classes[loadlist.Storage] == 0 {
		t.Errorf("%d aliases in the list, Report.Aliases %d, classes %v", len(list.Aliases), rep.Aliases, rep.Classes)
	}
	want := make(map[string]bool)
	for _, n := range baseNames {
		want[n] = true
	}
	if len(entries) != len(plan.Modules) {
		t.Fatalf("load list has %d entries, plan %d", len(entries), len(plan.Modules))
	}
	for i, e := range entries {
		m := plan.Modules[i]
		ko, _, _ := modules.SplitModulePath(m.Path)
		wantPath := "/lib/modules/" + release + "/" + ko
		if e.Name != m.Name || e.Path != wantPath || !slices.Equal(e.Deps, m.Deps) {
			t.Errorf("load list line %d = %+v, want {%s %s %v}", i+1, e, m.Name, wantPath, m.Deps)
		}
		if rep.Modules[i] != m.Name {
			t.Errorf("Report.Modules[%d] = %s, want %s", i, rep.Modules[i], m.Name)
		}
		f, ok := byName[e.Path[1:]]
		if !ok {
			t.Errorf("module %s not in the archive at %s", e.Name, e.Path)
			continue
		}
		if f.Mode != cpio.S_IFREG|0o644 || !bytes.HasPrefix(f.data, []byte("\x7fELF")) {
			t.Errorf("%s: mode %#o, starts %q", e.Path, f.Mode, f.data[:min(4, len(f.data))])
		}
		if _, compression, _ := modules.SplitModulePath(m.Path); compression == "" {
			src, err := os.ReadFile(filepath.Join(dir, m.Path))
			if err != nil || !bytes.Equal(src, f.data) {
				t.Errorf("%s differs from %s (%v)", e.Path, m.Path, err)
			}
		}
		for p := e.Path[1:]; p != "."; p = path.Dir(p) {
			want[p] = true
		}
	}
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	slices.Sort(wantNames)
	var gotNames []string
	for _, f := range files {
		gotNames = append(gotNames, f.Name)
	}
	if !slices.Equal(gotNames, wantNames) {
		t.Errorf("archive entries:\n%q\nwant\n%q", gotNames, wantNames)
	}
	// The dm-verity stack loads in dependency order.
	pos := make(map[string]int)
	for i, e := range entries {
		pos[e.Name] = i
	}
	for _, p := range [][2]string{{"dm_verity", "dm_mod"}, {"dm_verity", "dm_bufio"}, {"virtio_blk", "virtio"}, {"virtio_blk", "virtio_ring"}} {
		i, ok1 := pos[p[0]]
		j, ok2 := pos[p[1]]
		if ok1 && ok2 && i < j {
			t.Errorf("%s is loaded before %s", p[0], p[1])
		}
	}

	// The system's tools read the same archive.
	raw := systemDecompress(t, CompressionZstd, data)
	if got := systemList(t, raw); !slices.Equal(got, gotNames) {
		t.Errorf("cpio -it lists\n%q\nwant\n%q", got, gotNames)
	}
	if int64(len(raw)) != rep.UncompressedBytes {
		t.Errorf("cpio is %d bytes, Report.UncompressedBytes = %d", len(raw), rep.UncompressedBytes)
	}
}

// moduleTree writes a modules directory with one module per compression,
// compressed by the system's tools, and returns it with each module's
// uncompressed contents by name.
func moduleTree(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "6.1.0-test")
	contents := make(map[string][]byte)
	mod := func(name string) []byte {
		b := nativeELF(t, elf.ET_REL, strings.Repeat(name+" module body. ", 100))
		contents[name] = b
		return b
	}
	writeFile(t, filepath.Join(dir, "kernel/lib/base.ko"), mod("base"), 0o644)
	writeFile(t, filepath.Join(dir, "kernel/fs/x-fs.ko.xz"), run(t, mod("x_fs"), "xz", "--check=crc32", "-c"), 0o644)
	writeFile(t, filepath.Join(dir, "kernel/fs/zfs.ko.zst"), run(t, mod("zfs"), "zstd", "-q", "-c"), 0o644)
	writeFile(t, filepath.Join(dir, "kernel/fs/gfs.ko.gz"), run(t, mod("gfs"), "gzip", "-n", "-c"), 0o644)
	writeFile(t, filepath.Join(dir, "modules.dep"), []byte(
		"kernel/lib/base.ko:\n"+
			"kernel/fs/x-fs.ko.xz: kernel/lib/base.ko\n"+
			"kernel/fs/zfs.ko.zst: kernel/fs/x-fs.ko.xz kernel/lib/base.ko\n"+
			"kernel/fs/gfs.ko.gz:\n"+
			"kernel/fs/notelf.ko:\n"), 0o644)
	writeFile(t, filepath.Join(dir, "modules.builtin"), []byte("kernel/fs/ext4/ext4.ko\n"), 0o644)
	writeFile(t, filepath.Join(dir, "kernel/fs/notelf.ko"), []byte("this is not an ELF file"), 0o644)
	return dir, contents
}

// TestBuildCompressions packs compressed modules with every archive
// compression and checks the result with Go's and the system's decoders.
func TestBuildCompressions(t *testing.T) {
	dir, contents := moduleTree(t)
	initBin := fakeInit(t)
	extra := writeFile(t, filepath.Join(t.TempDir(), "hello.sh"), []byte("#!/bin/sh\necho hi\n"), 0o700)
	conf := writeFile(t, filepath.Join(t.TempDir(), "x.conf"), []byte("x=1\n"), 0o600)
	spec := Spec{
		Init:       initBin,
		ModulesDir: dir,
		Modules:    []string{"zfs", "gfs", "ext4", "nosuch"},
		Files:      []FileMap{{Src: extra, Dst: "/usr/bin/hello"}, {Src: conf, Dst: "/etc/x.conf"}},
		MTime:      testMTime,
	}
	spec.Compression = CompressionNone
	plain, plainRep := build(t, spec)
	if want := []string{"base", "x_fs", "zfs", "gfs"}; !slices.Equal(plainRep.Modules, want) {
		t.Errorf("Report.Modules = %q, want %q", plainRep.Modules, want)
	}
	if !slices.Equal(plainRep.Builtin, []string{"ext4"}) || !slices.Equal(plainRep.Missing, []string{"nosuch"}) {
		t.Errorf("Report.Builtin = %q, Missing = %q; want [ext4], [nosuch]", plainRep.Builtin, plainRep.Missing)
	}

	for _, method := range []string{"", CompressionGzip, CompressionZstd, CompressionXZ, CompressionNone} {
		t.Run("compression="+method, func(t *testing.T) {
			spec := spec
			spec.Compression = method
			data, rep := build(t, spec)
			if method == "" {
				method = CompressionZstd // the default
			}
			raw := systemDecompress(t, method, data)
			if !bytes.Equal(raw, plain) {
				t.Fatalf("%s -dc output (%d bytes) differs from the uncompressed archive (%d bytes)", method, len(raw), len(plain))
			}
			if rep.UncompressedBytes != int64(len(plain)) {
				t.Errorf("Report.UncompressedBytes = %d, want %d", rep.UncompressedBytes, len(plain))
			}
			switch method {
			case CompressionGzip:
				// No FNAME flag, MTIME 0.
				if len(data) < 10 || data[3] != 0 || !bytes.Equal(data[4:8], []byte{0, 0, 0, 0}) {
					t.Errorf("gzip header % x: want flags 0 and mtime 0", data[:10])
				}
			case CompressionXZ:
				// Stream flags: check type 0x01 is CRC32, which the kernel needs.
				if len(data) < 8 || data[6] != 0 || data[7] != 0x01 {
					t.Errorf("xz stream flags % x, want 00 01 (CRC32)", data[6:8])
				}
			}
			files := readArchive(t, method, data)
			byName := checkCommon(t, files, uint64(testMTime.Unix()))
			for name, path := range map[string]string{
				"base": "lib/modules/6.1.0-test/kernel/lib/base.ko",
				"x_fs": "lib/modules/6.1.0-test/kernel/fs/x-fs.ko",
				"zfs":  "lib/modules/6.1.0-test/kernel/fs/zfs.ko",
				"gfs":  "lib/modules/6.1.0-test/kernel/fs/gfs.ko",
			} {
				if !bytes.Equal(byName[path].data, contents[name]) {
					t.Errorf("%s: contents differ from the uncompressed module", path)
				}
			}
			if f := byName["usr/bin/hello"]; f.Mode != cpio.S_IFREG|0o755 || string(f.data) != "#!/bin/sh\necho hi\n" {
				t.Errorf("/usr/bin/hello: mode %#o data %q", f.Mode, f.data)
			}
			if f := byName["etc/x.conf"]; f.Mode != cpio.S_IFREG|0o644 || string(f.data) != "x=1\n" {
				t.Errorf("/etc/x.conf: mode %#o data %q", f.Mode, f.data)
			}
			if f := byName["usr"]; f.Mode != cpio.S_IFDIR|0o755 {
				t.Errorf("/usr: mode %#o", f.Mode)
			}
			wantList := loadlist.Header + "\n" + loadlist.VersionLine + "\n" +
				"module base dep /lib/modules/6.1.0-test/kernel/lib/base.ko\n" +
				"module x_fs dep /lib/modules/6.1.0-test/kernel/fs/x-fs.ko base\n" +
				"module zfs start /lib/modules/6.1.0-test/kernel/fs/zfs.ko x_fs\n" +
				"module gfs start /lib/modules/6.1.0-test/kernel/fs/gfs.ko\n"
			if got := string(byName["lib/modules/verinit.load"].data); got != wantList {
				t.Errorf("load list:\n%s\nwant\n%s", got, wantList)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
			}
			if got := systemList(t, raw); !slices.Equal(got, names) {
				t.Errorf("cpio -it lists\n%q\nwant\n%q", got, names)
			}
		})
	}
}

func TestBuildReproducible(t *testing.T) {
	dir, _ := moduleTree(t)
	initBin := fakeInit(t)
	a := writeFile(t, filepath.Join(t.TempDir(), "a"), []byte("a\n"), 0o644)
	b := writeFile(t, filepath.Join(t.TempDir(), "b"), []byte("b\n"), 0o644)
	for _, method := range []string{CompressionGzip, CompressionZstd, CompressionXZ, CompressionNone} {
		t.Run(method, func(t *testing.T) {
			spec := Spec{
				Init: initBin, ModulesDir: dir, Modules: []string{"zfs", "gfs"},
				Files:       []FileMap{{Src: a, Dst: "/etc/a"}, {Src: b, Dst: "/usr/share/b"}},
				Compression: method, MTime: testMTime,
			}
			first, _ := build(t, spec)
			second, _ := build(t, spec)
			if !bytes.Equal(first, second) {
				t.Error("two builds of the same spec differ")
			}
			spec.Files = []FileMap{spec.Files[1], spec.Files[0]}
			if reordered, _ := build(t, spec); !bytes.Equal(first, reordered) {
				t.Error("the order of Spec.Files changes the archive")
			}
			spec.MTime = testMTime.Add(time.Second)
			if later, _ := build(t, spec); bytes.Equal(first, later) {
				t.Error("changing MTime does not change the archive")
			}
			spec.MTime = time.Time{}
			files := readArchive(t, method, must(t, spec))
			checkCommon(t, files, 0)
		})
	}
}

func must(t *testing.T, spec Spec) []byte {
	t.Helper()
	data, _ := build(t, spec)
	return data
}

func TestBuildNoModules(t *testing.T) {
	data, rep := build(t, Spec{Init: fakeInit(t), KernelRelease: "6.1.0-56-amd64", MTime: testMTime})
	if len(rep.Modules) != 0 || rep.Files != len(baseNames) {
		t.Errorf("Report = %+v, want no modules and %d entries", rep, len(baseNames))
	}
	files := readArchive(t, CompressionZstd, data)
	byName := checkCommon(t, files, uint64(testMTime.Unix()))
	if got := string(byName["lib/modules/verinit.load"].data); got != loadlist.Header+"\n"+loadlist.VersionLine+"\n" {
		t.Errorf("load list = %q, want only the header", got)
	}
	if rel := string(byName["etc/initrd-release"].data); !strings.Contains(rel, "VERINIT_KERNEL_RELEASE=6.1.0-56-amd64\n") {
		t.Errorf("/etc/initrd-release = %q", rel)
	}
}

func TestBuildErrors(t *testing.T) {
	dir, _ := moduleTree(t)
	initBin := fakeInit(t)
	nativeArch := mustHeader(t, bytes.NewReader(nativeELF(t, elf.ET_EXEC, "")))
	// An init for arm64, or for x86-64 where the tests run on arm64.
	otherArch := elfarch.Header{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Type: elf.ET_EXEC, Machine: elf.EM_AARCH64}
	if nativeArch.SameMachine(otherArch) {
		otherArch.Machine = elf.EM_X86_64
	}
	otherInit := writeFile(t, filepath.Join(t.TempDir(), "init"), foreignELF(t, otherArch, elf.ET_EXEC, "init"), 0o755)
	mixed := filepath.Join(t.TempDir(), "6.1.0-mixed")
	writeFile(t, filepath.Join(mixed, "kernel/a.ko"), nativeELF(t, elf.ET_REL, "a"), 0o644)
	writeFile(t, filepath.Join(mixed, "kernel/odd.ko"), foreignELF(t, otherArch, elf.ET_REL, "odd"), 0o644)
	writeFile(t, filepath.Join(mixed, "modules.dep"), []byte("kernel/a.ko:\nkernel/odd.ko:\n"), 0o644)
	tmp := t.TempDir()
	src := writeFile(t, filepath.Join(tmp, "src"), []byte("x"), 0o644)
	tests := []struct {
		name    string
		spec    Spec
		wantErr string
	}{
		{name: "no init", spec: Spec{}, wantErr: "initramfs: no init binary given"},
		{name: "init missing", spec: Spec{Init: filepath.Join(tmp, "nope")}, wantErr: "initramfs: init: stat"},
		{name: "init is a directory", spec: Spec{Init: tmp}, wantErr: "not a regular file"},
		{name: "bad compression", spec: Spec{Init: initBin, Compression: "bzip2"}, wantErr: `unknown compression "bzip2"`},
		{name: "mtime before 1970", spec: Spec{Init: initBin, MTime: time.Unix(-1, 0)}, wantErr: "outside 1970..2106"},
		{name: "mtime after 2106", spec: Spec{Init: initBin, MTime: time.Unix(1<<32, 0)}, wantErr: "outside 1970..2106"},
		{name: "modules without dir", spec: Spec{Init: initBin, Modules: []string{"ext4"}}, wantErr: "no modules directory"},
		{name: "no modules", spec: Spec{Init: initBin, ModulesDir: tmp}, wantErr: "modules directory " + tmp + " has neither module files nor modules.dep"},
		{name: "init for another machine", spec: Spec{Init: otherInit, ModulesDir: dir},
			wantErr: "initramfs: init " + otherInit + " is built for " + otherArch.String() + ", but the modules in " + dir + " are for " + nativeArch.String() + " (kernel/fs/gfs.ko.gz): pack the init built for " + string(nativeArch.Arch())},
		{name: "module for another machine", spec: Spec{Init: initBin, ModulesDir: mixed, Modules: []string{"odd"}},
			wantErr: "initramfs: module odd: " + mixed + "/kernel/odd.ko is not built for " + nativeArch.String() + " like kernel/a.ko"},
		{name: "bad release", spec: Spec{Init: initBin, ModulesDir: dir, KernelRelease: "../x"}, wantErr: `kernel release "../x"`},
		{name: "module not ELF", spec: Spec{Init: initBin, ModulesDir: dir, Modules: []string{"notelf"}}, wantErr: "module notelf: " + dir + "/kernel/fs/notelf.ko: not an ELF object"},
		{name: "relative destination", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "etc/x"}}}, wantErr: `archive path "etc/x" is not absolute`},
		{name: "unclean destination", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "/etc/../x"}}}, wantErr: "not absolute and clean"},
		{name: "replaces init", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "/init"}}}, wantErr: "/init is packed twice"},
		{name: "replaces load list", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "/lib/modules/verinit.load"}}}, wantErr: "verinit.load is packed twice"},
		{name: "below a file", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "/init/x"}}}, wantErr: "/init is packed both as a directory and as a file"},
		{name: "over a directory", spec: Spec{Init: initBin, Files: []FileMap{{Src: src, Dst: "/tmp"}}}, wantErr: "/tmp is packed both"},
		{name: "no source", spec: Spec{Init: initBin, Files: []FileMap{{Dst: "/x"}}}, wantErr: `extra file "/x": no source`},
		{name: "source missing", spec: Spec{Init: initBin, Files: []FileMap{{Src: filepath.Join(tmp, "nope"), Dst: "/x"}}}, wantErr: "extra file /x: stat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(io.Discard, tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build() error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

// kernelModulesDir returns the modules directory of the running kernel, or
// else of the newest release under /lib/modules. It fails the test if there is
// none, unless VERINIT_NO_KERNEL=1.
func kernelModulesDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("VERINIT_NO_KERNEL") == "1" {
		t.Skip("VERINIT_NO_KERNEL=1: not testing against /lib/modules")
	}
	running := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		running = strings.TrimSpace(string(b))
	}
	rel, err := modules.FindRelease(os.DirFS("/lib/modules"), running)
	if err != nil {
		t.Fatalf("no kernel modules tree under /lib/modules (running kernel %q): %v; "+
			"install a kernel's modules, or set VERINIT_NO_KERNEL=1 to skip the tests that need one", running, err)
	}
	return filepath.Join("/lib/modules", rel)
}

// TestBuildScanned packs real modules, compressed three ways, from a tree
// without depmod's files: the dependencies come from their symbols and the
// softdeps from their .modinfo, as modprobe would have them from depmod.
func TestBuildScanned(t *testing.T) {
	src := kernelModulesDir(t)
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	plain := make(map[string][]byte)
	for _, m := range []struct{ path, tool string }{
		{"kernel/fs/ext4/ext4.ko", "xz"},
		{"kernel/fs/jbd2/jbd2.ko", "zstd"},
		{"kernel/fs/mbcache.ko", "gzip"},
		{"kernel/lib/crc16.ko", ""},
		{"kernel/crypto/crc32c_generic.ko", "xz"},
	} {
		b, err := os.ReadFile(filepath.Join(src, m.path))
		if err != nil {
			t.Fatal(err)
		}
		plain[modules.Name(m.path)] = b
		switch m.tool {
		case "xz":
			writeFile(t, filepath.Join(dir, m.path+".xz"), run(t, b, "xz", "--check=crc32", "-c"), 0o644)
		case "zstd":
			writeFile(t, filepath.Join(dir, m.path+".zst"), run(t, b, "zstd", "-q", "-c"), 0o644)
		case "gzip":
			writeFile(t, filepath.Join(dir, m.path+".gz"), run(t, b, "gzip", "-n", "-c"), 0o644)
		default:
			writeFile(t, filepath.Join(dir, m.path), b, 0o644)
		}
	}
	data, rep := build(t, Spec{Init: fakeInit(t), ModulesDir: dir, Modules: []string{"ext4"}, MTime: testMTime, Compression: CompressionNone})
	if want := []string{"crc32c_generic", "crc16", "jbd2", "mbcache", "ext4"}; !slices.Equal(rep.Modules, want) || !rep.Computed || len(rep.Missing) > 0 {
		t.Errorf("Report: modules %q, computed %v, missing %q; want %q, true, none", rep.Modules, rep.Computed, rep.Missing, want)
	}
	byName := checkCommon(t, readArchive(t, CompressionNone, data), uint64(testMTime.Unix()))
	list, err := loadlist.Parse(bytes.NewReader(byName["lib/modules/verinit.load"].data))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Modules {
		if !bytes.Equal(byName[e.Path[1:]].data, plain[e.Name]) {
			t.Errorf("%s: not the uncompressed module", e.Path)
		}
		// Both ext4 and jbd2 have "softdep pre: crypto-crc32c"; ext4
		// waits for it through jbd2.
		want := map[string][]string{"ext4": {"crc16", "jbd2", "mbcache"}, "jbd2": {"crc32c_generic"}}[e.Name]
		if !slices.Equal(e.Deps, want) {
			t.Errorf("%s waits for %q, want %q", e.Name, e.Deps, want)
		}
	}
}

// TestBuildDebianForeign packs Debian's arm64 and armhf kernels, whose
// packages have no modules.dep, with their default sets; an init for
// x86-64 is refused with one line naming both machines.
func TestBuildDebianForeign(t *testing.T) {
	for _, tc := range []struct {
		debArch string
		header  elfarch.Header
		want    []string // some modules of the default set that must be packed
	}{
		{"arm64", elfarch.Header{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_AARCH64},
			[]string{"virtio_mmio", "virtio_blk", "sdhci_iproc", "sdhci_of_arasan", "dw_mmc_rockchip", "nvme", "usb_storage", "dm_verity", "sha512_generic", "erofs"}},
		{"armhf", elfarch.Header{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_ARM},
			[]string{"virtio_mmio", "sdhci_omap", "sdhci_esdhc_imx", "sunxi_mmc", "armmmci", "ci_hdrc_imx", "dm_verity", "squashfs"}},
	} {
		t.Run(tc.debArch, func(t *testing.T) {
			dir := testkernel.Foreign(t, tc.debArch)
			init := writeFile(t, filepath.Join(t.TempDir(), "init"), foreignELF(t, tc.header, elf.ET_EXEC, "init"), 0o755)
			data, rep := build(t, Spec{Init: init, ModulesDir: dir, MTime: testMTime})
			if rep.Arch != tc.header.Arch() || !rep.Computed || len(rep.Missing) > 0 {
				t.Errorf("Report: arch %q, computed %v, missing %q; want %s, true, none", rep.Arch, rep.Computed, rep.Missing, tc.header.Arch())
			}
			for _, m := range tc.want {
				if !slices.Contains(rep.Modules, m) {
					t.Errorf("%s not packed: %q", m, rep.Modules)
				}
			}
			t.Logf("%s: %d modules, %d aliases, %d bytes; built in %q", dir, len(rep.Modules), rep.Aliases, len(data), rep.Builtin)

			amd64 := writeFile(t, filepath.Join(t.TempDir(), "init"), foreignELF(t, elfarch.Header{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64}, elf.ET_EXEC, "init"), 0o755)
			_, err := Build(io.Discard, Spec{Init: amd64, ModulesDir: dir})
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "built for x86-64 (EM_X86_64), but the modules in "+dir+" are for "+tc.header.String()) {
				t.Errorf("Build with an x86-64 init: %v; want one line naming x86-64 and %s", err, tc.header)
			}
		})
	}
}

// TestBuildAddModules: --add-module packs a module beside the default
// set, loaded by need as its aliases say, and the default set keeps
// loading by need.
func TestBuildAddModules(t *testing.T) {
	dir := kernelModulesDir(t)
	data, rep := build(t, Spec{Init: fakeInit(t), ModulesDir: dir, MTime: testMTime, AddModules: []string{"efivarfs", "fs-vfat", "loop"}})
	byName := checkCommon(t, readArchive(t, CompressionZstd, data), uint64(testMTime.Unix()))
	list, err := loadlist.Parse(bytes.NewReader(byName["lib/modules/verinit.load"].data))
	if err != nil {
		t.Fatalf("load list: %v", err)
	}
	classes := map[string]loadlist.Class{}
	for _, e := range list.Modules {
		classes[e.Name] = e.Class
	}
	for name, c := range map[string]loadlist.Class{"efivarfs": loadlist.FS, "vfat": loadlist.FS, "loop": loadlist.Start,
		"virtio_blk": loadlist.Storage, "dm_verity": loadlist.DM, "squashfs": loadlist.FS} {
		if got, ok := classes[name]; !ok || got != c {
			t.Errorf("%s: class %v (packed: %v), want %v", name, got, ok, c)
		}
	}
	if !slices.Contains(rep.Modules, "efivarfs") {
		t.Errorf("efivarfs is not among the modules packed: %q", rep.Modules)
	}
}

// TestBuildInitWithoutTPM: an init built without TPM support gets the
// default set without its TPM drivers; the Report names what it lacks.
func TestBuildInitWithoutTPM(t *testing.T) {
	dir := kernelModulesDir(t)
	_, full := build(t, Spec{Init: fakeInit(t), ModulesDir: dir, MTime: testMTime})
	_, lean := build(t, Spec{Init: featuretest.Init(t, "verinit_notpm"), ModulesDir: dir, MTime: testMTime})
	if full.InitBuild != feature.Full() || lean.InitBuild != (feature.Build{LVM: true, Sig: true}) {
		t.Fatalf("InitBuild: %+v with a full init, %+v without TPM", full.InitBuild, lean.InitBuild)
	}
	tpm := modules.TPMDrivers(full.Arch)
	has := func(r Report) bool {
		return slices.ContainsFunc(append(slices.Clone(r.Modules), r.Builtin...), func(m string) bool { return slices.Contains(tpm, m) })
	}
	if !has(full) || has(lean) {
		t.Errorf("TPM drivers %v: packed or built in %v with a full init, %v without TPM (modules %v, built in %v)", tpm, has(full), has(lean), lean.Modules, lean.Builtin)
	}
}
