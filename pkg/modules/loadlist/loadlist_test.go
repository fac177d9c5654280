package loadlist

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const rel = "/lib/modules/6.1.0-56-amd64/kernel"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr string
	}{
		{name: "empty", in: ""},
		{name: "header only", in: Header + "\n"},
		{
			name: "valid",
			in: Header + "\n" +
				"dm_mod " + rel + "/drivers/md/dm-mod.ko\n" +
				"\n# comment\n" +
				"dm_bufio " + rel + "/drivers/md/dm-bufio.ko dm_mod\n" +
				"reed_solomon  " + rel + "/lib/reed_solomon/reed_solomon.ko\r\n" +
				"dm_verity\t" + rel + "/drivers/md/dm-verity.ko dm_bufio reed_solomon", // no final newline
			want: []Entry{
				{Name: "dm_mod", Path: rel + "/drivers/md/dm-mod.ko"},
				{Name: "dm_bufio", Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
				{Name: "reed_solomon", Path: rel + "/lib/reed_solomon/reed_solomon.ko"},
				{Name: "dm_verity", Path: rel + "/drivers/md/dm-verity.ko", Deps: []string{"dm_bufio", "reed_solomon"}},
			},
		},
		{name: "name only", in: "dm_mod\n", wantErr: "loadlist: line 1: want NAME PATH [DEP ...]"},
		{name: "dash in name", in: "dm-mod /m/dm-mod.ko\n", wantErr: `line 1: name "dm-mod": not 1-55 characters`},
		{name: "name too long", in: strings.Repeat("a", 56) + " /m/" + strings.Repeat("a", 56) + ".ko\n", wantErr: "not 1-55 characters"},
		{name: "duplicate name", in: "a /m/a.ko\nb /m/b.ko\na /n/a.ko\n", wantErr: `line 3: name "a": listed twice`},
		{name: "relative path", in: "a m/a.ko\n", wantErr: `line 1: path "m/a.ko": not absolute`},
		{name: "unclean path", in: "a /m/../m/a.ko\n", wantErr: `line 1: path "/m/../m/a.ko": not a clean path`},
		{name: "compressed path", in: "a /m/a.ko.xz\n", wantErr: "not an uncompressed module (.ko)"},
		{name: "path of another module", in: "a /m/b.ko\n", wantErr: "file name does not match module a"},
		{name: "non-ascii path", in: "a /m/\xc3\xa9/a.ko\n", wantErr: "not printable ASCII"},
		{name: "dep later", in: "a /m/a.ko b\nb /m/b.ko\n", wantErr: `line 1: dep "b": not on an earlier line`},
		{name: "dep unknown", in: "a /m/a.ko\nb /m/b.ko a c\n", wantErr: `line 2: dep "c": not on an earlier line`},
		{name: "dep on itself", in: "a /m/a.ko a\n", wantErr: `dep "a": module depends on itself`},
		{name: "dep twice", in: "a /m/a.ko\nb /m/b.ko a a\n", wantErr: `line 2: dep "a": listed twice`},
		{name: "dep twice in a long list", in: manyEntries(20) + "x /m/x.ko m0 m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 m15 m16 m3\n",
			wantErr: `line 21: dep "m3": listed twice`},
		{name: "bad dep name", in: "a /m/a.ko\nb /m/b.ko a-x\n", wantErr: `dep "a-x": not 1-55`},
		{
			name:    "line too long",
			in:      "a /m/a.ko\nb /m/b.ko" + strings.Repeat(" a", MaxLineBytes) + "\n",
			wantErr: "loadlist: line 2: line longer than 4096 bytes",
		},
		{
			name:    "too many lines",
			in:      strings.Repeat("#\n", MaxLines+1),
			wantErr: "loadlist: line 16385: more than 16384 lines",
		},
		{
			name:    "too many entries",
			in:      manyEntries(MaxEntries + 1),
			wantErr: "loadlist: line 8193: more than 8192 entries",
		},
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
		fmt.Fprintf(&b, "m%d /m/m%d.ko\n", i, i)
	}
	return b.String()
}

func TestAtLimits(t *testing.T) {
	entries, err := Parse(strings.NewReader(manyEntries(MaxEntries)))
	if err != nil {
		t.Fatalf("Parse(%d entries) error = %v", MaxEntries, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, entries); err != nil {
		t.Fatalf("Write(%d entries) error = %v", MaxEntries, err)
	}
	if _, err := Parse(&buf); err != nil {
		t.Fatalf("Parse(written) error = %v", err)
	}
}

func TestWrite(t *testing.T) {
	entries := []Entry{
		{Name: "dm_mod", Path: rel + "/drivers/md/dm-mod.ko"},
		{Name: "dm_bufio", Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, entries); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	want := Header + "\n" +
		"dm_mod " + rel + "/drivers/md/dm-mod.ko\n" +
		"dm_bufio " + rel + "/drivers/md/dm-bufio.ko dm_mod\n"
	if buf.String() != want {
		t.Errorf("Write() wrote\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := Parse(&buf)
	if err != nil || !reflect.DeepEqual(got, entries) {
		t.Errorf("round trip = %+v, %v; want %+v", got, err, entries)
	}
}

func TestWriteRejects(t *testing.T) {
	many := make([]Entry, MaxEntries+1)
	for i := range many {
		many[i] = Entry{Name: fmt.Sprintf("m%d", i), Path: fmt.Sprintf("/m/m%d.ko", i)}
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
	tests := []struct {
		name    string
		entries []Entry
		wantErr string
	}{
		{name: "dep not earlier", entries: []Entry{{Name: "a", Path: "/m/a.ko", Deps: []string{"b"}}, {Name: "b", Path: "/m/b.ko"}},
			wantErr: `loadlist: line 2: dep "b": not on an earlier line`},
		{name: "relative path", entries: []Entry{{Name: "a", Path: "a.ko"}}, wantErr: "not absolute"},
		{name: "space in path", entries: []Entry{{Name: "a", Path: "/m m/a.ko"}}, wantErr: "not printable ASCII"},
		{name: "newline in name", entries: []Entry{{Name: "a\nb", Path: "/m/a.ko"}}, wantErr: "not 1-55 characters"},
		{name: "duplicate", entries: []Entry{{Name: "a", Path: "/m/a.ko"}, {Name: "a", Path: "/n/a.ko"}}, wantErr: "listed twice"},
		{name: "too many entries", entries: many, wantErr: "8193 entries; at most 8192 allowed"},
		{name: "line too long", entries: manyDeps, wantErr: "line longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	err := Write(failWriter{}, []Entry{{Name: "a", Path: "/m/a.ko"}})
	if err == nil || !strings.Contains(err.Error(), "loadlist: write: disk full") {
		t.Fatalf("Write(failing writer) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, []Entry{
		{Name: "dm_mod", Path: rel + "/drivers/md/dm-mod.ko"},
		{Name: "dm_bufio", Path: rel + "/drivers/md/dm-bufio.ko", Deps: []string{"dm_mod"}},
		{Name: "dm_verity", Path: rel + "/drivers/md/dm-verity.ko", Deps: []string{"dm_bufio"}},
	}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("a /m/a.ko b\nb /m/b.ko\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		// Whatever parses must be written back and parse to the same list.
		var out bytes.Buffer
		if err := Write(&out, entries); err != nil {
			t.Fatalf("Write of parsed list: %v", err)
		}
		again, err := Parse(&out)
		if err != nil {
			t.Fatalf("Parse of written list: %v", err)
		}
		if !reflect.DeepEqual(again, entries) {
			t.Fatalf("round trip changed the list:\n%+v\n%+v", entries, again)
		}
	})
}
