package lvm

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// manyLVs returns metadata text with n one-extent linear LVs on one PV.
func manyLVs(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vg {\nid = %q\nseqno = 1\nformat = \"lvm2\"\nstatus = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nflags = []\nextent_size = 8192\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n", "tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE")
	fmt.Fprintf(&b, "physical_volumes {\npv0 {\nid = %q\ndevice = \"/dev/loop0\"\nstatus = [\"ALLOCATABLE\"]\nflags = []\ndev_size = %d\npe_start = 2048\npe_count = %d\n}\n}\n", "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", 2048+8192*n, n)
	b.WriteString("logical_volumes {\n")
	for i := range n {
		fmt.Fprintf(&b, "lv%d {\nid = \"Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-%06d\"\nstatus = [\"READ\", \"VISIBLE\"]\nflags = []\nsegment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = 1\ntype = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", %d]\n}\n}\n", i, i, i)
	}
	b.WriteString("}\n}\n" + trailerText)
	return b.String()
}

// trailerText is the top level lvm2 writes after the VG section.
const trailerText = "contents = \"Text Format Volume Group\"\nversion = 1\n"

// TestParseTextAllocation feeds the metadata parser the worst texts up to
// MaxMetadataBytes, the most ScanPV reads of one metadata copy: as many
// list elements, keys, nested sections, string bytes or logical volumes as
// the limits allow. The node limit (maxNodes), not the text size, is what
// bounds the parser's memory: a node costs 100 to 300 bytes, so 2^18 of
// them cost up to about 70 MB, while 16 MiB of long strings cost 4 bytes
// per byte. Each limit below is about 1.5 times what the case took when
// written, so that raising a limit or a regression shows here.
func TestParseTextAllocation(t *testing.T) {
	deep := " {\n" + strings.Repeat("a {\n", maxDepth-2) + strings.Repeat("}\n", maxDepth-1) // inside x { aN { ... } }
	str := " = \"" + strings.Repeat(`x\"`, maxStringBytes/3-2) + "\"\n"
	const mb = 1 << 20
	for _, tc := range []struct {
		name  string
		text  string
		limit uint64
	}{
		{"most list elements", "a = [" + strings.Repeat("1,", maxNodes-4) + "1]\n" + trailerText, 64 * mb},
		{"most keys", "a {\n" + keys(maxNodes-4) + "}\n" + trailerText, 100 * mb},
		{"sections 16 deep, repeated", "x {\n" + repeatNumbered("a", deep, min(maxNodes/(maxDepth-1)-2, MaxMetadataBytes/(len(deep)+8)-1)) + "}\n" + trailerText, 48 * mb},
		{"longest escaped strings, 16 MiB", repeatNumbered("s", str, MaxMetadataBytes/(len(str)+8)-1) + trailerText, 100 * mb},
		{"16 MiB of comment", "#" + strings.Repeat("x", MaxMetadataBytes-2-len(trailerText)) + "\n" + trailerText, 64 << 10},
		{"16,000 logical volumes", manyLVs(16000), 64 * mb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := []byte(tc.text)
			if len(text) > MaxMetadataBytes {
				t.Fatalf("test text of %d bytes is over MaxMetadataBytes", len(text))
			}
			var err error
			got := allocated(func() { _, err = parseVG(text) })
			if got > tc.limit {
				t.Errorf("parseVG allocated %d bytes for %d bytes of text (%v), limit %d", got, len(text), err, tc.limit)
			}
		})
	}
}

// repeatNumbered returns n copies of s, each after a distinct key
// prefix+number.
func repeatNumbered(prefix, s string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d%s", prefix, i, s)
	}
	return b.String()
}

// keys returns n distinct "kN = 1" lines.
func keys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	return b.String()
}

// TestScanPVKeepsNoText: what a scanned PV keeps is its parsed VG, not
// its metadata text, so that a scan of many devices (rootdev bounds the
// total by the text's size) does not hold every copy read.
func TestScanPVKeepsNoText(t *testing.T) {
	const pad = 512 << 10
	text := "# " + strings.Repeat("x", pad) + "\n" + noteText
	dev := stdPV(text).build()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pv, err := ScanPV(dev, int64(len(dev)))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if md := pv.Metadata[0]; md.Size != len(text) || md.text != nil {
		t.Fatalf("copy of %d bytes (text kept: %v), want %d and none", md.Size, md.text != nil, len(text))
	}
	if retained > 64<<10 {
		t.Errorf("the scanned PV keeps %d bytes for %d bytes of metadata text, want under 64 KiB", retained, len(text))
	}
	runtime.KeepAlive(pv)
}
