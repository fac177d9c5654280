package loadlist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/modalias"
)

const rel = "/lib/modules/6.1.0-56-amd64/kernel"

// v is the start of every version 2 list.
const v = VersionLine + "\n"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    List
		wantErr string
	}{
		{name: "version only", in: Header + "\n" + v},
		{
			name: "valid",
			in: Header + "\n\n# comment\n" + v +
				"module dm_mod dm " + rel + "/drivers/md/dm-mod.ko\n" +
				"\n# comment\n" +
				"module dm_bufio dep " + rel + "/drivers/md/dm-bufio.ko dm_mod\n" +
				"module  reed_solomon  dep  " + rel + "/lib/reed_solomon/reed_solomon.ko\r\n" +
				"module\tdm_verity\tdm\t" + rel + "/drivers/md/dm-verity.ko dm_bufio reed_solomon\n" +
				"module virtio_blk storage " + rel + "/drivers/block/virtio_blk.ko\n" +
				"module ext4 fs " + rel + "/fs/ext4/ext4.ko\n" +
				"module loop start " + rel + "/drivers/block/loop.ko\n" +
				"alias devname:mapper/control dm_mod\n" +
				"alias virtio:d00000002v* virtio_blk\n" +
				"alias usb:v13FDp3940d0[0-2]*dc* virtio_blk\n" +
				"alias fs_ext4 ext4", // no final newline
			want: List{
				Modules: []Entry{
					{Name: "dm_mod", Class: DM, Path: rel + "/drivers/md/dm-mod.ko"},
					{Name: "dm_bufio", Class: Dep, Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
					{Name: "reed_solomon", Class: Dep, Path: rel + "/lib/reed_solomon/reed_solomon.ko"},
					{Name: "dm_verity", Class: DM, Path: rel + "/drivers/md/dm-verity.ko", Deps: []string{"dm_bufio", "reed_solomon"}},
					{Name: "virtio_blk", Class: Storage, Path: rel + "/drivers/block/virtio_blk.ko"},
					{Name: "ext4", Class: FS, Path: rel + "/fs/ext4/ext4.ko"},
					{Name: "loop", Class: Start, Path: rel + "/drivers/block/loop.ko"},
				},
				Aliases: []modalias.Alias{
					{Pattern: "devname:mapper/control", Module: "dm_mod"},
					{Pattern: "virtio:d00000002v*", Module: "virtio_blk"},
					{Pattern: "usb:v13FDp3940d0[0-2]*dc*", Module: "virtio_blk"},
					{Pattern: "fs_ext4", Module: "ext4"},
				},
			},
		},
		{name: "empty", in: "", wantErr: `loadlist: version: no "verinit-load 2" line`},
		{name: "comments only", in: "# x\n\n", wantErr: `no "verinit-load 2" line`},
		{name: "version 1", in: "# verinit load list v1: NAME PATH [DEP ...]\ndm_mod /m/dm-mod.ko\n",
			wantErr: `loadlist: line 2: version: want "verinit-load 2" first (a version 1 list has none)`},
		{name: "version 3", in: "verinit-load 3\n", wantErr: `line 1: version "3": unsupported; this init reads version 2`},
		{name: "version twice", in: v + v, wantErr: `line 2: keyword "verinit-load": want module or alias`},
		{name: "unknown keyword", in: v + "options a x=1\n", wantErr: `line 2: keyword "options": want module or alias`},
		{name: "module short", in: v + "module dm_mod dm\n", wantErr: "loadlist: line 2: want module NAME CLASS PATH [DEP ...]"},
		{name: "unknown class", in: v + "module a boot /m/a.ko\n", wantErr: `line 2: class "boot": unknown; want start, storage, dm, fs or dep`},
		{name: "dash in name", in: v + "module dm-mod dm /m/dm-mod.ko\n", wantErr: `line 2: name "dm-mod": not 1-55 characters`},
		{name: "name too long", in: v + "module " + strings.Repeat("a", 56) + " dep /m/" + strings.Repeat("a", 56) + ".ko\n", wantErr: "not 1-55 characters"},
		{name: "duplicate name", in: v + "module a dep /m/a.ko\nmodule b dep /m/b.ko\nmodule a dep /n/a.ko\n", wantErr: `line 4: name "a": listed twice`},
		{name: "relative path", in: v + "module a dep m/a.ko\n", wantErr: `line 2: path "m/a.ko": not absolute`},
		{name: "unclean path", in: v + "module a dep /m/../m/a.ko\n", wantErr: `line 2: path "/m/../m/a.ko": not a clean path`},
		{name: "compressed path", in: v + "module a dep /m/a.ko.xz\n", wantErr: "not an uncompressed module (.ko)"},
		{name: "path of another module", in: v + "module a dep /m/b.ko\n", wantErr: "file name does not match module a"},
		{name: "non-ascii path", in: v + "module a dep /m/\xc3\xa9/a.ko\n", wantErr: "not printable ASCII"},
		{name: "dep later", in: v + "module a dep /m/a.ko b\nmodule b dep /m/b.ko\n", wantErr: `line 2: dep "b": not on an earlier line`},
		{name: "dep unknown", in: v + "module a dep /m/a.ko\nmodule b dep /m/b.ko a c\n", wantErr: `line 3: dep "c": not on an earlier line`},
		{name: "dep on itself", in: v + "module a dep /m/a.ko a\n", wantErr: `dep "a": module depends on itself`},
		{name: "dep twice", in: v + "module a dep /m/a.ko\nmodule b dep /m/b.ko a a\n", wantErr: `line 3: dep "a": listed twice`},
		{name: "dep twice in a long list", in: v + manyEntries(20) + "module x dep /m/x.ko m0 m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 m15 m16 m3\n",
			wantErr: `line 22: dep "m3": listed twice`},
		{name: "alias short", in: v + "module a dep /m/a.ko\nalias x\n", wantErr: "line 3: want alias PATTERN NAME"},
		{name: "alias of unknown module", in: v + "module a dep /m/a.ko\nalias x b\n", wantErr: `line 3: module "b": not on an earlier module line`},
		{name: "alias before module", in: v + "alias x a\nmodule a dep /m/a.ko\n", wantErr: `line 2: module "a": not on an earlier module line`},
		{name: "module after alias", in: v + "module a dep /m/a.ko\nalias x a\nmodule b dep /m/b.ko\n", wantErr: "line 4: module line after an alias line"},
		{name: "alias bad module name", in: v + "module a dep /m/a.ko\nalias x a-b\n", wantErr: `module "a-b": not 1-55 characters`},
		{name: "alias not normalised", in: v + "module a dep /m/a.ko\nalias scsi:t-0x00* a\n", wantErr: `pattern "scsi:t-0x00*": not normalised`},
		{name: "alias malformed glob", in: v + "module a dep /m/a.ko\nalias x[0-2 a\n", wantErr: `pattern "x[0-2": malformed glob`},
		{name: "alias non-ascii", in: v + "module a dep /m/a.ko\nalias \xc3\xa9 a\n", wantErr: "not printable ASCII"},
		{name: "alias twice", in: v + "module a dep /m/a.ko\nalias x* a\nalias x* a\n", wantErr: `line 4: pattern "x*": listed twice for module a`},
		{name: "line too long", in: v + "module a dep /m/a.ko" + strings.Repeat(" ", MaxLineBytes) + "\n", wantErr: "loadlist: line 2: line longer than 4096 bytes"},
		{name: "too many lines", in: strings.Repeat("#\n", MaxLines+1), wantErr: fmt.Sprintf("loadlist: line %d: more than %d lines", MaxLines+1, MaxLines)},
		{name: "too many modules", in: v + manyEntries(MaxEntries+1), wantErr: "loadlist: line 8194: more than 8192 modules"},
		{name: "too many aliases", in: v + "module a dep /m/a.ko\n" + manyAliases(MaxAliases+1), wantErr: "loadlist: line 32771: more than 32768 aliases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("error %T is not a *FormatError", err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q spans lines", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func manyEntries(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "module m%d dep /m/m%d.ko\n", i, i)
	}
	return b.String()
}

func manyAliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "alias p%d a\n", i)
	}
	return b.String()
}

func TestAtLimits(t *testing.T) {
	l, err := Parse(strings.NewReader(v + manyEntries(MaxEntries) + strings.ReplaceAll(manyAliases(MaxAliases), " a\n", " m0\n")))
	if err != nil {
		t.Fatalf("Parse(%d modules, %d aliases) error = %v", MaxEntries, MaxAliases, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, l); err != nil {
		t.Fatalf("Write(%d modules, %d aliases) error = %v", MaxEntries, MaxAliases, err)
	}
	if _, err := Parse(&buf); err != nil {
		t.Fatalf("Parse(written) error = %v", err)
	}
}

func TestClass(t *testing.T) {
	for c := Start; c < numClasses; c++ {
		if got, ok := ParseClass(c.String()); !ok || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c.String(), got, ok)
		}
	}
	if _, ok := ParseClass("Start"); ok {
		t.Error(`ParseClass("Start") accepted`)
	}
	if got := Class(9).String(); got != "class(9)" {
		t.Errorf("Class(9) = %q", got)
	}
}

func TestWrite(t *testing.T) {
	l := List{
		Modules: []Entry{
			{Name: "dm_mod", Class: DM, Path: rel + "/drivers/md/dm-mod.ko"},
			{Name: "dm_bufio", Class: Dep, Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
		},
		Aliases: []modalias.Alias{{Pattern: "devname:mapper/control", Module: "dm_mod"}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, l); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	want := Header + "\n" + v +
		"module dm_mod dm " + rel + "/drivers/md/dm-mod.ko\n" +
		"module dm_bufio dep " + rel + "/drivers/md/dm-bufio.ko dm_mod\n" +
		"alias devname:mapper/control dm_mod\n"
	if buf.String() != want {
		t.Errorf("Write() wrote\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := Parse(&buf)
	if err != nil || !reflect.DeepEqual(got, l) {
		t.Errorf("round trip = %+v, %v; want %+v", got, err, l)
	}
}

func TestWriteRejects(t *testing.T) {
	many := make([]Entry, MaxEntries+1)
	for i := range many {
		many[i] = Entry{Name: fmt.Sprintf("m%d", i), Path: fmt.Sprintf("/m/m%d.ko", i)}
	}
	manyAl := make([]modalias.Alias, MaxAliases+1)
	for i := range manyAl {
		manyAl[i] = modalias.Alias{Pattern: fmt.Sprintf("p%d", i), Module: "a"}
	}
	manyDeps := []Entry{{Name: "a", Path: "/m/a.ko"}}
	for i := range 300 {
		name := fmt.Sprintf("module_with_a_long_name_%03d", i)
		manyDeps = append(manyDeps, Entry{Name: name, Path: "/m/" + name + ".ko"})
	}
	last := Entry{Name: "z", Path: "/m/z.ko"}
	for _, e := range manyDeps {
		last.Deps = append(last.Deps, e.Name)
	}
	manyDeps = append(manyDeps, last)
	a := []Entry{{Name: "a", Path: "/m/a.ko"}}
	tests := []struct {
		name    string
		list    List
		wantErr string
	}{
		{name: "dep not earlier", list: List{Modules: []Entry{{Name: "a", Path: "/m/a.ko", Deps: []string{"b"}}, {Name: "b", Path: "/m/b.ko"}}},
			wantErr: `loadlist: line 3: dep "b": not on an earlier line`},
		{name: "relative path", list: List{Modules: []Entry{{Name: "a", Path: "a.ko"}}}, wantErr: "not absolute"},
		{name: "space in path", list: List{Modules: []Entry{{Name: "a", Path: "/m m/a.ko"}}}, wantErr: "not printable ASCII"},
		{name: "newline in name", list: List{Modules: []Entry{{Name: "a\nb", Path: "/m/a.ko"}}}, wantErr: "not 1-55 characters"},
		{name: "unknown class", list: List{Modules: []Entry{{Name: "a", Class: 7, Path: "/m/a.ko"}}}, wantErr: `class "class(7)": unknown`},
		{name: "duplicate", list: List{Modules: []Entry{{Name: "a", Path: "/m/a.ko"}, {Name: "a", Path: "/n/a.ko"}}}, wantErr: "listed twice"},
		{name: "too many modules", list: List{Modules: many}, wantErr: "8193 modules; at most 8192 allowed"},
		{name: "too many aliases", list: List{Modules: a, Aliases: manyAl}, wantErr: "32769 aliases; at most 32768 allowed"},
		{name: "line too long", list: List{Modules: manyDeps}, wantErr: "line longer than 4096 bytes"},
		{name: "alias of unknown module", list: List{Modules: a, Aliases: []modalias.Alias{{Pattern: "x", Module: "b"}}}, wantErr: `line 4: module "b": not on an earlier module line`},
		{name: "alias not normalised", list: List{Modules: a, Aliases: []modalias.Alias{{Pattern: "fs-ext4", Module: "a"}}}, wantErr: "not normalised"},
		{name: "alias with space", list: List{Modules: a, Aliases: []modalias.Alias{{Pattern: "x y", Module: "a"}}}, wantErr: "not printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.list)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	err := Write(failWriter{}, List{Modules: []Entry{{Name: "a", Path: "/m/a.ko"}}})
	if err == nil || !strings.Contains(err.Error(), "loadlist: write: disk full") {
		t.Fatalf("Write(failing writer) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, List{
		Modules: []Entry{
			{Name: "dm_mod", Class: DM, Path: rel + "/drivers/md/dm-mod.ko"},
			{Name: "dm_bufio", Class: Dep, Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
			{Name: "dm_verity", Class: DM, Path: rel + "/drivers/md/dm-verity.ko", Deps: []string{"dm_bufio"}},
		},
		Aliases: []modalias.Alias{{Pattern: "devname:mapper/control", Module: "dm_mod"}},
	}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(v + "module a dep /m/a.ko b\nmodule b dep /m/b.ko\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		// Whatever parses must be written back and parse to the same list.
		var out bytes.Buffer
		if err := Write(&out, l); err != nil {
			t.Fatalf("Write of parsed list: %v", err)
		}
		again, err := Parse(&out)
		if err != nil {
			t.Fatalf("Parse of written list: %v", err)
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip changed the list:\n%+v\n%+v", l, again)
		}
	})
}

// BenchmarkParse reads the default set's list for Debian's 6.1.0-56-amd64
// (as `verinit initramfs` packs it), as the init does at every boot.
func BenchmarkParse(b *testing.B) {
	list, err := os.ReadFile("testdata/debian-6.1.0-56-default.load")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(list)); err != nil {
			b.Fatal(err)
		}
	}
}
