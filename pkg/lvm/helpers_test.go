package lvm

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// memDev is an in-memory device.
type memDev []byte

func (m memDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("memDev: negative offset")
	}
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// failDev fails every read that touches [from, to).
type failDev struct {
	memDev
	from, to int64
}

var errDisk = errors.New("disk on fire")

func (f failDev) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errDisk
	}
	return f.memDev.ReadAt(p, off)
}

// testMDA describes a metadata area for testPV.build.
type testMDA struct {
	start, size uint64 // the area on the device (header included)
	off         uint64 // offset of the text in the area; 0 for none
	text        string // the text, without its NUL
	flags       uint32 // raw_locn flags
	sizeField   uint64 // raw_locn size if not len(text)+1
	sumXor      uint32 // flipped bits of the raw_locn checksum
}

// testPV describes a PV image for build.
type testPV struct {
	size     int64
	sector   int
	uuid     string // 32 characters
	devSize  uint64
	data     []DiskArea
	mdas     []testMDA
	extVer   uint32
	extFlags uint32
	boot     []DiskArea
}

const testPVUUID = "QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R"

// stdPV is a 4 MiB PV with one metadata area at 4096 whose text starts at
// offset 512 of the area, as pvcreate lays it out (with a smaller area).
func stdPV(text string) *testPV {
	return &testPV{
		size:     4 << 20,
		sector:   1,
		uuid:     testPVUUID,
		devSize:  4 << 20,
		data:     []DiskArea{{OffsetBytes: 1 << 20}},
		mdas:     []testMDA{{start: 4096, size: 1<<20 - 4096, off: 512, text: text}},
		extVer:   2,
		extFlags: 1,
	}
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func put64(b []byte, v uint64) { put32(b, uint32(v)); put32(b[4:], uint32(v>>32)) }

// build writes the image.
func (p *testPV) build() memDev {
	img := make([]byte, p.size)
	base := p.sector * sectorSize
	sec := img[base : base+sectorSize]
	copy(sec, labelID)
	put64(sec[8:], uint64(p.sector))
	put32(sec[20:], 32)
	copy(sec[24:], labelType)
	copy(sec[32:], p.uuid)
	put64(sec[64:], p.devSize)
	at := 72
	list := func(areas []DiskArea) {
		for _, a := range areas {
			put64(sec[at:], a.OffsetBytes)
			put64(sec[at+8:], a.SizeBytes)
			at += 16
		}
		at += 16
	}
	list(p.data)
	var mdaLocs []DiskArea
	for _, m := range p.mdas {
		mdaLocs = append(mdaLocs, DiskArea{m.start, m.size})
	}
	list(mdaLocs)
	if at+8 <= sectorSize {
		put32(sec[at:], p.extVer)
		put32(sec[at+4:], p.extFlags)
		at += 8
		if p.extVer != 0 {
			list(p.boot)
		}
	}
	put32(sec[16:], lvmCRC(initialCRC, sec[20:]))
	for _, m := range p.mdas {
		writeMDA(img, m)
	}
	return img
}

// writeMDA writes an mda header and its text, wrapping it around the end
// of the area like lvm2 does.
func writeMDA(img []byte, m testMDA) {
	h := img[m.start : m.start+mdaHeaderSize]
	copy(h[4:], fmttMagic)
	put32(h[20:], 1)
	put64(h[24:], m.start)
	put64(h[32:], m.size)
	if m.off != 0 {
		text := append([]byte(m.text), 0)
		size := uint64(len(text))
		if m.sizeField != 0 {
			size = m.sizeField
		}
		put64(h[40:], m.off)
		put64(h[48:], size)
		put32(h[56:], lvmCRC(initialCRC, text)^m.sumXor)
		for i, c := range text {
			pos := m.off + uint64(i)
			if pos >= m.size {
				pos = pos - m.size + mdaHeaderSize
			}
			img[m.start+pos] = c
		}
	}
	put32(h[60:], m.flags)
	put32(h, lvmCRC(initialCRC, h[4:]))
}

// resign recomputes the checksum of the mda header at start.
func resign(img []byte, start int) {
	h := img[start : start+mdaHeaderSize]
	put32(h, lvmCRC(initialCRC, h[4:]))
}

// resignLabel recomputes the label checksum of sector s.
func resignLabel(img []byte, s int) {
	sec := img[s*sectorSize : (s+1)*sectorSize]
	put32(sec[16:], lvmCRC(initialCRC, sec[20:]))
}

// noteText is the metadata of lvm2.md §4.2 as lvm2 2.03.16 wrote it:
// two 64 MiB PVs, a two-segment linear LV and a two-stripe LV.
const noteText = `vgtest {
id = "tFzf7b-a7Ek-2TeU-5zku-jiwb-K5gj-T9bGZE"
seqno = 8
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = 8192
max_lv = 0
max_pv = 0
metadata_copies = 0

physical_volumes {

pv0 {
id = "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R"
device = "/dev/loop0"

status = ["ALLOCATABLE"]
flags = []
dev_size = 131072
pe_start = 2048
pe_count = 15
}

pv1 {
id = "n4JeU0-eaDr-muyP-rscE-E6Ea-E3fk-UkdBzp"
device = "/dev/loop1"

status = ["ALLOCATABLE"]
flags = []
dev_size = 131072
pe_start = 2048
pe_count = 15
}
}

logical_volumes {

root {
id = "Fs4RP7-dQko-DRF1-sMhy-HbSU-ApG1-Da7sb2"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
creation_time = 1795695792
creation_host = "vm"
segment_count = 2

segment1 {
start_extent = 0
extent_count = 10

type = "striped"
stripe_count = 1

stripes = [
"pv0", 0
]
}
segment2 {
start_extent = 10
extent_count = 5

type = "striped"
stripe_count = 1

stripes = [
"pv1", 0
]
}
}

my-data {
id = "9wC3Je-SUG8-qGdN-yJvH-mCDI-QmVL-7iX60b"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
creation_time = 1795695792
creation_host = "vm"
segment_count = 1

segment1 {
start_extent = 0
extent_count = 8

type = "striped"
stripe_count = 2
stripe_size = 128

stripes = [
"pv0", 10,
"pv1", 5
]
}
}
}

}
# Generated by LVM2 version 2.03.16(2) (2022-05-18): Thu Nov 26 12:23:12 2026

contents = "Text Format Volume Group"
version = 1

description = "Write from lvcreate --driverloaded n -an -Zn -i2 -I64 -n my-data -l 8 vgtest."

creation_host = "vm"	# Linux vm 6.18.44 #1 SMP x86_64
creation_time = 1795695792	# Thu Nov 26 12:23:12 2026
`

// mustParseVG parses text or fails the test.
func mustParseVG(t testing.TB, text string) *VG {
	t.Helper()
	vg, err := parseVG([]byte(text))
	if err != nil {
		t.Fatalf("parseVG: %v", err)
	}
	return vg
}

// exportVG writes vg in the layout of lvm2's export.c (without the
// comments and indentation of backup files). It is the test writer the
// fuzz targets round-trip through.
func exportVG(vg *VG) []byte {
	var b strings.Builder
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	list := func(names []string) string {
		for i, n := range names {
			names[i] = q(n)
		}
		return "[" + strings.Join(names, ", ") + "]"
	}
	key := func(k string) string {
		for i := 0; i < len(k); i++ {
			if !isWordByte(k[i]) {
				return q(k)
			}
		}
		return k
	}
	flags := func(f Flags, status, compat []Flags) (string, string) {
		var s, c []string
		for _, bit := range status {
			if f&bit != 0 {
				s = append(s, bit.String())
			}
		}
		for _, bit := range compat {
			if f&bit != 0 {
				c = append(c, bit.String())
			}
		}
		return list(s), list(c)
	}
	fmt.Fprintf(&b, "%s {\nid = %s\nseqno = %d\nformat = \"lvm2\"\n", vg.Name, q(vg.UUID), vg.Seqno)
	st, fl := flags(vg.Flags, []Flags{FlagExported, FlagResizeable, FlagPVMove, FlagRead, FlagWrite, FlagClustered, FlagShared, FlagPartial},
		[]Flags{FlagNoAutoActivate})
	fmt.Fprintf(&b, "status = %s\nflags = %s\nextent_size = %d\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n", st, fl, vg.ExtentSectors)
	if vg.SystemID != "" {
		fmt.Fprintf(&b, "system_id = %s\n", q(vg.SystemID))
	}
	if vg.LockType != "" {
		fmt.Fprintf(&b, "lock_type = %s\n", q(vg.LockType))
	}
	b.WriteString("\nphysical_volumes {\n")
	names := map[string]string{}
	for _, m := range vg.Members {
		names[m.UUID] = m.Name
		st, fl := flags(m.Flags, []Flags{FlagAllocatable, FlagExported, FlagMissing}, nil)
		fmt.Fprintf(&b, "\n%s {\nid = %s\n", key(m.Name), q(m.UUID))
		if m.DeviceHint != "" {
			fmt.Fprintf(&b, "device = %s\n", q(m.DeviceHint))
		}
		fmt.Fprintf(&b, "\nstatus = %s\nflags = %s\n", st, fl)
		if m.DevSizeSectors != 0 {
			fmt.Fprintf(&b, "dev_size = %d\n", m.DevSizeSectors)
		}
		fmt.Fprintf(&b, "pe_start = %d\npe_count = %d\n}\n", m.PEStartSectors, m.PECount)
	}
	b.WriteString("}\n")
	if len(vg.LVs) > 0 {
		b.WriteString("\nlogical_volumes {\n")
		for _, lv := range vg.LVs {
			st, fl := flags(lv.Flags, []Flags{FlagRead, FlagWrite, FlagVisible, FlagFixedMinor, FlagPVMove, FlagLocked},
				[]Flags{FlagActivationSkip, FlagNoAutoActivate})
			fmt.Fprintf(&b, "\n%s {\nid = %s\nstatus = %s\nflags = %s\ncreation_time = 1795695792\ncreation_host = \"vm\"\nsegment_count = %d\n",
				lv.Name, q(lv.UUID), st, fl, len(lv.Segments))
			for i, seg := range lv.Segments {
				fmt.Fprintf(&b, "\nsegment%d {\nstart_extent = %d\nextent_count = %d\n\ntype = %s\n", i+1, seg.StartExtent, seg.ExtentCount, q(seg.Type))
				if seg.origin != "" {
					fmt.Fprintf(&b, "origin = %s\n", q(seg.origin))
				}
				if seg.tags != nil {
					fmt.Fprintf(&b, "tags = %s\n", list(slices.Clone(seg.tags)))
				}
				if seg.Stripes != nil {
					fmt.Fprintf(&b, "stripe_count = %d\n", len(seg.Stripes))
					if len(seg.Stripes) > 1 {
						fmt.Fprintf(&b, "stripe_size = %d\n", seg.StripeSizeSectors)
					}
					b.WriteString("\nstripes = [\n")
					for j, s := range seg.Stripes {
						name := s.LV
						if s.PVUUID != "" {
							name = names[s.PVUUID]
						}
						sep := ","
						if j == len(seg.Stripes)-1 {
							sep = ""
						}
						fmt.Fprintf(&b, "%s, %d%s\n", q(name), s.StartExtent, sep)
					}
					b.WriteString("]\n")
				}
				b.WriteString("}\n")
			}
			b.WriteString("}\n")
		}
		b.WriteString("}\n")
	}
	b.WriteString("\n}\n# Generated by the lvm package tests\n\ncontents = \"Text Format Volume Group\"\nversion = 1\n\ndescription = \"\"\n\ncreation_host = \"vm\"\t# Linux\ncreation_time = 1795695792\t# Thu Nov 26 12:23:12 2026\n")
	return []byte(b.String())
}

// dumpVG prints the model for comparisons, one fact per line.
func dumpVG(vg *VG) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vg %s %s seqno=%d flags=%s extent=%d sysid=%q lock=%q\n", vg.Name, vg.UUID, vg.Seqno, vg.Flags, vg.ExtentSectors, vg.SystemID, vg.LockType)
	for _, m := range vg.Members {
		fmt.Fprintf(&b, "pv %s %s %q dev=%d pe_start=%d pe_count=%d flags=%s present=%v\n", m.Name, m.UUID, m.DeviceHint, m.DevSizeSectors, m.PEStartSectors, m.PECount, m.Flags, m.Present)
	}
	for _, lv := range vg.LVs {
		fmt.Fprintf(&b, "lv %s %s flags=%s extents=%d origin=%v\n", lv.Name, lv.UUID, lv.Flags, lv.ExtentCount, lv.origin)
		for _, s := range lv.Segments {
			fmt.Fprintf(&b, "  seg %d+%d %s stripe=%d tags=%q origin=%q", s.StartExtent, s.ExtentCount, s.Type, s.StripeSizeSectors, s.tags, s.origin)
			for _, st := range s.Stripes {
				fmt.Fprintf(&b, " [%s%s %d]", st.PVUUID, st.LV, st.StartExtent)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// checkOneLine fails unless err's text is one non-empty line.
func checkOneLine(t testing.TB, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "lvm: ") {
		t.Fatalf("error text %q: want one non-empty line starting with \"lvm: \"", msg)
	}
}

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }
