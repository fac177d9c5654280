package lvm

import (
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestLVMCRC(t *testing.T) {
	// Vectors from lvm2.md §1, checked there against a bitwise version.
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0xf597a6cf},
		{"123456789", 0x4991cf02},
		{"LVM2 001", 0x5b9bcf05},
	} {
		if got := lvmCRC(initialCRC, []byte(tc.in)); got != tc.want {
			t.Errorf("lvmCRC(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
	// Chaining, as lvm2 does over the two parts of wrapped metadata.
	if a, b := lvmCRC(lvmCRC(initialCRC, []byte("1234")), []byte("56789")), lvmCRC(initialCRC, []byte("123456789")); a != b {
		t.Errorf("chained CRC %#x != %#x", a, b)
	}
}

func TestIDs(t *testing.T) {
	if got := formatID("QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R"); got != "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R" {
		t.Errorf("formatID = %q", got)
	}
	for _, tc := range []struct {
		in, want string
	}{
		{"QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R", "QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R"},
		{"QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R", "QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R"},
		{"-Q-FafSFSuP6QHUkY09TvBmd6WGXiM6c0R--", "QFafSFSuP6QHUkY09TvBmd6WGXiM6c0R"}, // dashes anywhere
		{"QFafSFSuP6QHUkY09TvBmd6WGXiM6c0", ""},                                      // 31
		{"QFafSFSuP6QHUkY09TvBmd6WGXiM6c0RR", ""},                                    // 33
		{"QFafSFSuP6QHUkY09TvBmd6WGXiM6c0_", ""},                                     // bad character
		{"!#afSFSuP6QHUkY09TvBmd6WGXiM6c0R", "!#afSFSuP6QHUkY09TvBmd6WGXiM6c0R"},
	} {
		got, ok := parseID(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("parseID(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestScanPV(t *testing.T) {
	good := func() *testPV { return stdPV(noteText) }
	type check func(t *testing.T, pv *PV)
	metaErr := func(substr string) check {
		return func(t *testing.T, pv *PV) {
			t.Helper()
			if len(pv.Metadata) != 0 || len(pv.MetadataErrors) != 1 {
				t.Fatalf("got %d copies and errors %v; want one error", len(pv.Metadata), pv.MetadataErrors)
			}
			err := pv.MetadataErrors[0]
			checkOneLine(t, err)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), substr) {
				t.Fatalf("error %v; want a *FormatError containing %q", err, substr)
			}
		}
	}
	noMeta := func(t *testing.T, pv *PV) {
		t.Helper()
		if len(pv.Metadata) != 0 || len(pv.MetadataErrors) != 0 {
			t.Fatalf("got %d copies and errors %v; want neither", len(pv.Metadata), pv.MetadataErrors)
		}
	}
	oneVG := func(t *testing.T, pv *PV) {
		t.Helper()
		if len(pv.Metadata) != 1 || len(pv.MetadataErrors) != 0 {
			t.Fatalf("got %d copies and errors %v; want one copy", len(pv.Metadata), pv.MetadataErrors)
		}
		if md := pv.Metadata[0]; md.VG.Name != "vgtest" || md.VG.Seqno != 8 || md.Digest != sha256.Sum256([]byte(noteText)) || md.Size != len(noteText) || md.text != nil {
			t.Fatalf("copy: VG %s seqno %d, %d bytes of text", md.VG.Name, md.VG.Seqno, md.Size)
		}
	}
	for _, tc := range []struct {
		name  string
		pv    func() *testPV
		mut   func(img memDev) // applied after build
		size  int64            // if not the image size
		err   string           // wanted error substring, "" for success
		notPV bool             // the error must match ErrNotPV
		check check
	}{
		{name: "ok", pv: good, check: func(t *testing.T, pv *PV) {
			oneVG(t, pv)
			if pv.UUID != "QFafSF-SuP6-QHUk-Y09T-vBmd-6WGX-iM6c0R" || pv.LabelSector != 1 || pv.DeviceSizeBytes != 4<<20 ||
				len(pv.DataAreas) != 1 || pv.DataAreas[0] != (DiskArea{1 << 20, 0}) ||
				len(pv.MetadataAreas) != 1 || pv.MetadataAreas[0] != (DiskArea{4096, 1<<20 - 4096}) ||
				pv.ExtensionVersion != 2 || pv.ExtensionFlags != 1 || len(pv.BootloaderAreas) != 0 {
				t.Fatalf("PV %+v", pv)
			}
		}},
		{name: "label in sector 0", pv: func() *testPV { p := good(); p.sector = 0; return p }, check: oneVG},
		{name: "label in sector 3", pv: func() *testPV { p := good(); p.sector = 3; return p }, check: oneVG},
		{name: "bootloader area", pv: func() *testPV { p := good(); p.boot = []DiskArea{{1 << 20, 512 << 10}}; return p }, check: func(t *testing.T, pv *PV) {
			if len(pv.BootloaderAreas) != 1 || pv.BootloaderAreas[0] != (DiskArea{1 << 20, 512 << 10}) {
				t.Fatalf("bootloader areas %v", pv.BootloaderAreas)
			}
		}},
		{name: "no extension", pv: func() *testPV { p := good(); p.extVer, p.extFlags = 0, 7; return p }, check: func(t *testing.T, pv *PV) {
			if pv.ExtensionVersion != 0 || pv.ExtensionFlags != 0 {
				t.Fatalf("extension %d %d", pv.ExtensionVersion, pv.ExtensionFlags)
			}
		}},
		{name: "two mdas", pv: func() *testPV {
			p := good()
			p.mdas = append(p.mdas, testMDA{start: 3 << 20, size: 1 << 20, off: 4096, text: noteText})
			return p
		}, check: func(t *testing.T, pv *PV) {
			if len(pv.Metadata) != 2 || pv.Metadata[1].Area != 1 {
				t.Fatalf("copies %d", len(pv.Metadata))
			}
		}},
		{name: "wrapped text", pv: func() *testPV {
			p := good()
			p.mdas[0].size = 8192
			p.mdas[0].off = 8192 - 700 // 700 bytes at the end, the rest after the header
			return p
		}, check: oneVG},
		{name: "text ends exactly at the area end", pv: func() *testPV {
			p := good()
			p.mdas[0].size = 8192
			p.mdas[0].off = 8192 - uint64(len(noteText)) - 1
			return p
		}, check: oneVG},
		{name: "only the NUL wraps", pv: func() *testPV {
			p := good()
			p.mdas[0].size = 8192
			p.mdas[0].off = 8192 - uint64(len(noteText))
			return p
		}, check: oneVG},
		{name: "orphan PV: no committed metadata", pv: func() *testPV { p := good(); p.mdas[0].off = 0; return p }, check: noMeta},
		{name: "ignored mda", pv: func() *testPV { p := good(); p.mdas[0].flags = rawLocnIgnored; return p }, check: noMeta},
		{name: "no mda", pv: func() *testPV { p := good(); p.mdas = nil; return p }, check: noMeta},

		{name: "device smaller than a sector", pv: good, size: 511, err: "device smaller than one sector", notPV: true},
		{name: "no label", pv: good, mut: func(img memDev) { img[512] = 'X' }, err: "no LVM2 label in sectors 0-3 at byte 0x0", notPV: true},
		{name: "label past a short device", pv: good, size: 512, err: "no LVM2 label", notPV: true},
		{name: "bad label CRC", pv: good, mut: func(img memDev) { img[512+100] ^= 1 }, err: "label: bad checksum at byte 0x210", notPV: true},
		{name: "wrong sector number", pv: good, mut: func(img memDev) { img[512+8] = 2; resignLabel(img, 1) }, err: "label: wrong sector number at byte 0x208: got 2, want 1", notPV: true},
		{name: "unknown label type", pv: good, mut: func(img memDev) { img[512+31] = '2'; resignLabel(img, 1) }, err: `label: unknown type at byte 0x218: got "LVM2 002", want "LVM2 001"`, notPV: true},
		{name: "bad label then good label", pv: func() *testPV { p := good(); p.sector = 2; return p }, mut: func(img memDev) {
			copy(img[512:], labelID) // a LABELONE with a bad checksum in sector 1 is skipped
		}, check: oneVG},
		{name: "PV header offset past 472", pv: good, mut: func(img memDev) { put32(img[512+20:], 473); resignLabel(img, 1) }, err: "PV header offset outside 32..472 at byte 0x214: got 473"},
		{name: "PV header offset inside the label header", pv: good, mut: func(img memDev) { put32(img[512+20:], 8); resignLabel(img, 1) }, err: "offset outside 32..472"},
		{name: "bad UUID character", pv: good, mut: func(img memDev) { img[512+40] = '-'; resignLabel(img, 1) }, err: "PV header: invalid character in UUID at byte 0x228"},
		{name: "data area list overflows", pv: good, mut: func(img memDev) {
			for at := 512 + 72; at < 1024; at += 8 {
				put64(img[at:], 1)
			}
			resignLabel(img, 1)
		}, err: "PV header: data area list runs past the label sector at byte 0x3f8"},
		{name: "metadata area list overflows", pv: good, mut: func(img memDev) {
			for at := 512 + 104; at < 1024; at += 8 {
				put64(img[at:], 1)
			}
			resignLabel(img, 1)
		}, err: "PV header: metadata area list runs past the label sector"},
		{name: "three mdas", pv: func() *testPV {
			p := good()
			p.mdas = append(p.mdas, testMDA{start: 3 << 20, size: 4096}, testMDA{start: 3<<20 + 4096, size: 4096})
			return p
		}, err: "PV header: too many metadata areas at byte 0x268: got 3, want 2"},
		{name: "bootloader list overflows", pv: good, mut: func(img memDev) {
			for at := 512 + 144; at < 1024; at += 8 {
				put64(img[at:], 1)
			}
			resignLabel(img, 1)
		}, err: "PV header: bootloader area list runs past the label sector"},

		{name: "mda past the device", pv: func() *testPV { p := good(); p.mdas[0].start = 4<<20 - 512; p.mdas[0].off = 0; return p }, size: 4<<20 - 100, check: metaErr("mda 1 header: past the end of the device at byte 0x3ffe00: got 4193792")},
		{name: "mda header CRC", pv: good, mut: func(img memDev) { img[4096+100] ^= 1 }, check: metaErr("mda 1 header: bad checksum at byte 0x1000")},
		{name: "mda magic", pv: good, mut: func(img memDev) { img[4096+5] = 'l'; resign(img, 4096) }, check: metaErr(`mda 1 header: bad magic at byte 0x1004: got " lVM2 x[5A%r0N*>"`)},
		{name: "mda version", pv: good, mut: func(img memDev) { img[4096+20] = 2; resign(img, 4096) }, check: metaErr("mda 1 header: unsupported version at byte 0x1014: got 2, want 1")},
		{name: "mda start", pv: good, mut: func(img memDev) { put64(img[4096+24:], 8192); resign(img, 4096) }, check: metaErr("start differs from the PV header's offset at byte 0x1018: got 8192, want 4096")},
		{name: "mda size below 512", pv: good, mut: func(img memDev) { put64(img[4096+32:], 511); resign(img, 4096) }, check: metaErr("area smaller than 512 bytes or past the end of the device at byte 0x1020: got 511")},
		{name: "mda size past the device", pv: good, mut: func(img memDev) { put64(img[4096+32:], 4<<20); resign(img, 4096) }, check: metaErr("past the end of the device")},
		{name: "text offset inside the header", pv: good, mut: func(img memDev) { put64(img[4096+40:], 100); resign(img, 4096) }, check: metaErr("metadata offset outside the area (512..1044479) at byte 0x1028: got 100")},
		{name: "text offset past the area", pv: good, mut: func(img memDev) { put64(img[4096+40:], 1<<20); resign(img, 4096) }, check: metaErr("metadata offset outside the area")},
		{name: "text larger than the area", pv: good, mut: func(img memDev) { put64(img[4096+48:], 1<<20); resign(img, 4096) }, check: metaErr("metadata larger than the area at byte 0x1030: got 1048576, want 1043968")},
		{name: "text checksum", pv: func() *testPV { p := good(); p.mdas[0].sumXor = 1; return p }, check: metaErr("mda 1: metadata text does not match its checksum at byte 0x1038")},
		{name: "text size field short", pv: func() *testPV { p := good(); p.mdas[0].sizeField = 100; return p }, check: metaErr("does not match its checksum")},
		{name: "text does not parse", pv: func() *testPV { return stdPV("vg { id = \n") }, check: metaErr("mda 1 metadata at byte 0x1200: metadata line 2: vg: expected a value for key \"id\", got the end of the text")},
		{name: "second mda good, first bad", pv: func() *testPV {
			p := good()
			p.mdas = append(p.mdas, testMDA{start: 3 << 20, size: 1 << 20, off: 4096, text: noteText})
			return p
		}, mut: func(img memDev) { img[4096+100] ^= 1 }, check: func(t *testing.T, pv *PV) {
			if len(pv.Metadata) != 1 || pv.Metadata[0].Area != 1 || len(pv.MetadataErrors) != 1 {
				t.Fatalf("copies %d errors %v", len(pv.Metadata), pv.MetadataErrors)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.pv().build()
			if tc.mut != nil {
				tc.mut(img)
			}
			size := int64(len(img))
			if tc.size != 0 {
				size = tc.size
				img = img[:size]
			}
			pv, err := ScanPV(img, size)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("ScanPV succeeded; want error %q", tc.err)
				}
				checkOneLine(t, err)
				var fe *FormatError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ScanPV error %q; want a *FormatError containing %q", err, tc.err)
				}
				if errors.Is(err, ErrNotPV) != tc.notPV {
					t.Fatalf("errors.Is(%v, ErrNotPV) = %v", err, !tc.notPV)
				}
				return
			}
			if err != nil {
				t.Fatalf("ScanPV: %v", err)
			}
			tc.check(t, pv)
		})
	}
}

// TestScanPVReadErrors checks that read errors are returned as such, not
// as content errors, wherever they happen.
func TestScanPVReadErrors(t *testing.T) {
	img := stdPV(noteText).build()
	p2 := stdPV(noteText)
	p2.mdas[0].size, p2.mdas[0].off = 8192, 8192-700
	wrapped := p2.build()
	for _, tc := range []struct {
		name     string
		dev      io.ReaderAt
		from, to int64
		want     string
	}{
		{"label", img, 512, 513, "lvm: read label sectors at byte 0x0: disk on fire"},
		{"mda header", img, 4096, 4097, "lvm: read mda 1 header at byte 0x1000: disk on fire"},
		{"text", img, 4096 + 600, 4096 + 601, "lvm: read mda 1 metadata at byte 0x1200: disk on fire"},
		{"wrapped part", wrapped, 4096 + 600, 4096 + 601, "lvm: read mda 1 metadata at byte 0x1200: disk on fire"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := tc.dev.(memDev)
			_, err := ScanPV(failDev{dev, tc.from, tc.to}, int64(len(dev)))
			if err == nil || err.Error() != tc.want || !errors.Is(err, errDisk) || isContentError(err) {
				t.Fatalf("ScanPV error %v; want %q wrapping the read error and no *FormatError", err, tc.want)
			}
		})
	}
	// A device shorter than its stated size: an I/O error, not content.
	_, err := ScanPV(img[:4096+700], int64(len(img)))
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || isContentError(err) {
		t.Fatalf("short device: %v", err)
	}
}

