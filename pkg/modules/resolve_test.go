package modules

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Synthetic module tree: virtio, device-mapper with verity, ext4 with a
// softdep on an alias, a dependency cycle, softdep post and a missing softdep.
const (
	testDep = `kernel/lib/virtio_ring.ko:
kernel/virtio/virtio.ko: kernel/lib/virtio_ring.ko
kernel/virtio/virtio-blk.ko.xz: kernel/virtio/virtio.ko kernel/lib/virtio_ring.ko
kernel/md/dm-mod.ko:
kernel/md/dm-bufio.ko: kernel/md/dm-mod.ko
kernel/md/dm-verity.ko: kernel/md/dm-bufio.ko kernel/md/dm-mod.ko kernel/lib/reed_solomon.ko
kernel/lib/reed_solomon.ko:
kernel/fs/ext4.ko.zst: kernel/lib/crc16.ko kernel/fs/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/jbd2.ko:
kernel/crypto/crc32c_generic.ko.gz:
kernel/crypto/crc32c-intel.ko:
kernel/cycle/a.ko: kernel/cycle/b.ko
kernel/cycle/b.ko: kernel/cycle/a.ko
kernel/soft/host.ko:
kernel/soft/after.ko:
kernel/soft/needs-builtin.ko:
kernel/ghost/haunted.ko: kernel/ghost/not-listed.ko
kernel/crypto/sha256-ssse3.ko:
`
	testSoftdep = `# test
softdep ext4 pre: crypto-crc32c
softdep host pre: nosuch post: after
softdep host post: nosuch-either
softdep needs_builtin pre: crc32c
softdep cifs gcm
`
	testBuiltin = `kernel/drivers/scsi/sd_mod.ko
kernel/lib/crc32c.ko
`
	testAlias = `alias crypto-crc32c crc32c_intel
alias crypto-crc32c crc32c_generic
alias pci:v00001AF4d00001001sv*sd*bc*sc*i* virtio_blk
alias fs-ext4 ext4
alias crypto-crc32c-builtin crc32c
alias crypto-sha256 sha256_ssse3
`
	// sha256_generic built in, as in Debian's kernels.
	testBuiltinModinfo = "sha256_generic.file=crypto/sha256_generic\x00sha256_generic.license=GPL\x00" +
		"sha256_generic.alias=crypto-sha256\x00sha256_generic.alias=sha256\x00"
)

func testDB(t *testing.T) *DB {
	t.Helper()
	db, err := LoadDB(fstest.MapFS{
		"modules.dep":             {Data: []byte(testDep)},
		"modules.softdep":         {Data: []byte(testSoftdep)},
		"modules.builtin":         {Data: []byte(testBuiltin)},
		"modules.alias":           {Data: []byte(testAlias)},
		"modules.builtin.modinfo": {Data: []byte(testBuiltinModinfo)},
	})
	if err != nil {
		t.Fatalf("LoadDB: %v", err)
	}
	return db
}

// planString renders plan modules as "name:dep,dep" for compact tables.
func planString(p Plan) []string {
	var out []string
	for _, m := range p.Modules {
		out = append(out, m.Name+":"+strings.Join(m.Deps, ","))
	}
	return out
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name        string
		req         []string
		want        []string
		wantBuiltin []string
		wantMissing []string
	}{
		{
			name: "deps before dependents, direct deps only",
			req:  []string{"virtio_blk"},
			want: []string{"virtio_ring:", "virtio:virtio_ring", "virtio_blk:virtio"},
		},
		{
			name: "dash and underscore are one name",
			req:  []string{"virtio-blk", "virtio_blk"},
			want: []string{"virtio_ring:", "virtio:virtio_ring", "virtio_blk:virtio"},
		},
		{
			name: "dm_verity",
			req:  []string{"dm_verity"},
			want: []string{"dm_mod:", "dm_bufio:dm_mod", "reed_solomon:", "dm_verity:dm_bufio,reed_solomon"},
		},
		{
			name: "softdep pre through alias",
			req:  []string{"ext4"},
			want: []string{"crc32c_generic:", "crc32c_intel:", "crc16:", "jbd2:", "ext4:crc32c_generic,crc32c_intel,crc16,jbd2"},
		},
		{
			name: "request order kept",
			req:  []string{"dm_mod", "virtio_blk", "virtio"},
			want: []string{"dm_mod:", "virtio_ring:", "virtio:virtio_ring", "virtio_blk:virtio"},
		},
		{
			name:        "builtin reported",
			req:         []string{"sd_mod", "dm-mod"},
			want:        []string{"dm_mod:"},
			wantBuiltin: []string{"sd_mod"},
		},
		{
			name:        "builtin softdep reported",
			req:         []string{"needs_builtin"},
			want:        []string{"needs_builtin:"},
			wantBuiltin: []string{"crc32c"},
		},
		{
			name:        "alias of a builtin",
			req:         []string{"crypto-crc32c-builtin"},
			wantBuiltin: []string{"crc32c"},
		},
		{
			// The kernel never asks for an algorithm it has: the
			// accelerated module of modules.alias is not packed.
			name:        "alias a builtin declares",
			req:         []string{"crypto-sha256"},
			wantBuiltin: []string{"sha256_generic"},
		},
		{
			name: "the accelerated module by name",
			req:  []string{"sha256_ssse3"},
			want: []string{"sha256_ssse3:"},
		},
		{
			name:        "unknown names missing, not fatal",
			req:         []string{"nosuch", "dm_mod", "no-such2", "nosuch"},
			want:        []string{"dm_mod:"},
			wantMissing: []string{"nosuch", "no_such2"},
		},
		{
			name:        "dependency without its own line",
			req:         []string{"haunted"},
			want:        []string{"haunted:"},
			wantMissing: []string{"not_listed"},
		},
		{
			name: "softdep post after, missing softdeps skipped",
			req:  []string{"host"},
			want: []string{"host:", "after:host"},
		},
		{
			name: "post softdep already loaded keeps its place",
			req:  []string{"after", "host"},
			want: []string{"after:", "host:"},
		},
		{
			name: "cycle does not loop",
			req:  []string{"a"},
			want: []string{"b:", "a:b"},
		},
		{
			name: "modalias request",
			req:  []string{"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"},
			want: []string{"virtio_ring:", "virtio:virtio_ring", "virtio_blk:virtio"},
		},
		{
			name: "nothing requested",
		},
	}
	db := testDB(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(db, tt.req)
			if err != nil {
				t.Fatalf("Resolve(%q) error = %v", tt.req, err)
			}
			if g := planString(got); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("Resolve(%q) modules = %q, want %q", tt.req, g, tt.want)
			}
			if !reflect.DeepEqual(got.Builtin, tt.wantBuiltin) {
				t.Errorf("Resolve(%q) builtin = %q, want %q", tt.req, got.Builtin, tt.wantBuiltin)
			}
			if !reflect.DeepEqual(got.Missing, tt.wantMissing) {
				t.Errorf("Resolve(%q) missing = %q, want %q", tt.req, got.Missing, tt.wantMissing)
			}
			checkPlanOrder(t, got)
			again, err := Resolve(db, tt.req)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("second Resolve differs: %+v, %v", again, err)
			}
		})
	}
}

