package lvm

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/extentimage"
)

// FuzzScanPV scans an extent image (see decodeExtents) of size bytes, then
// assembles and plans whatever it found. Nothing may panic, every error
// must be one line, every error must be about content (the image never
// fails a read inside its size), and every parsed copy must survive a
// round trip through the test writer.
//
// The extent encoding keeps seeds small: a PV is mostly zeros, and large
// inputs make the fuzzer's minimisation crawl.
//
// Seeds: testdata/fuzz/FuzzScanPV (the first sectors, metadata headers and
// live metadata text of PVs made by lvm2, see testdata/README.md) and the
// test writer's images below.
func FuzzScanPV(f *testing.F) {
	for _, p := range writerSeeds() {
		img := p.build()
		f.Add(encodeExtents(extent{Off: 0, Data: img}), int64(len(img)))
	}
	f.Fuzz(func(t *testing.T, extents []byte, size int64) {
		img := &extentImage{Size: size, Extents: decodeExtents(extents)}
		pv, err := ScanPV(img, size)
		if err != nil {
			checkOneLine(t, err)
			if !isContentError(err) {
				t.Fatalf("ScanPV: not a content error: %v", err)
			}
			return
		}
		if raw, ok := parseID(pv.UUID); !ok || formatID(raw) != pv.UUID {
			t.Fatalf("bad PV UUID %q", pv.UUID)
		}
		if len(pv.MetadataAreas) > maxMetadataAreas || len(pv.Metadata)+len(pv.MetadataErrors) > len(pv.MetadataAreas) {
			t.Fatalf("%d areas, %d copies, %d errors", len(pv.MetadataAreas), len(pv.Metadata), len(pv.MetadataErrors))
		}
		for _, err := range pv.MetadataErrors {
			checkOneLine(t, err)
			if !isContentError(err) {
				t.Fatalf("metadata error is not about content: %v", err)
			}
		}
		for _, md := range pv.Metadata {
			if md.VG == nil || md.Size >= MaxMetadataBytes {
				t.Fatalf("copy in area %d: VG %v, %d bytes", md.Area, md.VG, md.Size)
			}
			checkRoundTrip(t, md.VG)
		}
		vgs, err := Assemble([]*PV{pv})
		if err != nil {
			checkOneLine(t, err)
		}
		for _, vg := range vgs {
			checkPlans(t, vg, map[string]string{pv.UUID: "7:0"})
		}
	})
}

// FuzzParseText parses metadata text. Text that parses must survive a
// round trip through the test writer, and planning each of its LVs on
// large enough devices must not panic.
//
// Seeds: testdata/fuzz/FuzzParseText (metadata texts written by lvm2, see
// testdata/README.md) and the texts below.
func FuzzParseText(f *testing.F) {
	f.Add([]byte(noteText))
	f.Add([]byte(edit("type = \"striped\"\nstripe_count = 2", "type = \"snapshot\"\norigin = \"root\"\nstripe_count = 2")))
	f.Add([]byte("a = [1, \"x\"]\nb { c = -5 'd' = \"e\\\"\" }\n# comment\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		vg, err := parseVG(text)
		if err != nil {
			checkOneLine(t, err)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line < 1 || fe.Offset < 0 || fe.Offset > int64(len(text)) {
				t.Fatalf("error %v: want a *FormatError with a line and an offset in the text", err)
			}
			return
		}
		checkRoundTrip(t, vg)
		// Put every member on a scanned device of its size or more.
		var pvs []*PV
		devs := map[string]string{}
		for i, m := range vg.Members {
			size := int64(math.MaxInt64)
			if i%2 == 1 {
				size = int64(min(m.PEStartSectors+m.PECount*vg.ExtentSectors, math.MaxInt64/sectorSize) * sectorSize)
			}
			pvs = append(pvs, &PV{UUID: m.UUID, SizeBytes: size, Metadata: []*Metadata{metadataOf(0, text, vg)}})
			devs[m.UUID] = "7:" + strconv.Itoa(i)
		}
		vgs, err := Assemble(pvs)
		if err != nil {
			checkOneLine(t, err)
		}
		for _, vg := range vgs {
			checkPlans(t, vg, devs)
		}
	})
}

// checkRoundTrip writes vg with the test writer, parses it again and
// compares.
func checkRoundTrip(t *testing.T, vg *VG) {
	t.Helper()
	if !validName(vg.Name) {
		t.Fatalf("invalid VG name %q accepted", vg.Name)
	}
	out := exportVG(vg)
	again, err := parseVG(out)
	if err != nil {
		t.Fatalf("re-parsing the written metadata: %v\n%s", err, out)
	}
	if a, b := dumpVG(vg), dumpVG(again); a != b {
		t.Fatalf("round trip differs:\n%s\nwant:\n%s", b, a)
	}
}

