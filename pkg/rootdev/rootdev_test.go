package rootdev

import (
	"errors"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/gpt"
)

func guid(t *testing.T, s string) gpt.GUID {
	t.Helper()
	g, err := gpt.ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		kind    Kind
		value   string
		off     int
		wantErr string
	}{
		{"/dev/vda2", ByPath, "vda2", 0, ""},
		{"PARTUUID=6B1D3C1E-0000-4000-8000-000000000002", ByPartUUID, "6b1d3c1e-0000-4000-8000-000000000002", 0, ""},
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROFF=-1", ByPartUUID, "6b1d3c1e-0000-4000-8000-000000000001", -1, ""},
		{"PARTLABEL=root-a", ByPartLabel, "root-a", 0, ""},
		{"UUID=3F0C4A52-9D6E-4C1B-A7F1-0E2D5B8C9A10", ByFSUUID, "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a10", 0, ""},
		{"LABEL=Root", ByFSLabel, "Root", 0, ""},
		{"254:2", ByDevNum, "254:2", 0, ""},
		{"fe02", ByDevNum, "254:2", 0, ""},
		{"", 0, "", 0, "no root= given"},
		{"PARTUUID=xyz", 0, "", 0, `root=PARTUUID=xyz: bad PARTUUID "xyz": `},
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROF=1", 0, "", 0, `root=PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROF=1: bad partition offset "PARTNROF=1" (want /PARTNROFF=N)`},
		{"PARTLABEL=", 0, "", 0, "root=PARTLABEL=: empty PARTLABEL"},
		{"/dev/disk/by-label/x", 0, "", 0, "root=/dev/disk/by-label/x: only /dev/NAME of a kernel block device or /dev/VG/LV is supported (no udev symlinks such as /dev/disk/...)"},
		{"8:x", 0, "", 0, "root=8:x: bad device number (want MAJ:MIN)"},
		{"sda1", 0, "", 0, "root=sda1: unknown form (want /dev/NAME, PARTUUID=, PARTLABEL=, UUID=, LABEL= or MAJ:MIN)"},
	}
	for _, tc := range tests {
		s, err := ParseSpec(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("ParseSpec(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || s.Kind != tc.kind || s.Value != tc.value || s.PartNrOff != tc.off {
			t.Errorf("ParseSpec(%q) = %+v, %v", tc.in, s, err)
		}
	}
}

// view: vda with partitions 1-3, and with withClone vdb with a clone of vda's table
// (the same PARTUUIDs and labels, as a copied A/B image would have).
func view(t *testing.T, withClone bool) View {
	t.Helper()
	table := &gpt.Table{SectorSize: 512, Partitions: []gpt.Partition{
		{Number: 1, UUID: guid(t, "6b1d3c1e-0000-4000-8000-000000000001"), Name: "boot"},
		{Number: 2, UUID: guid(t, "6b1d3c1e-0000-4000-8000-000000000002"), Name: "root-a"},
		{Number: 3, UUID: guid(t, "6b1d3c1e-0000-4000-8000-000000000003"), Name: "root-b"},
	}}
	v := View{
		Devices: []blockdev.Device{
			{Name: "vda", Disk: "vda", Major: 254, Minor: 0},
			{Name: "vda1", Disk: "vda", Partition: 1, Major: 254, Minor: 1},
			{Name: "vda2", Disk: "vda", Partition: 2, Major: 254, Minor: 2},
			{Name: "vda3", Disk: "vda", Partition: 3, Major: 254, Minor: 3},
			{Name: "vdc", Disk: "vdc", Major: 254, Minor: 32},
		},
		Disks: map[string]Disk{"vda": {Table: table}, "vdc": {Err: errors.New("no usable GPT: gpt: no GPT found")}},
		FS: map[string]fsdetect.Info{"vda3": {Type: "ext4", UUID: "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a10", Label: "rootb"},
			"vda2": {Type: "squashfs"}, "vda1": {}},
	}
	if withClone {
		v.Devices = append(v.Devices, blockdev.Device{Name: "vdb", Disk: "vdb"}, blockdev.Device{Name: "vdb2", Disk: "vdb", Partition: 2})
		v.Disks["vdb"] = Disk{Table: table}
	}
	return v
}