func TestResolvePaths(t *testing.T) {
	got, err := Resolve(testDB(t), []string{"virtio_blk"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Module{
		{Name: "virtio_ring", Path: "kernel/lib/virtio_ring.ko"},
		{Name: "virtio", Path: "kernel/virtio/virtio.ko", Deps: []string{"virtio_ring"}},
		{Name: "virtio_blk", Path: "kernel/virtio/virtio-blk.ko.xz", Deps: []string{"virtio"}},
	}
	if !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("Resolve modules = %+v, want %+v", got.Modules, want)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name    string
		db      *DB
		req     []string
		wantErr string
	}{
		{
			name:    "empty name",
			db:      &DB{},
			req:     []string{""},
			wantErr: `invalid module name ""`,
		},
		{
			name:    "name with space",
			db:      &DB{},
			req:     []string{"dm mod"},
			wantErr: `invalid module name "dm mod"`,
		},
		{
			name: "duplicate module in a hand-made DB",
			db: &DB{Deps: []DepEntry{
				{Path: "kernel/dm-mod.ko"}, {Path: "updates/dm_mod.ko"},
			}},
			req:     []string{"dm_mod"},
			wantErr: "module dm_mod listed twice: kernel/dm-mod.ko and updates/dm_mod.ko",
		},
		{
			name:    "not a module path",
			db:      &DB{Deps: []DepEntry{{Path: "kernel/x"}}},
			req:     []string{"x"},
			wantErr: `"kernel/x" is not a module path`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(tt.db, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolve() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadDB(t *testing.T) {
	tests := []struct {
		name    string
		fs      fstest.MapFS
		wantErr string
		wantLen int
	}{
		{
			name:    "only modules.dep",
			fs:      fstest.MapFS{"modules.dep": {Data: []byte(testDep)}},
			wantLen: 19,
		},
		{
			name:    "no modules.dep",
			fs:      fstest.MapFS{"modules.alias": {Data: []byte(testAlias)}},
			wantErr: "modules: open modules.dep:",
		},
		{
			name: "bad softdep names the file and line",
			fs: fstest.MapFS{
				"modules.dep":     {Data: []byte(testDep)},
				"modules.softdep": {Data: []byte("softdep ok pre: a\nbogus\n")},
			},
			wantErr: `modules.softdep line 2: keyword "bogus"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := LoadDB(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadDB() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadDB() error = %v", err)
			}
			if len(db.Deps) != tt.wantLen {
				t.Errorf("LoadDB() has %d modules, want %d", len(db.Deps), tt.wantLen)
			}
		})
	}
}

func TestDefaultModulesFresh(t *testing.T) {
	a := DefaultModules(dps.ArchX86_64)
	a[0] = "changed"
	if b := DefaultModules(dps.ArchX86_64); b[0] == "changed" {
		t.Fatal("DefaultModules returns shared state")
	}
}

// TestAdded: a module added to a set loads when the init can first ask
// for it, as its name or aliases say.
func TestAdded(t *testing.T) {
	db := testDB(t)
	for _, tc := range []struct {
		name string
		want loadlist.Class
	}{
		{"ext4", loadlist.FS},          // alias fs-ext4
		{"fs-ext4", loadlist.FS},       // the name the init asks for
		{"dm-verity", loadlist.DM},     // a device-mapper target
		{"crypto-sha256", loadlist.DM}, // a hash, by alias
		{"sha256_ssse3", loadlist.DM},  // alias crypto-sha256
		{"virtio_blk", loadlist.Storage},
		{"jbd2", loadlist.Start}, // nothing to ask for it by
		{"nosuch", loadlist.Start},
	} {
		got, err := Added(db, tc.name)
		if err != nil || got != (Want{Name: tc.name, Class: tc.want}) {
			t.Errorf("Added(%q) = %+v, %v; want class %v", tc.name, got, err, tc.want)
		}
	}
}