// hugeDev is a device of any size that reads as zeros except for head.
type hugeDev struct {
	head []byte
}

func (h hugeDev) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(h.head)) {
		copy(p, h.head[off:])
	}
	return len(p), nil
}

// TestScanPVAllocation checks that sizes read from disk are checked before
// anything is allocated for them: the bytes ScanPV allocates stay below
// the device size, the metadata area size and MaxMetadataBytes.
func TestScanPVAllocation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		devSize    int64
		mdaSize    uint64
		textSize   uint64
		maxAlloc   uint64
		wantErrSub string
	}{
		{"text size 2^64-1", 1 << 40, 1 << 39, 1<<64 - 1, 64 << 10, "metadata larger than the area"},
		{"text size over the cap", 1 << 40, 1 << 39, MaxMetadataBytes + 1, 64 << 10, "larger than this package's limit"},
		{"area size past the device", 1 << 20, 1 << 40, 1 << 30, 64 << 10, "past the end of the device"},
		{"text size at the cap", 1 << 40, 1 << 39, MaxMetadataBytes, MaxMetadataBytes + 256<<10, "does not match its checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := stdPV("")
			p.size = 1 << 20
			img := p.build()
			put64(img[4096+32:], tc.mdaSize)
			put64(img[4096+40:], 512)
			put64(img[4096+48:], tc.textSize)
			resign(img, 4096)
			dev := hugeDev{head: img}
			var pv *PV
			var err error
			allocs := allocated(func() { pv, err = ScanPV(dev, tc.devSize) })
			if err != nil {
				t.Fatalf("ScanPV: %v", err)
			}
			if len(pv.MetadataErrors) != 1 || !strings.Contains(pv.MetadataErrors[0].Error(), tc.wantErrSub) {
				t.Fatalf("metadata errors %v; want %q", pv.MetadataErrors, tc.wantErrSub)
			}
			if allocs > tc.maxAlloc {
				t.Fatalf("ScanPV allocated %d bytes; want at most %d", allocs, tc.maxAlloc)
			}
		})
	}
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
