package dps

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"unicode/utf16"

	"github.com/verinit/verinit/pkg/gpt"
)

// The fuzz targets feed the discovery functions with tables that package
// gpt accepted from fuzzed bytes, so that whatever a hostile disk can put
// into a valid GPT reaches them. The seeds are small GPT disks written by
// seedDisk.

const (
	seedSectors = 16 // MBR, header, one block of 4 entries, 12 usable, backup
	seedEntries = 4
)

// seedPart is a partition entry for seedDisk.
type seedPart struct {
	typ, uuid   gpt.GUID
	first, last uint64
	attrs       uint64
	name        string
}

// seedDisk returns a 16-sector (512-byte) disk with a protective MBR and a
// valid primary GPT holding ps (at most 4), entry i at index i.
func seedDisk(ps []seedPart) []byte {
	b := make([]byte, seedSectors*512)
	mbr := b[:512]
	rec := mbr[446:462]
	rec[4] = 0xee
	binary.LittleEndian.PutUint32(rec[8:], 1)
	binary.LittleEndian.PutUint32(rec[12:], seedSectors-1)
	mbr[510], mbr[511] = 0x55, 0xaa

	arr := b[2*512 : 3*512]
	for i, p := range ps {
		e := arr[i*128 : (i+1)*128]
		copy(e[0:], p.typ[:])
		copy(e[16:], p.uuid[:])
		binary.LittleEndian.PutUint64(e[32:], p.first)
		binary.LittleEndian.PutUint64(e[40:], p.last)
		binary.LittleEndian.PutUint64(e[48:], p.attrs)
		for j, u := range utf16.Encode([]rune(p.name)) {
			if j < 36 {
				binary.LittleEndian.PutUint16(e[56+2*j:], u)
			}
		}
	}
	h := b[512 : 512+92]
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint32(h[8:], 0x00010000)
	binary.LittleEndian.PutUint32(h[12:], 92)
	binary.LittleEndian.PutUint64(h[24:], 1)
	binary.LittleEndian.PutUint64(h[32:], seedSectors-1)
	binary.LittleEndian.PutUint64(h[40:], 3)
	binary.LittleEndian.PutUint64(h[48:], seedSectors-2)
	diskGUID := uid(77)
	copy(h[56:], diskGUID[:])
	binary.LittleEndian.PutUint64(h[72:], 2)
	binary.LittleEndian.PutUint32(h[80:], seedEntries)
	binary.LittleEndian.PutUint32(h[84:], 128)
	binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(arr[:seedEntries*128]))
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h))
	return b
}

func fuzzSeeds(t testing.TB) [][]byte {
	x := ArchX86_64
	hash := unhexT(t, "0123456789abcdef0123456789abcdef"+"fedcba9876543210fedcba9876543210")
	d, v, _ := PairUUIDs(hash)
	return [][]byte{
		seedDisk([]seedPart{
			{typ: typ(t, Root, x), uuid: d, first: 3, last: 5, name: "root-a"},
			{typ: typ(t, RootVerity, x), uuid: v, first: 6, last: 6, name: "root-a-verity", attrs: FlagReadOnly},
			{typ: typ(t, Root, x), uuid: uid(3), first: 7, last: 9, name: "root-b"},
			{typ: typ(t, RootVerity, x), uuid: uid(4), first: 10, last: 10, name: "root-b-verity"},
		}),
		seedDisk([]seedPart{
			{typ: typ(t, ESP, ""), uuid: uid(1), first: 3, last: 4, name: "esp"},
			{typ: typ(t, Root, x), uuid: d, first: 5, last: 8, name: "os_1.2", attrs: FlagNoAuto},
			{typ: typ(t, RootVerity, x), uuid: v, first: 9, last: 9, name: "os_1.2_verity"},
			{typ: typ(t, RootVeritySig, x), uuid: uid(4), first: 10, last: 10, name: "os_1.2_verity_sig"},
		}),
		seedDisk([]seedPart{
			{typ: typ(t, Usr, ArchARM64), uuid: d, first: 3, last: 5, name: "usr"},
			{typ: typ(t, UsrVerity, ArchARM64), uuid: v, first: 6, last: 6, name: "usr-verity"},
			{typ: typ(t, Root, x), uuid: uid(3), first: 7, last: 9, name: "PRT#root"},
		}),
	}
}

// TestFuzzSeeds checks that the seeds are valid GPTs with the expected
// partitions, so that the fuzz target starts from inputs that reach the
// discovery code.
func TestFuzzSeeds(t *testing.T) {
	for i, s := range fuzzSeeds(t) {
		if !bytes.Equal(fuzzDisk(s[512:3*512], true), s) {
			t.Fatalf("seed %d: fuzzDisk does not rebuild it", i)
		}
		tab, err := gpt.Read(bytes.NewReader(s), int64(len(s)), 512)
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if len(tab.Partitions) < 3 {
			t.Fatalf("seed %d: %d partitions", i, len(tab.Partitions))
		}
	}
	s := fuzzSeeds(t)[0]
	tab, _ := gpt.Read(bytes.NewReader(s), int64(len(s)), 512)
	c, err := SelectRoot([]Disk{{Name: "seed", Table: tab}}, ArchX86_64)
	if err != nil || c.Partition.Name != "root-b" {
		t.Fatalf("SelectRoot = %v, %v", c, err)
	}
	v, _, err := FindVerity(c.Disk, c.Partition, nil)
	if err != nil || v.Name != "root-b-verity" {
		t.Fatalf("FindVerity = %v, %v", v.Name, err)
	}
}

