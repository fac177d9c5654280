package gpt

import (
	"errors"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/extentimage"
)

// FuzzRead reads an extent image (see decodeExtents) of size bytes with a
// sector size of 512<<(shift%4). Valid tables must satisfy the package's
// invariants and survive a write and re-read with the test writer.
//
// The extent encoding keeps seeds small: a real GPT is mostly zeros, and
// large inputs make the fuzzer's minimisation crawl.
//
// Seeds: testdata/fuzz/FuzzRead (sfdisk and fdisk images, see
// testdata/README.md) and the test writer's images below.
func FuzzRead(f *testing.F) {
	for _, ss := range []int{512, 4096} {
		td := stdDisk(f, ss)
		img := td.build()
		f.Add(img.extents(), img.size, shiftOf(ss))
		img.hdr(ss, 1)[hdrDiskGUID] ^= 1 // primary header CRC
		f.Add(img.extents(), img.size, shiftOf(ss))
	}
	f.Fuzz(func(t *testing.T, extents []byte, size int64, shift uint8) {
		ss := 512 << (shift % 4)
		img := &extentImage{Size: size, Extents: decodeExtents(extents)}
		tbl, err := Read(img, size, ss)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error text %q: want one non-empty line", msg)
			}
			return
		}
		checkInvariants(t, tbl, size, ss)

		// Write the table again with the test writer and read it back. The
		// writer puts the primary array at LBA 2, so it needs room there.
		td := diskFromTable(tbl, size)
		if 2+td.arrayBlocks() > tbl.FirstUsableLBA {
			return
		}
		tbl2, err := Read(td.build(), size, ss)
		if err != nil {
			t.Fatalf("re-reading the rewritten table: %v", err)
		}
		if tbl2.FromBackup || tbl2.DiskGUID != tbl.DiskGUID || tbl2.FirstUsableLBA != tbl.FirstUsableLBA ||
			tbl2.LastUsableLBA != tbl.LastUsableLBA || len(tbl2.Partitions) != len(tbl.Partitions) {
			t.Fatalf("rewritten table differs:\n got %+v\nwant %+v", tbl2, tbl)
		}
		for i := range tbl.Partitions {
			if tbl2.Partitions[i] != tbl.Partitions[i] {
				t.Fatalf("rewritten partition %d:\n got %+v\nwant %+v", i, tbl2.Partitions[i], tbl.Partitions[i])
			}
		}
	})
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

// extents encodes the stored bytes of a sparse image.
func (s *sparseImage) extents() []byte {
	return encodeExtents(extent{Off: 0, Data: s.head}, extent{Off: s.size - int64(len(s.tail)), Data: s.tail})
}

