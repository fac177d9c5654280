package lvm

import (
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz from PVs made by lvm2 (needs root)")

// TestGenerateSeeds writes the committed fuzz seeds. Run it as root with
//
//	go test ./pkg/lvm -run TestGenerateSeeds -genseeds
//
// It builds some of the oracle layouts with lvm2 and keeps, for every PV,
// only what ScanPV reads: the label sectors, each metadata area header
// and the bytes of the committed text (both parts when it wraps). The
// rest of the image is zero, so a 64 MiB PV becomes a few KiB of extents.
// The texts themselves, and a vgcfgbackup file, seed FuzzParseText.
func TestGenerateSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("generator; run with -genseeds to rewrite testdata/fuzz (needs root and lvm2)")
	}
	requireLVM(t)
	scanDir := filepath.Join("testdata", "fuzz", "FuzzScanPV")
	textDir := filepath.Join("testdata", "fuzz", "FuzzParseText")
	for _, dir := range []string{scanDir, textDir} {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	layouts := map[string]oracleLayout{}
	for _, l := range oracleLayouts {
		layouts[l.name] = l
	}
	for _, name := range []string{"note-example", "extent-1m-multisegment", "wrapped-metadata", "two-metadata-copies",
		"no-mda-and-ignored-mda", "refused-and-flagged-lvs", "foreign-system-id", "names-with-dashes", "odd-pe-start"} {
		l := layouts[name]
		if l.name == "" {
			t.Fatalf("no layout %s", name)
		}
		func() {
			e := newLVMEnv(t, t.TempDir(), l.sizes...)
			defer e.close()
			buildLayout(t, e, l)
			texts := 0
			for i, file := range e.files {
				pv := scanFile(t, file)
				img := seedImage(t, file, pv)
				base := name + "-pv" + strconv.Itoa(i)
				suffix := "-ok"
				if len(pv.Metadata) == 0 {
					suffix = "-nometa"
				}
				writeSeed(t, filepath.Join(scanDir, base+suffix), encodeExtents(img.Extents...), img.Size)
				for _, md := range pv.Metadata {
					if texts == 0 || name == "two-metadata-copies" && texts < 2 {
						writeSeed(t, filepath.Join(textDir, base+"-mda"+strconv.Itoa(md.Area+1)+"-ok"), md.text)
						texts++
					}
				}
				if name == "wrapped-metadata" && i == 0 {
					// The same PV with one byte of the text's second
					// part changed (checksum), with its label checksum
					// broken, and with its mda header checksum broken.
					mutate := func(suffix string, ext, at int) {
						m := seedImage(t, file, pv)
						m.Extents[ext].Data[at] ^= 0x20
						writeSeed(t, filepath.Join(scanDir, base+suffix), encodeExtents(m.Extents...), m.Size)
					}
					mutate("-wraptext-bad", len(img.Extents)-1, 3)
					mutate("-labelcrc-notpv", 0, 512+100)
					mutate("-mdacrc-bad", 1, 100)
				}
			}
			if name == "note-example" || name == "refused-and-flagged-lvs" {
				// A backup file: the same syntax with indentation and
				// comments.
				backup := filepath.Join(e.dir, "backup")
				e.lvm("vgcfgbackup", "-f", backup, l.vg)
				b, err := os.ReadFile(backup)
				if err != nil {
					t.Fatal(err)
				}
				writeSeed(t, filepath.Join(textDir, name+"-vgcfgbackup-ok"), b)
			}
		}()
	}
	// Two broken texts: cut in the middle, and a duplicated key.
	writeSeed(t, filepath.Join(textDir, "truncated-bad"), []byte(noteText[:len(noteText)/2]))
	writeSeed(t, filepath.Join(textDir, "duplicate-key-bad"), []byte(edit("seqno = 8\n", "seqno = 8\nseqno = 9\n")))
}

// seedImage returns the parts of a PV image that ScanPV reads.
func seedImage(t *testing.T, file string, pv *PV) *extentImage {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	img := &extentImage{Size: st.Size()}
	read := func(off, n uint64) []byte {
		p := make([]byte, n)
		if _, err := f.ReadAt(p, int64(off)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	add := func(off, n uint64) {
		img.Extents = append(img.Extents, extent{Off: int64(off), Data: read(off, n)})
	}
	add(0, labelScanSectors*sectorSize)
	for _, a := range pv.MetadataAreas {
		add(a.OffsetBytes, mdaHeaderSize)
		h := img.Extents[len(img.Extents)-1].Data
		msize, off, size := binary.LittleEndian.Uint64(h[32:]), binary.LittleEndian.Uint64(h[40:]), binary.LittleEndian.Uint64(h[48:])
		if off == 0 {
			continue
		}
		if off+size > msize {
			add(a.OffsetBytes+off, msize-off)
			add(a.OffsetBytes+mdaHeaderSize, off+size-msize)
		} else {
			add(a.OffsetBytes+off, size)
		}
	}
	return img
}
