package lvm

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVGNote(t *testing.T) {
	vg := mustParseVG(t, noteText)
	want := `vg vgtest tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE seqno=8 flags=READ,WRITE,RESIZEABLE extent=8192 sysid="" lock=""
pv pv0 QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R "/dev/loop0" dev=131072 pe_start=2048 pe_count=15 flags=ALLOCATABLE present=false
pv pv1 n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp "/dev/loop1" dev=131072 pe_start=2048 pe_count=15 flags=ALLOCATABLE present=false
lv root Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-Da7sb2 flags=READ,WRITE,VISIBLE extents=15 origin=false
  seg 0+10 striped stripe=0 tags=[] origin="" [QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R 0]
  seg 10+5 striped stripe=0 tags=[] origin="" [n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp 0]
lv my-data 9wC3Je-SUG8-qGdN-yJvH-mCDI-QmVL-7iX60b flags=READ,WRITE,VISIBLE extents=8 origin=false
  seg 0+8 striped stripe=128 tags=[] origin="" [QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R 10] [n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp 5]
`
	if got := dumpVG(vg); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// The test writer round-trips it.
	again := mustParseVG(t, string(exportVG(vg)))
	if dumpVG(again) != want {
		t.Fatalf("round trip:\n%s", dumpVG(again))
	}
}

