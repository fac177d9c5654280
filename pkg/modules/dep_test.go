package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func TestParseDep(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []DepEntry
		wantErr string // substring of the error; "" for success
	}{
		{
			name: "empty",
			in:   "",
		},
		{
			name: "debian lines",
			in: "kernel/drivers/md/dm-mod.ko:\n" +
				"kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko\n",
			want: []DepEntry{
				{Name: "dm_mod", Path: "kernel/drivers/md/dm-mod.ko"},
				{Name: "dm_verity", Path: "kernel/drivers/md/dm-verity.ko",
					Deps: []string{"kernel/drivers/md/dm-bufio.ko", "kernel/drivers/md/dm-mod.ko"}},
			},
		},
		{
			name: "blank lines comments doubled spaces tabs crlf",
			in: "# generated\n\n   \n" +
				"kernel/a.ko.xz:  kernel/b.ko.zst\t\tkernel/c.ko.gz  \r\n" +
				"  kernel/b.ko.zst :\r\n",
			want: []DepEntry{
				{Name: "a", Path: "kernel/a.ko.xz", Deps: []string{"kernel/b.ko.zst", "kernel/c.ko.gz"}},
				{Name: "b", Path: "kernel/b.ko.zst"},
			},
		},
		{
			name:    "line without colon names the line",
			in:      "kernel/a.ko:\nkernel/b.ko kernel/a.ko\n",
			wantErr: "modules.dep line 2: missing ':'",
		},
		{
			name:    "empty path",
			in:      ": kernel/a.ko\n",
			wantErr: "line 1: path: empty",
		},
		{
			name:    "absolute path",
			in:      "/lib/modules/6.1/kernel/a.ko:\n",
			wantErr: "line 1: path \"/lib/modules/6.1/kernel/a.ko\": absolute",
		},
		{
			name:    "escaping path",
			in:      "../../etc/a.ko:\n",
			wantErr: "leaves the modules directory",
		},
		{
			name:    "unclean dep",
			in:      "kernel/a.ko: kernel//b.ko\n",
			wantErr: `line 1: dep "kernel//b.ko": not a clean path`,
		},
		{
			name:    "not a module",
			in:      "kernel/a.o:\n",
			wantErr: "not a kernel module file",
		},
		{
			name:    "bad module name",
			in:      "kernel/a+b.ko:\n",
			wantErr: "module name is not",
		},
		{
			name:    "duplicate module name",
			in:      "kernel/dm-mod.ko:\nupdates/dm_mod.ko.xz:\n",
			wantErr: "line 2: path \"updates/dm_mod.ko.xz\": module dm_mod already listed on line 1",
		},
		{
			name:    "self dependency",
			in:      "kernel/a.ko: kernel/a.ko.xz\n",
			wantErr: "depends on itself",
		},
		{
			name:    "control character",
			in:      "kernel/a\x00.ko:\n",
			wantErr: "not printable ASCII",
		},
		{
			name:    "line too long",
			in:      "kernel/a.ko:" + strings.Repeat(" kernel/b.ko", maxDepLineBytes/12+1) + "\n",
			wantErr: "line 1: line longer than 65536 bytes",
		},
		{
			name:    "too many lines",
			in:      strings.Repeat("\n", maxDepLines+1),
			wantErr: "more than 65536 lines",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDep(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDep() error = %v, want one containing %q", err, tt.wantErr)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("ParseDep() error %T is not a *FormatError", err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q spans lines", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDep() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDep() = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseDepReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ParseDep(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("ParseDep(failing reader) = %v, want wrapped %v", err, boom)
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		t.Errorf("read error reported as content error: %v", err)
	}
}

func FuzzParseDep(f *testing.F) {
	f.Add([]byte("kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko\n" +
		"kernel/drivers/md/dm-bufio.ko: kernel/drivers/md/dm-mod.ko\nkernel/drivers/md/dm-mod.ko:\n"))
	f.Add([]byte("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, err := ParseDep(strings.NewReader(string(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseDep error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		var names []string
		for _, d := range deps {
			if d.Name != Name(d.Path) || !loadlist.ValidName(d.Name) {
				t.Fatalf("entry %+v: bad name", d)
			}
			names = append(names, d.Name)
		}
		// Whatever parses must resolve without error into a valid load list.
		db := &DB{Deps: deps}
		plan, err := Resolve(db, names)
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		checkPlanOrder(t, plan)
	})
}

// checkPlanOrder fails unless every module of plan appears once and after
// all of its Deps.
func checkPlanOrder(t *testing.T, plan Plan) {
	t.Helper()
	pos := make(map[string]int)
	for i, m := range plan.Modules {
		if _, dup := pos[m.Name]; dup {
			t.Fatalf("module %s planned twice", m.Name)
		}
		for _, d := range m.Deps {
			j, ok := pos[d]
			if !ok {
				t.Fatalf("module %s (position %d) depends on %s, which is not earlier", m.Name, i, d)
			}
			_ = j
		}
		pos[m.Name] = i
	}
}