func TestResolve(t *testing.T) {
	tests := []struct {
		spec    string
		clone   bool
		device  string // "" = not found (yet)
		wantErr string
	}{
		{"/dev/vda2", false, "vda2", ""},
		{"/dev/vdz", false, "", ""},
		{"254:3", false, "vda3", ""},
		{"PARTUUID=6B1D3C1E-0000-4000-8000-000000000002", false, "vda2", ""},
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROFF=2", false, "vda3", ""},
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROFF=3", false, "", ""}, // table has no 4th; device not there
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROFF=-1", false, "", "PARTUUID=6b1d3c1e-0000-4000-8000-000000000001/PARTNROFF=-1: partition offset leads to partition 0 of vda"},
		{"PARTLABEL=root-b", false, "vda3", ""},
		{"PARTLABEL=root-c", false, "", ""},
		{"UUID=3F0C4A52-9D6E-4C1B-A7F1-0E2D5B8C9A10", false, "vda3", ""},
		{"LABEL=rootb", false, "vda3", ""},
		{"PARTLABEL=root-a", true, "", "PARTLABEL=root-a matches 2 partitions: vda2 vdb2; refusing to guess"},
		{"PARTUUID=6b1d3c1e-0000-4000-8000-000000000003", true, "", "PARTUUID=6b1d3c1e-0000-4000-8000-000000000003 matches 2 partitions: vda3 vdb(partition 3); refusing to guess"},
	}
	for _, tc := range tests {
		s, err := ParseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		m, ok, err := s.Resolve(view(t, tc.clone))
		switch {
		case tc.wantErr != "":
			var amb *AmbiguousError
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: error = %v, want %q", tc.spec, err, tc.wantErr)
			} else if strings.Contains(tc.wantErr, "refusing") && !errors.As(err, &amb) {
				t.Errorf("%s: error is not an AmbiguousError", tc.spec)
			}
		case err != nil:
			t.Errorf("%s: error %v", tc.spec, err)
		case tc.device == "" && ok:
			t.Errorf("%s: found %s, want nothing", tc.spec, m.Device.Name)
		case tc.device != "" && (!ok || m.Device.Name != tc.device):
			t.Errorf("%s: found %q (ok=%v), want %s", tc.spec, m.Device.Name, ok, tc.device)
		}
	}
}

func TestExplain(t *testing.T) {
	got := Explain(view(t, false))
	want := "block devices seen: vda vda1 vda2 vda3 vdc; vdc: no usable GPT: gpt: no GPT found; " +
		"vda2: squashfs (no UUID or label); vda3: ext4 UUID=3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a10 LABEL=rootb"
	if got != want {
		t.Errorf("Explain = %q\nwant %q", got, want)
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "root=") && !errors.Is(err, ErrNoRoot) {
				t.Errorf("error does not name root=: %v", err)
			}
			return
		}
		if sp.Kind.Key() == "" || sp.Raw != s {
			t.Errorf("ParseSpec(%q) = %+v", s, sp)
		}
		// Resolving against an empty view never finds anything and
		// never fails.
		if _, ok, err := sp.Resolve(View{}); ok || err != nil {
			t.Errorf("Resolve(empty) = %v, %v", ok, err)
		}
	})
}

func TestParseSpecLVM(t *testing.T) {
	for in, want := range map[string][2]string{
		"/dev/vg0/root":              {"vg0", "root"},
		"/dev/mapper/vg0-root":       {"vg0", "root"},
		"/dev/mapper/my--vg-root--a": {"my-vg", "root-a"},
		"LVM=my-vg/root-a":           {"my-vg", "root-a"},
		"/dev/mapper/vg--only":       {"", ""},
		"/dev/disk/by-uuid/x":        {"", ""},
		"LVM=vg":                     {"", ""},
		"/dev/mapper/-bad-x":         {"", ""},
	} {
		s, err := ParseSpec(in)
		if want[0] == "" {
			if err == nil {
				t.Errorf("ParseSpec(%q) = %+v, want an error", in, s)
			}
			continue
		}
		if err != nil || s.Kind != ByLV || s.VG != want[0] || s.LV != want[1] || s.Value != want[0]+"/"+want[1] {
			t.Errorf("ParseSpec(%q) = %+v, %v", in, s, err)
		}
	}
}
