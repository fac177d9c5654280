package lvm

import (
	"errors"
	"strings"
	"testing"
)

func TestAssemble(t *testing.T) {
	newer := edit("seqno = 8", "seqno = 9", "extent_count = 5\n", "extent_count = 4\n")
	newerOther := edit("seqno = 8", "seqno = 9", "creation_host = \"vm\"\t#", "creation_host = \"vm2\"\t#")
	other := strings.NewReplacer("vgtest", "other", "tFzf7b-a7Ek", "xxxxxx-a7Ek", "QFafSF", "AAAAAA", "n4JeU0", "BBBBBB").Replace(noteText)
	sameName := strings.NewReplacer("tFzf7b-a7Ek", "yyyyyy-a7Ek", "QFafSF", "CCCCCC", "n4JeU0", "DDDDDD").Replace(noteText)
	type result struct {
		names []string // VG names returned
		seqno uint32   // of the first VG
		err   string   // substring of the error, which must match ErrInconsistent
	}
	for _, tc := range []struct {
		name string
		pvs  func(t *testing.T) []*PV
		want result
	}{
		{"one copy", func(t *testing.T) []*PV { return []*PV{fakePV(t, notePV0, 64<<20, noteText)} }, result{names: []string{"vgtest"}, seqno: 8}},
		{"highest seqno wins", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText, newer), fakePV(t, notePV1, 64<<20, noteText)}
		}, result{names: []string{"vgtest"}, seqno: 9}},
		{"highest seqno wins, in any order", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, notePV1, 64<<20, newer, noteText)}
		}, result{names: []string{"vgtest"}, seqno: 9}},
		{"same seqno, same text", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, newer, newer), fakePV(t, notePV1, 64<<20, newer)}
		}, result{names: []string{"vgtest"}, seqno: 9}},
		{"same seqno, other text", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, newer), fakePV(t, notePV1, 64<<20, newerOther)}
		}, result{err: "lvm: VG vgtest (tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE): two metadata copies with seqno 9 differ; refusing to choose"}},
		{"older copies may differ", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, newer, edit("seqno = 8", "seqno = 7")), fakePV(t, notePV1, 64<<20, noteText)}
		}, result{names: []string{"vgtest"}, seqno: 9}},
		{"two VGs", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, "AAAAAA-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 64<<20, other)}
		}, result{names: []string{"other", "vgtest"}, seqno: 8}},
		{"two VGs with one name", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, "CCCCCC-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 64<<20, sameName),
				fakePV(t, "AAAAAA-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 64<<20, other)}
		}, result{names: []string{"other"}, seqno: 8, err: `lvm: 2 volume groups are named "vgtest" (tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE, yyyyyy-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE); refusing to choose`}},
		{"PV UUID on two devices", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, notePV0, 64<<20, noteText), fakePV(t, notePV1, 64<<20)}
		}, result{err: "lvm: VG vgtest: PV " + notePV0 + " found on more than one device"}},
		{"duplicate PV of no VG in use", func(t *testing.T) []*PV {
			return []*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, "EEEEEE-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 1<<20), fakePV(t, "EEEEEE-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 1<<20)}
		}, result{names: []string{"vgtest"}, seqno: 8}},
		{"no metadata anywhere", func(t *testing.T) []*PV { return []*PV{fakePV(t, notePV0, 64<<20), nil} }, result{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vgs, err := Assemble(tc.pvs(t))
			var names []string
			for _, vg := range vgs {
				names = append(names, vg.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want.names, ",") {
				t.Fatalf("VGs %v, want %v (error %v)", names, tc.want.names, err)
			}
			if len(vgs) > 0 && vgs[0].Seqno != tc.want.seqno {
				t.Fatalf("seqno %d, want %d", vgs[0].Seqno, tc.want.seqno)
			}
			if tc.want.err == "" {
				if err != nil {
					t.Fatalf("Assemble: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), tc.want.err) {
				t.Fatalf("error %v; want ErrInconsistent with %q", err, tc.want.err)
			}
			checkOneLine(t, err)
		})
	}
}

// TestAssembleDoesNotModifyCopies checks that resolving members works on a
// copy: the VG of each Metadata stays as parsed.
func TestAssembleDoesNotModifyCopies(t *testing.T) {
	pv := fakePV(t, notePV0, 64<<20, noteText)
	vgs, err := Assemble([]*PV{pv})
	if err != nil {
		t.Fatal(err)
	}
	if !vgs[0].Members[0].Present || pv.Metadata[0].VG.Members[0].Present {
		t.Fatalf("present: assembled %v, parsed copy %v", vgs[0].Members[0].Present, pv.Metadata[0].VG.Members[0].Present)
	}
}

// TestScanAssemblePlan runs the whole chain on in-memory images: two PVs
// with two metadata copies each, one of them wrapped.
func TestScanAssemblePlan(t *testing.T) {
	var pvs []*PV
	for i, uuid := range []string{"QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R", "n4JeU0eaDrmuyPrscEE6EaE3fkUkdBzp"} {
		p := stdPV(noteText)
		p.uuid = uuid
		p.size = 64 << 20
		p.mdas[0].size, p.mdas[0].off = 8192, 8192-1000 // wrapped
		p.mdas = append(p.mdas, testMDA{start: 63 << 20, size: 1 << 20, off: 512 * uint64(i+1), text: noteText})
		pv, err := ScanPV(p.build(), p.size)
		if err != nil {
			t.Fatal(err)
		}
		if len(pv.Metadata) != 2 {
			t.Fatalf("PV %s: %d copies, errors %v", pv.UUID, len(pv.Metadata), pv.MetadataErrors)
		}
		pvs = append(pvs, pv)
	}
	vgs, err := Assemble(pvs)
	if err != nil || len(vgs) != 1 {
		t.Fatalf("Assemble: %d, %v", len(vgs), err)
	}
	p, err := vgs[0].Plan("my-data", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := p.Table(noteDevs)
	if err != nil || strings.Join(lines, "|") != "0 65536 striped 2 128 7:0 83968 7:1 43008" {
		t.Fatalf("table %q, %v", lines, err)
	}
}