func checkInvariants(t *testing.T, tbl *Table, size int64, ss int) {
	t.Helper()
	last := uint64(size)/uint64(ss) - 1
	if tbl.SectorSize != ss || tbl.FirstUsableLBA < 2 || tbl.FirstUsableLBA > tbl.LastUsableLBA || tbl.LastUsableLBA > last {
		t.Fatalf("bad table: sector %d usable %d..%d last LBA %d", tbl.SectorSize, tbl.FirstUsableLBA, tbl.LastUsableLBA, last)
	}
	if tbl.FromBackup != (tbl.PrimaryErr != nil) {
		t.Fatalf("FromBackup %v with PrimaryErr %v", tbl.FromBackup, tbl.PrimaryErr)
	}
	seen := map[GUID]bool{}
	for i, p := range tbl.Partitions {
		if p.Number < 1 || p.Number > MaxEntryArrayBytes/entrySize || (i > 0 && p.Number <= tbl.Partitions[i-1].Number) {
			t.Fatalf("partition %d: bad Number %d", i, p.Number)
		}
		if p.Type.IsZero() || p.UUID.IsZero() || seen[p.UUID] {
			t.Fatalf("partition %d: bad GUIDs %v %v", i, p.Type, p.UUID)
		}
		seen[p.UUID] = true
		if p.FirstLBA < tbl.FirstUsableLBA || p.LastLBA < p.FirstLBA || p.LastLBA > tbl.LastUsableLBA {
			t.Fatalf("partition %d: %d..%d outside %d..%d", i, p.FirstLBA, p.LastLBA, tbl.FirstUsableLBA, tbl.LastUsableLBA)
		}
		for _, q := range tbl.Partitions[:i] {
			if p.FirstLBA <= q.LastLBA && q.FirstLBA <= p.LastLBA {
				t.Fatalf("partitions %d and %d overlap", q.Number, p.Number)
			}
		}
		hi, lo := bits.Mul64(p.LastLBA-p.FirstLBA+1, uint64(ss))
		if hi != 0 || p.SizeBytes(ss) != lo || lo > uint64(size) {
			t.Fatalf("partition %d: SizeBytes %d", i, p.SizeBytes(ss))
		}
		label := p.KernelLabel()
		if len(label) > 36 || strings.IndexFunc(label, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			t.Fatalf("partition %d: KernelLabel %q", i, label)
		}
		if g, err := ParseGUID(p.UUID.String()); err != nil || g != p.UUID {
			t.Fatalf("GUID round trip %v: %v %v", p.UUID, g, err)
		}
	}
}

func shiftOf(ss int) uint8 { return uint8(bits.TrailingZeros(uint(ss)) - 9) }

// TestFuzzSeeds reads every committed seed as a regression test: seeds named
// "*-ok" must give a table from the primary, "*-backup" a table from the
// backup, and "*-bad" an error.
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzRead", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d seeds in testdata/fuzz/FuzzRead, want at least 8", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			extents, size, shift := parseSeed(t, b)
			ss := 512 << (shift % 4)
			tbl, err := Read(&extentImage{Size: size, Extents: decodeExtents(extents)}, size, ss)
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil || tbl.FromBackup || len(tbl.Partitions) == 0 {
					t.Fatalf("Read = %+v, %v; want a table from the primary", tbl, err)
				}
				checkInvariants(t, tbl, size, ss)
			case strings.HasSuffix(name, "-backup"):
				if err != nil || !tbl.FromBackup || len(tbl.Partitions) == 0 {
					t.Fatalf("Read = %+v, %v; want a table from the backup", tbl, err)
				}
				checkInvariants(t, tbl, size, ss)
			case strings.HasSuffix(name, "-bad"):
				var fe *FormatError
				if err == nil || !errors.As(err, &fe) {
					t.Fatalf("Read = %+v, %v; want a *FormatError", tbl, err)
				}
				if strings.Contains(name, "-nosig-") && !errors.Is(err, ErrNoGPT) {
					t.Fatalf("Read error %v does not match ErrNoGPT", err)
				}
			default:
				t.Fatalf("seed name %q must end in -ok, -backup or -bad", name)
			}
		})
	}
}

// parseSeed decodes a corpus file of FuzzRead's arguments.
func parseSeed(t *testing.T, b []byte) (extents []byte, size int64, shift uint8) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 || lines[0] != "go test fuzz v1" {
		t.Fatalf("not a FuzzRead corpus file: %d lines", len(lines))
	}
	arg := func(line, prefix string) string {
		if !strings.HasPrefix(line, prefix+"(") || !strings.HasSuffix(line, ")") {
			t.Fatalf("line %.40q: want %s(...)", line, prefix)
		}
		return line[len(prefix)+1 : len(line)-1]
	}
	bs := func(line string) []byte {
		s, err := strconv.Unquote(arg(line, "[]byte"))
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	extents = bs(lines[1])
	size, err := strconv.ParseInt(arg(lines[2], "int64"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := strconv.Unquote(arg(lines[3], "byte"))
	if err != nil || len(c) != 1 {
		t.Fatalf("shift %q: %v", lines[3], err)
	}
	return extents, size, c[0]
}