// checkPlans plans every LV of vg and checks the tables it gets.
func checkPlans(t *testing.T, vg *VG, devs map[string]string) {
	t.Helper()
	for _, lv := range vg.LVs {
		p, err := vg.Plan(lv.Name, PlanOptions{})
		if err != nil {
			checkOneLine(t, err)
			if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrMissingPV) && !errors.Is(err, ErrInconsistent) {
				t.Fatalf("Plan(%s): unexpected error %v", lv.Name, err)
			}
			continue
		}
		var at uint64
		for _, tg := range p.Targets {
			if tg.StartSector != at || tg.Sectors == 0 || len(tg.Areas) == 0 || (tg.Type == "linear") != (len(tg.Areas) == 1) {
				t.Fatalf("Plan(%s): bad target %+v at %d", lv.Name, tg, at)
			}
			at += tg.Sectors
		}
		if at != p.Sectors || at != lv.ExtentCount*vg.ExtentSectors {
			t.Fatalf("Plan(%s): %d sectors in targets, %d in the plan, LV has %d extents of %d", lv.Name, at, p.Sectors, lv.ExtentCount, vg.ExtentSectors)
		}
		if _, err := p.Table(devs); err != nil {
			t.Fatalf("Table: %v", err)
		}
	}
}

// writerSeeds are test-writer images for FuzzScanPV: plain, wrapped, two
// areas, and one with a broken header checksum.
func writerSeeds() []*testPV {
	plain := stdPV(noteText)
	plain.size = 1 << 20
	plain.mdas[0].size = 64 << 10
	wrapped := stdPV(noteText)
	wrapped.size = 1 << 20
	wrapped.mdas[0].size, wrapped.mdas[0].off = 8192, 8192-1000
	two := stdPV(noteText)
	two.size = 1 << 20
	two.mdas[0].size = 8192
	two.mdas = append(two.mdas, testMDA{start: 1<<20 - 8192, size: 8192, off: 1024, text: noteText})
	return []*testPV{plain, wrapped, two}
}

// extent and extentImage are the shared sparse-image seed encoding.
type (
	extent      = extentimage.Extent
	extentImage = extentimage.Image
)

var (
	decodeExtents = extentimage.Decode
	encodeExtents = extentimage.Encode
)

// TestFuzzSeeds runs every committed seed as a regression test. FuzzScanPV
// seeds named "*-ok" must give a PV whose copies all parse, "*-nometa" a
// PV without metadata, "*-bad" a PV with a metadata error, and
// "*-notpv" an error matching ErrNotPV. FuzzParseText seeds named "*-ok"
// must parse and "*-bad" must not.
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzScanPV", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d seeds in testdata/fuzz/FuzzScanPV, want at least 8", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run("ScanPV/"+name, func(t *testing.T) {
			args := readSeed(t, file, 2)
			size, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			pv, err := ScanPV(&extentImage{Size: size, Extents: decodeExtents([]byte(args[0]))}, size)
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil || len(pv.Metadata) == 0 || len(pv.MetadataErrors) != 0 {
					t.Fatalf("ScanPV = %+v, %v; want metadata and no errors", pv, err)
				}
				for _, md := range pv.Metadata {
					checkRoundTrip(t, md.VG)
				}
			case strings.HasSuffix(name, "-nometa"):
				if err != nil || len(pv.Metadata) != 0 || len(pv.MetadataErrors) != 0 {
					t.Fatalf("ScanPV = %+v, %v; want a PV without metadata", pv, err)
				}
			case strings.HasSuffix(name, "-bad"):
				if err != nil || len(pv.MetadataErrors) == 0 {
					t.Fatalf("ScanPV = %+v, %v; want a metadata error", pv, err)
				}
			case strings.HasSuffix(name, "-notpv"):
				if !errors.Is(err, ErrNotPV) {
					t.Fatalf("ScanPV error %v; want ErrNotPV", err)
				}
			default:
				t.Fatalf("seed name %q must end in -ok, -nometa, -bad or -notpv", name)
			}
		})
	}
	files, err = filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseText", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d seeds in testdata/fuzz/FuzzParseText, want at least 5", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run("ParseText/"+name, func(t *testing.T) {
			args := readSeed(t, file, 1)
			vg, err := parseVG([]byte(args[0]))
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil {
					t.Fatalf("parseVG: %v", err)
				}
				checkRoundTrip(t, vg)
			case strings.HasSuffix(name, "-bad"):
				if err == nil {
					t.Fatal("parseVG succeeded; want an error")
				}
			default:
				t.Fatalf("seed name %q must end in -ok or -bad", name)
			}
		})
	}
}

// readSeed decodes a "go test fuzz v1" file of n []byte or int64 arguments
// and returns them as strings.
func readSeed(t *testing.T, file string, n int) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != n+1 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a corpus file with %d arguments", file, n)
	}
	var args []string
	for _, line := range lines[1:] {
		switch {
		case strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")"):
			s, err := strconv.Unquote(line[len("[]byte(") : len(line)-1])
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			args = append(args, s)
		case strings.HasPrefix(line, "int64(") && strings.HasSuffix(line, ")"):
			args = append(args, line[len("int64("):len(line)-1])
		default:
			t.Fatalf("%s: bad line %.40q", file, line)
		}
	}
	return args
}

// writeSeed writes a corpus file of []byte and int64 arguments.
func writeSeed(t testing.TB, file string, args ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			b.WriteString("[]byte(" + strconv.Quote(string(a)) + ")\n")
		case int64:
			b.WriteString("int64(" + strconv.FormatInt(a, 10) + ")\n")
		default:
			t.Fatalf("writeSeed: %T", a)
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