// edit returns noteText with each old string replaced by the new one
// that follows it; it panics if one is missing.
func edit(pairs ...string) string {
	s := noteText
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			panic("edit: " + pairs[i] + " not found")
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestParseVGErrors(t *testing.T) {
	const (
		pv0ID = `id = "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R"`
		pv1ID = `id = "n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp"`
		seg2  = "segment2 {\nstart_extent = 10"
		myExt = "extent_count = 8\n"
		myStr = "\"pv0\", 10,\n\"pv1\", 5\n"
	)
	for _, tc := range []struct {
		name, text, want string
	}{
		{"contents", edit(`contents = "Text Format Volume Group"`, `contents = "x"`), `lvm: metadata line 98: top level: unrecognised contents (want "Text Format Volume Group"): got "x"`},
		{"contents missing", edit(`contents = "Text Format Volume Group"`, ``), `lvm: metadata line 1: top level: missing contents`},
		{"version", edit("version = 1\n", "version = 2\n"), `lvm: metadata line 99: top level: unsupported metadata format version (want 1): got 2`},
		{"version string", edit("version = 1\n", "version = \"1\"\n"), `lvm: metadata line 99: top level: version must be an integer, not a string`},
		{"no VG", "contents = \"Text Format Volume Group\"\nversion = 1\n", `lvm: metadata line 1: top level: no volume group section`},
		{"two VGs", noteText + "other {\n}\n", `lvm: metadata line 105: top level: second volume group section "other" (first "vgtest")`},
		{"VG name", edit("vgtest {", "-vg {"), `lvm: metadata line 1: -vg: invalid volume group name: got "-vg"`},
		{"VG name too long", edit("vgtest {", strings.Repeat("v", 128)+" {"), `invalid volume group name: got "vvvv`},
		{"VG id", edit(`id = "tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE"`, `id = "tFzf7b"`), `lvm: metadata line 2: vgtest: invalid UUID (want 32 characters from 0-9, a-z, A-Z, '!', '#', and dashes): got "tFzf7b"`},
		{"VG id missing", edit(`id = "tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE"`, ``), `lvm: metadata line 1: vgtest: missing id`},
		{"seqno string", edit("seqno = 8", `seqno = "8"`), `lvm: metadata line 3: vgtest: seqno must be an integer, not a string`},
		{"seqno too big", edit("seqno = 8", `seqno = 4294967296`), `lvm: metadata line 3: vgtest: seqno out of range 0..4294967295: got 4294967296`},
		{"seqno negative", edit("seqno = 8", `seqno = -1`), `seqno out of range 0..4294967295: got -1`},
		{"format", edit(`format = "lvm2"`, `format = "lvm1"`), `lvm: metadata line 4: vgtest: unrecognised format (want "lvm2"): got "lvm1"`},
		{"unknown status flag", edit(`"RESIZEABLE", "READ"`, `"RESIZEABLE", "FOO", "READ"`), `lvm: metadata line 5: vgtest: unknown status flag: got "FOO"`},
		{"compatible flag in status", edit(`"RESIZEABLE", "READ"`, `"RESIZEABLE", "WRITE_LOCKED"`), `unknown status flag: got "WRITE_LOCKED"`},
		{"status not strings", edit(`status = ["RESIZEABLE", "READ", "WRITE"]`, `status = [1]`), `lvm: metadata line 5: vgtest: status must hold strings only`},
		{"status missing", edit(`status = ["RESIZEABLE", "READ", "WRITE"]`, ``), `lvm: metadata line 1: vgtest: missing status`},
		{"extent size 0", edit("extent_size = 8192", "extent_size = 0"), `lvm: metadata line 7: vgtest: extent size must not be 0: got 0`},
		{"max_lv missing", edit("max_lv = 0\n", ""), `vgtest: missing max_lv`},
		{"system_id not a string", edit("metadata_copies = 0", "system_id = 5"), `lvm: metadata line 10: vgtest: system_id must be a string, not an integer`},
		{"physical_volumes missing", edit("physical_volumes {", "physical_volumesX {"), `vgtest: missing physical_volumes`},
		{"physical_volumes a value", edit("physical_volumes {\n\npv0 {", "physical_volumes = 1\nx {\n\npv0 {"), `vgtest: physical_volumes must be a section, not an integer`},
		{"pv not a section", edit("\npv0 {", "\npvx = 1\npv0 {"), `lvm: metadata line 14: vgtest/physical_volumes: pvx must be a section, not an integer`},
		{"pe_start missing", edit("pe_start = 2048\npe_count = 15\n}\n\npv1", "pe_count = 15\n}\n\npv1"), `lvm: metadata line 14: vgtest/physical_volumes/pv0: missing pe_start`},
		{"pe_count too big", edit("pe_count = 15", "pe_count = 4294967296"), `pe_count out of range 0..4294967295: got 4294967296`},
		{"unknown PV status", edit(`status = ["ALLOCATABLE"]`, `status = ["ALLOCATABLE", "VISIBLE"]`), `lvm: metadata line 18: vgtest/physical_volumes/pv0: unknown status flag: got "VISIBLE"`},
		{"same PV UUID twice", edit(pv1ID, pv0ID), `lvm: metadata line 25: vgtest/physical_volumes: two physical volumes with the same UUID: got "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R"`},
		{"logical_volumes a value", edit("logical_volumes {\n\nroot {", "logical_volumes = []\nx {\n\nroot {"), `vgtest: logical_volumes must be a section, not a list`},
		{"LV name", edit("\nroot {", "\nsnap/shot {"), `lvm: metadata line 39: vgtest/logical_volumes: invalid logical volume name: got "snap/shot"`},
		{"LV not a section", edit("\nroot {", "\nx = 1\nroot {"), `vgtest/logical_volumes: x must be a section, not an integer`},
		{"LV id", edit(`id = "Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-Da7sb2"`, `id = "Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-Da7sb"`), `vgtest/logical_volumes/root: invalid UUID`},
		{"same LV UUID twice", edit(`id = "9wC3Je-SUG8-qGdN-yJvH-mCDI-QmVL-7iX60b"`, `id = "Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-Da7sb2"`), `vgtest/logical_volumes: two logical volumes with the same UUID`},
		{"unknown LV status", edit(`status = ["READ", "WRITE", "VISIBLE"]`, `status = ["READ", "WRITE", "VISIBLE", "ALLOCATABLE"]`), `lvm: metadata line 41: vgtest/logical_volumes/root: unknown status flag: got "ALLOCATABLE"`},
		{"segment_count", edit("segment_count = 2", "segment_count = 3"), `lvm: metadata line 45: vgtest/logical_volumes/root: segment_count differs from the 2 segment sections: got 3`},
		{"segment_count missing", edit("segment_count = 2\n", ""), `vgtest/logical_volumes/root: missing segment_count`},
		{"gap", edit(seg2, "segment2 {\nstart_extent = 11"), `lvm: metadata line 39: vgtest/logical_volumes/root: segments leave a gap or overlap: a segment should start at extent 10: got 11`},
		{"overlap", edit(seg2, "segment2 {\nstart_extent = 9"), `segments leave a gap or overlap: a segment should start at extent 10: got 9`},
		{"first segment not at 0", edit("segment1 {\nstart_extent = 0\nextent_count = 10", "segment1 {\nstart_extent = 15\nextent_count = 10"), `a segment should start at extent 0: got 10`},
		{"empty segment", edit("extent_count = 10", "extent_count = 0"), `lvm: metadata line 49: vgtest/logical_volumes/root/segment1: empty segment: got 0`},
		{"type missing", edit("extent_count = 10\n\ntype = \"striped\"", "extent_count = 10\n"), `vgtest/logical_volumes/root/segment1: missing type`},
		{"stripe_count 0", edit("stripe_count = 1", "stripe_count = 0"), `vgtest/logical_volumes/root/segment1: zero stripes: got 0`},
		{"stripe_size missing", edit("stripe_size = 128\n", ""), `vgtest/logical_volumes/my-data/segment1: missing stripe_size`},
		{"extent count not a multiple of stripes", edit(myExt, "extent_count = 9\n"), `vgtest/logical_volumes/my-data/segment1: extent count is not a multiple of the 2 stripes: got 9`},
		{"stripes missing", edit("stripes = [\n\"pv0\", 0\n]", ""), `vgtest/logical_volumes/root/segment1: missing stripes`},
		{"too few stripes", edit(myStr, "\"pv0\", 10\n"), `lvm: metadata line 87: vgtest/logical_volumes/my-data/segment1: stripes must list 2 pairs of volume name and start extent`},
		{"stripe pair swapped", edit(myStr, "10, \"pv0\",\n\"pv1\", 5\n"), `stripe 0 is not a volume name and a start extent in 0..4294967295`},
		{"unknown volume", edit(myStr, "\"pv0\", 10,\n\"pv7\", 5\n"), `vgtest/logical_volumes/my-data/segment1: stripe 1 names no physical or logical volume: got "pv7"`},
		{"stripe past pe_count", edit(myStr, "\"pv0\", 10,\n\"pv1\", 12\n"), `stripe 1 runs past the 15 extents of pv1: got 12`},
		{"shared extents", edit(myStr, "\"pv0\", 10,\n\"pv1\", 4\n"), `lvm: metadata line 37: vgtest/logical_volumes: logical volumes "root" and "my-data" both use extent 4 of PV n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp`},
		{"snapshot of nothing", edit("type = \"striped\"\nstripe_count = 2", "type = \"snapshot\"\norigin = \"nope\"\nstripe_count = 2"), `vgtest/logical_volumes/my-data/segment1: snapshot origin is not a logical volume of this VG: got "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseVG([]byte(tc.text))
			if err == nil {
				t.Fatalf("parseVG succeeded; want %q", tc.want)
			}
			checkOneLine(t, err)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line == 0 {
				t.Fatalf("error %v is not a *FormatError with a line", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseVGAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		check      func(t *testing.T, vg *VG)
	}{
		{"unknown compatibility flags are ignored", edit("flags = []\nextent_size", `flags = ["SOMETHING_NEW", "NOAUTOACTIVATE"]`+"\nextent_size"), func(t *testing.T, vg *VG) {
			if vg.Flags != FlagRead|FlagWrite|FlagResizeable|FlagNoAutoActivate {
				t.Fatalf("flags %s", vg.Flags)
			}
		}},
		{"WRITE_LOCKED is WRITE", edit(`"RESIZEABLE", "READ", "WRITE"]`+"\nflags = []", `"RESIZEABLE", "READ"]`+"\nflags = [\"WRITE_LOCKED\"]\nsystem_id = \"other\""), func(t *testing.T, vg *VG) {
			if vg.Flags&FlagWrite == 0 || vg.SystemID != "other" {
				t.Fatalf("flags %s system ID %q", vg.Flags, vg.SystemID)
			}
		}},
		{"status as a single string", edit(`status = ["ALLOCATABLE"]`, `status = "ALLOCATABLE"`), func(t *testing.T, vg *VG) {
			if vg.Members[0].Flags != FlagAllocatable {
				t.Fatalf("flags %s", vg.Members[0].Flags)
			}
		}},
		{"MISSING in flags", edit(`status = ["ALLOCATABLE"]`+"\nflags = []", `status = ["ALLOCATABLE"]`+"\nflags = [\"MISSING\"]"), func(t *testing.T, vg *VG) {
			if vg.Members[0].Flags != FlagAllocatable|FlagMissing {
				t.Fatalf("flags %s", vg.Members[0].Flags)
			}
		}},
		{"no logical volumes", noteText[:strings.Index(noteText, "\nlogical_volumes")] + "\n}\n" + noteText[strings.Index(noteText, "# Generated"):], func(t *testing.T, vg *VG) {
			if len(vg.LVs) != 0 || len(vg.Members) != 2 {
				t.Fatalf("%d LVs, %d PVs", len(vg.LVs), len(vg.Members))
			}
		}},
		{"other segment types keep no areas", edit("type = \"striped\"\nstripe_count = 2", "type = \"thin\"\nthin_pool = \"pool\"\nstripe_count = 2"), func(t *testing.T, vg *VG) {
			if s := vg.LVs[1].Segments[0]; s.Type != "thin" || s.Stripes != nil {
				t.Fatalf("segment %+v", s)
			}
		}},
		{"stacked segment", edit(myStrOrig, "\"root\", 0,\n\"pv1\", 5\n"), func(t *testing.T, vg *VG) {
			if s := vg.LVs[1].Segments[0]; s.Stripes[0].LV != "root" || s.Stripes[0].PVUUID != "" {
				t.Fatalf("segment %+v", s)
			}
		}},
		{"snapshot origin", edit("type = \"striped\"\nstripe_count = 2", "type = \"snapshot\"\norigin = \"root\"\nstripe_count = 2"), func(t *testing.T, vg *VG) {
			if !vg.LVs[0].origin || vg.LVs[1].origin {
				t.Fatalf("origins %v %v", vg.LVs[0].origin, vg.LVs[1].origin)
			}
		}},
		{"stripe_size ignored with one stripe", edit("stripe_count = 1\n", "stripe_count = 1\nstripe_size = \"junk\"\n"), func(t *testing.T, vg *VG) {
			if vg.LVs[0].Segments[0].StripeSizeSectors != 0 {
				t.Fatal("stripe size kept")
			}
		}},
		{"segments in any order", edit("segment1 {\nstart_extent = 0\nextent_count = 10", "segment1 {\nstart_extent = 5\nextent_count = 10", seg2x, "segment2 {\nstart_extent = 0\nextent_count = 5"), func(t *testing.T, vg *VG) {
			if s := vg.LVs[0].Segments; len(s) != 2 || s[0].StartExtent != 0 || s[0].Stripes[0].PVUUID != "n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp" {
				t.Fatalf("segments %+v", s)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParseVG(t, tc.text))
		})
	}
}

const seg2x = "segment2 {\nstart_extent = 10\nextent_count = 5"

func TestMergeSegments(t *testing.T) {
	pv0, pv1 := "pv0", "pv1"
	lin := func(start, count uint64, pv string, pe uint64) Segment {
		return Segment{StartExtent: start, ExtentCount: count, Type: "striped", Stripes: []Stripe{{PVUUID: pv, StartExtent: pe}}}
	}
	str := func(start, count uint64, size uint64, pe0, pe1 uint64) Segment {
		return Segment{StartExtent: start, ExtentCount: count, Type: "striped", StripeSizeSectors: size,
			Stripes: []Stripe{{PVUUID: pv0, StartExtent: pe0}, {PVUUID: pv1, StartExtent: pe1}}}
	}
	withType := func(s Segment, typ string) Segment { s.Type = typ; return s }
	withTags := func(s Segment, tags ...string) Segment { s.tags = tags; return s }
	for _, tc := range []struct {
		name string
		in   []Segment
		want []uint64 // extent counts after merging
	}{
		{"contiguous on one PV", []Segment{lin(0, 10, pv0, 0), lin(10, 5, pv0, 10)}, []uint64{15}},
		{"three in a row", []Segment{lin(0, 1, pv0, 3), lin(1, 1, pv0, 4), lin(2, 1, pv0, 5)}, []uint64{3}},
		{"gap on the PV", []Segment{lin(0, 10, pv0, 0), lin(10, 5, pv0, 11)}, []uint64{10, 5}},
		{"other PV", []Segment{lin(0, 10, pv0, 0), lin(10, 5, pv1, 10)}, []uint64{10, 5}},
		{"backwards on the PV", []Segment{lin(0, 10, pv0, 10), lin(10, 5, pv0, 5)}, []uint64{10, 5}},
		{"linear and striped types differ", []Segment{lin(0, 10, pv0, 0), withType(lin(10, 5, pv0, 10), "linear")}, []uint64{10, 5}},
		{"both linear", []Segment{withType(lin(0, 10, pv0, 0), "linear"), withType(lin(10, 5, pv0, 10), "linear")}, []uint64{15}},
		{"tags differ", []Segment{lin(0, 10, pv0, 0), withTags(lin(10, 5, pv0, 10), "t")}, []uint64{10, 5}},
		{"tags equal", []Segment{withTags(lin(0, 10, pv0, 0), "t"), withTags(lin(10, 5, pv0, 10), "t")}, []uint64{15}},
		{"striped continues", []Segment{str(0, 8, 128, 10, 5), str(8, 4, 128, 14, 9)}, []uint64{12}},
		{"striped, stripe size differs", []Segment{str(0, 8, 128, 10, 5), str(8, 4, 64, 14, 9)}, []uint64{8, 4}},
		{"striped, one stripe does not continue", []Segment{str(0, 8, 128, 10, 5), str(8, 4, 128, 14, 10)}, []uint64{8, 4}},
		{"stripe count differs", []Segment{str(0, 8, 128, 10, 5), lin(8, 4, pv0, 14)}, []uint64{8, 4}},
		{"other type", []Segment{{StartExtent: 0, ExtentCount: 1, Type: "zero"}, {StartExtent: 1, ExtentCount: 1, Type: "zero"}}, []uint64{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mergeSegments(tc.in)
			var got []uint64
			for _, s := range out {
				got = append(got, s.ExtentCount)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	// A locked LV (pvmove in progress) keeps its segments as written.
	text := edit(`status = ["READ", "WRITE", "VISIBLE"]`, `status = ["READ", "WRITE", "VISIBLE", "LOCKED"]`,
		"pe_count = 15", "pe_count = 30", "\"pv1\", 0\n]", "\"pv0\", 10\n]", myStrOrig, "\"pv0\", 15,\n\"pv1\", 5\n")
	if vg := mustParseVG(t, text); len(vg.LVs[0].Segments) != 2 {
		t.Fatalf("locked LV: %d segments, want 2", len(vg.LVs[0].Segments))
	}
	text = edit("pe_count = 15", "pe_count = 30", "\"pv1\", 0\n]", "\"pv0\", 10\n]", myStrOrig, "\"pv0\", 15,\n\"pv1\", 5\n")
	if vg := mustParseVG(t, text); len(vg.LVs[0].Segments) != 1 || vg.LVs[0].Segments[0].ExtentCount != 15 {
		t.Fatalf("unlocked LV: %d segments, want 1", len(vg.LVs[0].Segments))
	}
}

const myStrOrig = "\"pv0\", 10,\n\"pv1\", 5\n"
