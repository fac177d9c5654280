package lvm

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

const (
	notePV0 = "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R"
	notePV1 = "n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp"
)

// metadataOf is the copy of text in area i, as ScanPV makes it.
func metadataOf(i int, text []byte, vg *VG) *Metadata {
	return &Metadata{Area: i, Size: len(text), Digest: sha256.Sum256(text), VG: vg, text: text}
}

// fakePV is a scanned PV of size bytes carrying the given metadata texts.
func fakePV(t testing.TB, uuid string, size int64, texts ...string) *PV {
	t.Helper()
	pv := &PV{UUID: uuid, SizeBytes: size}
	for i, text := range texts {
		pv.Metadata = append(pv.Metadata, metadataOf(i, []byte(text), mustParseVG(t, text)))
	}
	return pv
}

// assembleOne assembles the two note PVs, both carrying text, and
// returns the single VG.
func assembleOne(t testing.TB, text string) *VG {
	t.Helper()
	vgs, err := Assemble([]*PV{fakePV(t, notePV0, 64<<20, text), fakePV(t, notePV1, 64<<20, text)})
	if err != nil || len(vgs) != 1 {
		t.Fatalf("Assemble = %d VGs, %v", len(vgs), err)
	}
	return vgs[0]
}

var noteDevs = map[string]string{notePV0: "7:0", notePV1: "7:1"}

// TestPlanNote checks the tables of lvm2.md §6, worked out there from
// lvm2's sources.
func TestPlanNote(t *testing.T) {
	vg := assembleOne(t, noteText)
	for _, tc := range []struct {
		lv, name, uuid string
		sectors        uint64
		lines          []string
	}{
		{"root", "vgtest-root", "LVM-tFzf7ba7Ek2TeU5zkujiwbK5gjT9bGZEFs4RP7dQkoDRF1sMhyHbSUApG1Da7sb2", 122880,
			[]string{"0 81920 linear 7:0 2048", "81920 40960 linear 7:1 2048"}},
		{"my-data", "vgtest-my--data", "LVM-tFzf7ba7Ek2TeU5zkujiwbK5gjT9bGZE9wC3JeSUG8qGdNyJvHmCDIQmVL7iX60b", 65536,
			[]string{"0 65536 striped 2 128 7:0 83968 7:1 43008"}},
	} {
		p, err := vg.Plan(tc.lv, PlanOptions{})
		if err != nil {
			t.Fatalf("Plan(%s): %v", tc.lv, err)
		}
		lines, err := p.Table(noteDevs)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != tc.name || p.UUID != tc.uuid || p.ReadOnly || p.Sectors != tc.sectors || p.VG != "vgtest" || p.LV != tc.lv ||
			strings.Join(lines, "\n") != strings.Join(tc.lines, "\n") {
			t.Fatalf("Plan(%s) = %+v\nlines %q\nwant %s %s %q", tc.lv, p, lines, tc.name, tc.uuid, tc.lines)
		}
	}
}