// fuzzDisk frames a fuzz input as a disk: the seeds' protective MBR, then
// the input (the GPT header block and the entry array), then zeros up to
// the seeds' size. Fuzzing only the bytes after the MBR keeps the inputs
// small, which the fuzzer's minimizer needs to stay fast. If fixCRC is set
// and the header's fields allow it, the CRCs are recomputed, so that
// mutated entries reach the discovery code instead of failing the CRC
// check (package gpt fuzzes that).
func fuzzDisk(in []byte, fixCRC bool) []byte {
	d := make([]byte, 512, max(seedSectors*512, 512+len(in)))
	copy(d, seedDisk(nil)[:512])
	d = append(d, in...)
	d = d[:cap(d)]
	if !fixCRC {
		return d
	}
	h := d[512:1024]
	n, size, lba := binary.LittleEndian.Uint32(h[80:]), binary.LittleEndian.Uint32(h[84:]), binary.LittleEndian.Uint64(h[72:])
	if size == 128 && n <= 64 && lba < seedSectors && int(lba)*512+int(n)*128 <= len(d) {
		arr := d[lba*512 : lba*512+uint64(n)*128]
		binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(arr))
	}
	if hs := binary.LittleEndian.Uint32(h[12:]); hs >= 92 && hs <= 512 {
		binary.LittleEndian.PutUint32(h[16:], 0)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:hs]))
	}
	return d
}

// FuzzDiscover reads a GPT from the input and runs every discovery
// function over it: they must not panic, must return a partition of the
// disk or an error, and must honour the no-auto flag and the UUID rule.
func FuzzDiscover(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s[512:3*512], []byte("0123456789abcdef0123456789abcdeffedcba9876543210"), false, true)
	}
	f.Fuzz(func(t *testing.T, in, rootHash []byte, boot, fixCRC bool) {
		disk := fuzzDisk(in, fixCRC)
		tab, err := gpt.Read(bytes.NewReader(disk), int64(len(disk)), 512)
		if err != nil {
			return
		}
		d := Disk{Name: "fuzz", Table: tab, Boot: boot}
		disks := []Disk{d}
		if !boot { // two copies of a disk: ambiguous unless there is no root
			disks = append(disks, d)
		}
		for _, a := range []Arch{ArchX86_64, ArchARM64} {
			c, err := SelectRoot(disks, a)
			if err != nil {
				var amb *AmbiguousError
				if !errors.Is(err, ErrNotFound) && !errors.As(err, &amb) {
					t.Fatalf("SelectRoot: unexpected error %v", err)
				}
				if errors.Is(err, ErrNotFound) != (len(collect(d, Root, a)) == 0) {
					t.Fatalf("SelectRoot: %v, but %d candidates", err, len(collect(d, Root, a)))
				}
				continue
			}
			if NoAuto(c.Partition.Attributes) {
				t.Fatalf("SelectRoot chose a no-auto partition %v", c)
			}
			for _, h := range [][]byte{nil, rootHash} {
				v, got, err := FindVerity(c.Disk, c.Partition, h)
				if err != nil {
					continue
				}
				if NoAuto(v.Attributes) {
					t.Fatalf("FindVerity chose a no-auto partition %d", v.Number)
				}
				if len(h) > 0 {
					du, vu, err := PairUUIDs(h)
					if err != nil || du != c.Partition.UUID || vu != v.UUID || !bytes.Equal(got, h) {
						t.Fatalf("FindVerity paired %s and %s with root hash %x", c.Partition.UUID, v.UUID, h)
					}
				}
			}
			_, _ = FindVeritySig(c.Disk, c.Partition)
		}
		for _, p := range tab.Partitions {
			_ = TypeName(p.Type)
			_ = Candidate{Disk: d, Partition: p}.String()
			_ = IsBootDisk(tab, p.UUID)
		}
	})
}

// FuzzCompareVersions checks that the label comparison terminates, is
// reflexive and antisymmetric, and does not panic.
func FuzzCompareVersions(f *testing.F) {
	for i := range orderedVersions {
		f.Add(orderedVersions[i], orderedVersions[len(orderedVersions)-1-i])
	}
	f.Add("1.0~rc1^git1", "1.0^git1~pre")
	f.Add("-~-~.^", "~-.^~")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := compareVersions(a, b), compareVersions(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("compareVersions(%q, %q) = %d, reversed %d", a, b, ab, ba)
		}
		if compareVersions(a, a) != 0 {
			t.Fatalf("compareVersions(%q, itself) != 0", a)
		}
	})
}