func TestDMName(t *testing.T) {
	for _, tc := range [][3]string{
		{"vgtest", "root", "vgtest-root"},
		{"vgtest", "my-data", "vgtest-my--data"},
		{"a-b", "c", "a--b-c"},
		{"a--b", "-c", "a----b---c"},
		{"vg.+_", "lv_+.", "vg.+_-lv_+."},
	} {
		if got := dmName(tc[0], tc[1]); got != tc[2] {
			t.Errorf("dmName(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestPlanRefusals(t *testing.T) {
	const vgStatus = `status = ["RESIZEABLE", "READ", "WRITE"]`
	const rootStatus = `status = ["READ", "WRITE", "VISIBLE"]`
	snapshot := edit("\nmy-data {", "\nsnap {\nid = \"aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa\"\nstatus = [\"READ\"]\nsegment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = 1\ntype = \"snapshot\"\norigin = \"root\"\ncow_store = \"my-data\"\nchunk_size = 8\n}\n}\nmy-data {")
	for _, tc := range []struct {
		name string
		text string
		lv   string
		opts PlanOptions
		is   error
		want string
	}{
		{"no such LV", noteText, "nope", PlanOptions{}, ErrNotFound, `lvm: volume group vgtest has no logical volume "nope"`},
		{"exported", edit(vgStatus, `status = ["EXPORTED", "RESIZEABLE", "READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, "lvm: refusing vgtest/root: volume group is exported"},
		{"clustered", edit(vgStatus, `status = ["CLUSTERED", "READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, "volume group is clustered"},
		{"shared", edit(vgStatus, `status = ["SHARED", "READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, `volume group is shared (lock type "") and needs lvmlockd`},
		{"lock type", edit("metadata_copies = 0", "lock_type = \"sanlock\""), "root", PlanOptions{}, ErrRefused, `volume group is shared (lock type "sanlock") and needs lvmlockd`},
		{"system ID", edit("metadata_copies = 0", "system_id = \"otherhost\""), "root", PlanOptions{}, ErrRefused, `volume group has system ID "otherhost", not ""`},
		{"other system ID", edit("metadata_copies = 0", "system_id = \"otherhost\""), "root", PlanOptions{SystemID: "me"}, ErrRefused, `volume group has system ID "otherhost", not "me"`},
		{"partial", edit(vgStatus, `status = ["PARTIAL", "READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, "volume group metadata is marked PARTIAL"},
		{"pvmove in the VG", edit(vgStatus, `status = ["PVMOVE", "READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, "pvmove in progress in the volume group"},
		{"hidden", edit(rootStatus, `status = ["READ", "WRITE"]`), "root", PlanOptions{}, ErrRefused, "lvm: refusing vgtest/root: hidden (internal) logical volume"},
		{"locked", edit(rootStatus, `status = ["READ", "WRITE", "VISIBLE", "LOCKED"]`), "root", PlanOptions{}, ErrRefused, "pvmove in progress"},
		{"pvmove LV", edit(rootStatus, `status = ["READ", "WRITE", "VISIBLE", "PVMOVE"]`), "root", PlanOptions{}, ErrRefused, "pvmove in progress"},
		{"pvmove name", edit("\nroot {", "\npvmove0 {"), "pvmove0", PlanOptions{}, ErrRefused, "lvm: refusing vgtest/pvmove0: pvmove in progress"},
		{"snapshot origin", snapshot, "root", PlanOptions{}, ErrRefused, "origin of a snapshot (lvm2 activates it as snapshot-origin)"},
		{"snapshot", snapshot, "snap", PlanOptions{}, ErrRefused, "hidden (internal) logical volume"},
		{"activation skip", edit(rootStatus+"\nflags = []", rootStatus+"\nflags = [\"ACTIVATION_SKIP\"]"), "root", PlanOptions{}, ErrRefused, "activation skip flag set (lvchange -K would ignore it)"},
		{"temporary mirror layer", edit("\nroot {", "\nroot_mimagetmp_1 {"), "root_mimagetmp_1", PlanOptions{}, ErrRefused, "temporary mirror layer"},
		{"thin", edit("type = \"striped\"\nstripe_count = 2", "type = \"thin\"\nstripe_count = 2"), "my-data", PlanOptions{}, ErrRefused, `lvm: refusing vgtest/my-data: segment 1 has type "thin"; only linear and striped are supported`},
		{"raid1", edit("type = \"striped\"\nstripe_count = 2", "type = \"raid1\"\nstripe_count = 2"), "my-data", PlanOptions{}, ErrRefused, `segment 1 has type "raid1"`},
		{"type with a flag", edit("type = \"striped\"\nstripe_count = 2", "type = \"striped+RESHAPE\"\nstripe_count = 2"), "my-data", PlanOptions{}, ErrRefused, `segment 1 has type "striped+RESHAPE"`},
		{"second segment zero", edit("extent_count = 5\n\ntype = \"striped\"", "extent_count = 5\n\ntype = \"zero\""), "root", PlanOptions{}, ErrRefused, `segment 2 has type "zero"`},
		{"stacked", edit(myStrOrig, "\"root\", 0,\n\"pv1\", 5\n"), "my-data", PlanOptions{}, ErrRefused, `segment 1 is stacked on logical volume "root"`},
		{"missing PV flag", edit("status = [\"ALLOCATABLE\"]\nflags = []", "status = [\"ALLOCATABLE\"]\nflags = [\"MISSING\"]"), "root", PlanOptions{}, ErrMissingPV, "lvm: cannot activate vgtest/root: missing PV " + notePV0 + " (last seen as /dev/loop0)"},
		{"stripe size does not divide", edit("stripe_size = 128", "stripe_size = 96"), "my-data", PlanOptions{}, ErrRefused, "segment 1: stripe size 96 sectors does not divide the stripe width of 32768 sectors"},
		{"pe_start 0", edit("pe_start = 2048", "pe_start = 0"), "root", PlanOptions{}, ErrRefused, "PV " + notePV0 + " has pe_start 0 in the metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vg := assembleOne(t, tc.text)
			p, err := vg.Plan(tc.lv, tc.opts)
			if err == nil {
				t.Fatalf("Plan = %+v; want error %q", p, tc.want)
			}
			checkOneLine(t, err)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %v containing %q", err, tc.is, tc.want)
			}
			for _, other := range []error{ErrNotFound, ErrRefused, ErrMissingPV, ErrInconsistent} {
				if other != tc.is && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
		})
	}
}

func TestPlanOptions(t *testing.T) {
	const rootStatus = `status = ["READ", "WRITE", "VISIBLE"]`
	// lvchange -K activates an activation-skip LV.
	vg := assembleOne(t, edit(rootStatus+"\nflags = []", rootStatus+"\nflags = [\"ACTIVATION_SKIP\", \"NOAUTOACTIVATE\"]"))
	if _, err := vg.Plan("root", PlanOptions{IgnoreActivationSkip: true}); err != nil {
		t.Fatalf("IgnoreActivationSkip: %v", err)
	}
	// The local system ID matches: the VG is ours, and WRITE_LOCKED is WRITE.
	vg = assembleOne(t, edit(`status = ["RESIZEABLE", "READ", "WRITE"]`+"\nflags = []", `status = ["RESIZEABLE", "READ"]`+"\nflags = [\"WRITE_LOCKED\"]\nsystem_id = \"me\"",
		rootStatus+"\nflags = []", `status = ["READ", "VISIBLE"]`+"\nflags = [\"WRITE_LOCKED\"]"))
	if p, err := vg.Plan("root", PlanOptions{SystemID: "me"}); err != nil || p.ReadOnly {
		t.Fatalf("own system ID: %+v, %v", p, err)
	}
	// lock_type "none" is no lock type.
	vg = assembleOne(t, edit("metadata_copies = 0", "lock_type = \"none\""))
	if _, err := vg.Plan("root", PlanOptions{}); err != nil {
		t.Fatalf("lock_type none: %v", err)
	}
	// An LV without WRITE is loaded read-only, and so is any LV on request.
	vg = assembleOne(t, edit(rootStatus, `status = ["READ", "VISIBLE"]`))
	if p, err := vg.Plan("root", PlanOptions{}); err != nil || !p.ReadOnly {
		t.Fatalf("LV without WRITE: %+v, %v", p, err)
	}
	if p, err := vg.Plan("my-data", PlanOptions{}); err != nil || p.ReadOnly {
		t.Fatalf("LV with WRITE: %+v, %v", p, err)
	}
	if p, err := vg.Plan("my-data", PlanOptions{ReadOnly: true}); err != nil || !p.ReadOnly {
		t.Fatalf("ReadOnly option: %+v, %v", p, err)
	}
}

func TestPlanMissingPV(t *testing.T) {
	// Only pv0 was scanned: root has a segment on pv1, my-data a stripe.
	vgs, err := Assemble([]*PV{fakePV(t, notePV0, 64<<20, noteText)})
	if err != nil || len(vgs) != 1 {
		t.Fatalf("Assemble: %v", err)
	}
	vg := vgs[0]
	if !vg.Members[0].Present || vg.Members[1].Present {
		t.Fatalf("present: %v %v", vg.Members[0].Present, vg.Members[1].Present)
	}
	for _, lv := range []string{"root", "my-data"} {
		_, err := vg.Plan(lv, PlanOptions{})
		if !errors.Is(err, ErrMissingPV) || err.Error() != "lvm: cannot activate vgtest/"+lv+": missing PV "+notePV1+" (last seen as /dev/loop1)" {
			t.Fatalf("Plan(%s): %v", lv, err)
		}
	}
	// A linear LV wholly on pv0 is still planned.
	text := edit("\"pv1\", 0\n]", "\"pv0\", 10\n]", myStrOrig, "\"pv0\", 15,\n\"pv0\", 19\n", "pe_count = 15", "pe_count = 30")
	vgs, err = Assemble([]*PV{fakePV(t, notePV0, 64<<20, text)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vgs[0].Plan("root", PlanOptions{})
	if err != nil {
		t.Fatalf("root on pv0 only: %v", err)
	}
	lines, _ := p.Table(noteDevs)
	if strings.Join(lines, "|") != "0 122880 linear 7:0 2048" {
		t.Fatalf("merged root: %q", lines)
	}
	// A VG straight from ScanPV has no members present.
	vg = mustParseVG(t, noteText)
	if _, err := vg.Plan("root", PlanOptions{}); !errors.Is(err, ErrMissingPV) {
		t.Fatalf("unassembled VG: %v", err)
	}
}

func TestPlanPastDeviceEnd(t *testing.T) {
	// pv1 is smaller than its metadata says: root's second segment
	// (sectors 2048..43008 of pv1) no longer fits.
	vgs, err := Assemble([]*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, notePV1, 43007*512, noteText)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = vgs[0].Plan("root", PlanOptions{})
	if !errors.Is(err, ErrInconsistent) || err.Error() != "lvm: vgtest/root: segment 2 ends past the end of PV "+notePV1+" (43007 sectors)" {
		t.Fatalf("Plan: %v", err)
	}
	vgs, _ = Assemble([]*PV{fakePV(t, notePV0, 64<<20, noteText), fakePV(t, notePV1, 43008*512, noteText)})
	if _, err := vgs[0].Plan("root", PlanOptions{}); err != nil {
		t.Fatalf("exact fit: %v", err)
	}
}

func TestTableDevices(t *testing.T) {
	vg := assembleOne(t, noteText)
	p, err := vg.Plan("my-data", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, devs := range []map[string]string{nil, {notePV0: "7:0"}, {notePV0: "7:0", notePV1: "7 1"}} {
		if _, err := p.Table(devs); !errors.Is(err, ErrMissingPV) || !strings.Contains(err.Error(), "no device given for PV") {
			t.Fatalf("Table(%v): %v", devs, err)
		}
	}
	params, err := p.Targets[0].Params(map[string]string{notePV0: "/dev/loop0", notePV1: "/dev/loop1"})
	if err != nil || params != "2 128 /dev/loop0 83968 /dev/loop1 43008" {
		t.Fatalf("Params = %q, %v", params, err)
	}
}
