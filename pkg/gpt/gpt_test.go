package gpt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

func mustGUID(t testing.TB, s string) GUID {
	t.Helper()
	g, err := ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var (
	typeRoot   = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
	typeVerity = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"
	typeESP    = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	uuidRoot   = "01234567-89ab-cdef-0123-456789abcdef"
	uuidVerity = "fedcba98-7654-3210-fedc-ba9876543210"
	uuidESP    = "5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d"
	diskGUID   = "1b5e2c3a-4d6f-4e7a-9b8c-0d1e2f3a4b5c"
)

// stdDisk is a 1 MiB disk with partitions 1, 2 and 5. With 512-byte sectors
// its usable range is 34..2014 and the backup array starts at LBA 2015; with
// 4096-byte sectors it is 6..250 and 251.
func stdDisk(t testing.TB, ss int) testDisk {
	td := testDisk{ss: ss, size: 1 << 20, diskGUID: mustGUID(t, diskGUID)}
	r := []uint64{64, 1063, 1064, 1127, 1200, 1300}
	if ss == 4096 {
		r = []uint64{8, 100, 101, 120, 130, 200}
	}
	td.parts = []testPart{
		{index: 0, typ: mustGUID(t, typeRoot), uuid: mustGUID(t, uuidRoot), first: r[0], last: r[1], attrs: 1 << 60, name: "root-a"},
		{index: 1, typ: mustGUID(t, typeVerity), uuid: mustGUID(t, uuidVerity), first: r[2], last: r[3], name: "verity é"},
		{index: 4, typ: mustGUID(t, typeESP), uuid: mustGUID(t, uuidESP), first: r[4], last: r[5], attrs: 1, name: "ESP"},
	}
	return td
}

func lastLBA(td testDisk) uint64 { return uint64(td.size)/uint64(td.ss) - 1 }

func TestRead(t *testing.T) {
	const (
		p  = 1     // primary header LBA
		hp = 0x200 // primary header byte offset with 512-byte sectors
	)
	type tc struct {
		name    string
		ss      int
		disk    func(td *testDisk)                          // changes the description
		corrupt func(img *sparseImage, ss int, last uint64) // changes the bytes
		// Exactly one of wantErr and wantPrimaryErr is set unless the
		// table is expected to be read from the primary without error.
		wantErr        string
		wantPrimaryErr string // the table comes from the backup
		wantNoGPT      bool
		check          func(t *testing.T, tbl *Table)
	}
	setHdr32 := func(off int, v uint32) func(*sparseImage, int, uint64) {
		return func(img *sparseImage, ss int, _ uint64) { img.put32(ss, p, off, v); img.fixHeaderCRC(ss, p) }
	}
	setHdr64 := func(off int, v uint64) func(*sparseImage, int, uint64) {
		return func(img *sparseImage, ss int, _ uint64) { img.put64(ss, p, off, v); img.fixHeaderCRC(ss, p) }
	}
	badSig := func(img *sparseImage, ss int, _ uint64) { img.hdr(ss, p)[0] = 'X' }
	const badSigErr = `gpt: primary header: no "EFI PART" signature at byte 0x200: got "XFI PART"`

	cases := []tc{
		{name: "valid 512", ss: 512, check: func(t *testing.T, tbl *Table) {
			if tbl.FromBackup || tbl.PrimaryErr != nil || !tbl.ProtectiveMBR {
				t.Errorf("FromBackup=%v PrimaryErr=%v ProtectiveMBR=%v", tbl.FromBackup, tbl.PrimaryErr, tbl.ProtectiveMBR)
			}
			if tbl.FirstUsableLBA != 34 || tbl.LastUsableLBA != 2014 {
				t.Errorf("usable %d..%d, want 34..2014", tbl.FirstUsableLBA, tbl.LastUsableLBA)
			}
		}},
		{name: "valid 4096", ss: 4096, check: func(t *testing.T, tbl *Table) {
			if tbl.FirstUsableLBA != 6 || tbl.LastUsableLBA != 250 || tbl.SectorSize != 4096 {
				t.Errorf("usable %d..%d sector %d, want 6..250 sector 4096", tbl.FirstUsableLBA, tbl.LastUsableLBA, tbl.SectorSize)
			}
		}},
		{name: "no protective MBR is recorded, not fatal", ss: 512,
			disk: func(td *testDisk) { td.noPMBR = true },
			check: func(t *testing.T, tbl *Table) {
				if tbl.ProtectiveMBR {
					t.Error("ProtectiveMBR = true, want false")
				}
			}},
		{name: "hybrid MBR counts as protective", ss: 512,
			corrupt: func(img *sparseImage, _ int, _ uint64) {
				copy(img.head[446+16:], img.head[446:462]) // 0xEE moves to record 2
				clear(img.head[446:462])
				img.head[446+4] = 0x83
				binary.LittleEndian.PutUint32(img.head[446+8:], 2048)
			},
			check: func(t *testing.T, tbl *Table) {
				if !tbl.ProtectiveMBR {
					t.Error("ProtectiveMBR = false, want true")
				}
			}},
		{name: "0xEE record not starting at LBA 1 is not protective", ss: 512,
			corrupt: func(img *sparseImage, _ int, _ uint64) { binary.LittleEndian.PutUint32(img.head[446+8:], 2) },
			check: func(t *testing.T, tbl *Table) {
				if tbl.ProtectiveMBR {
					t.Error("ProtectiveMBR = true, want false")
				}
			}},
		{name: "MBR without 0xAA55 is not protective", ss: 512,
			corrupt: func(img *sparseImage, _ int, _ uint64) { img.head[511] = 0 },
			check: func(t *testing.T, tbl *Table) {
				if tbl.ProtectiveMBR {
					t.Error("ProtectiveMBR = true, want false")
				}
			}},
		{name: "header size up to the block, reserved bytes covered by CRC", ss: 512,
			corrupt: func(img *sparseImage, ss int, _ uint64) {
				img.hdr(ss, p)[200] = 0xaa
				img.put32(ss, p, hdrHeaderSize, 512)
				img.fixHeaderCRC(ss, p)
			}},

		// Primary header broken, backup used.
		{name: "bad signature", ss: 512, corrupt: badSig, wantPrimaryErr: badSigErr},
		{name: "bad revision", ss: 512, corrupt: setHdr32(hdrRevision, 0x00020000),
			wantPrimaryErr: "gpt: primary header: unsupported revision at byte 0x208: got 0x20000, want 0x10000"},
		{name: "header size too small", ss: 512, corrupt: setHdr32(hdrHeaderSize, 91),
			wantPrimaryErr: "gpt: primary header: header size too small at byte 0x20c: got 91, want >= 92"},
		{name: "header size larger than the block", ss: 512, corrupt: setHdr32(hdrHeaderSize, 513),
			wantPrimaryErr: "gpt: primary header: header size larger than a logical block at byte 0x20c: got 513, want <= 512"},
		{name: "bad header CRC", ss: 512,
			corrupt:        func(img *sparseImage, ss int, _ uint64) { img.put32(ss, p, hdrHeaderCRC, 0x12345678) },
			wantPrimaryErr: "gpt: primary header: bad header CRC at byte 0x210: got 0x12345678, want 0x848c0ecf"},
		{name: "MyLBA elsewhere", ss: 512, corrupt: setHdr64(hdrMyLBA, 5),
			wantPrimaryErr: "gpt: primary header: header is not at its own LBA at byte 0x218: got 5, want 1"},
		{name: "first usable past the end", ss: 512, corrupt: setHdr64(hdrFirstUsable, 5000),
			wantPrimaryErr: "gpt: primary header: first usable LBA past the end of the disk at byte 0x228: got 5000, want <= 2047"},
		{name: "last usable past the end", ss: 512, corrupt: setHdr64(hdrLastUsable, 2048),
			wantPrimaryErr: "gpt: primary header: last usable LBA past the end of the disk at byte 0x230: got 2048, want <= 2047"},
		{name: "last usable before first usable", ss: 512,
			corrupt: func(img *sparseImage, ss int, _ uint64) {
				img.put64(ss, p, hdrFirstUsable, 1500)
				img.put64(ss, p, hdrLastUsable, 1400)
				img.fixHeaderCRC(ss, p)
			},
			wantPrimaryErr: "gpt: primary header: last usable LBA before first usable LBA at byte 0x230: got 1400, want >= 1500"},
		{name: "entry size 256 (UEFI allows it, the kernel does not)", ss: 512, corrupt: setHdr32(hdrEntrySize, 256),
			wantPrimaryErr: "gpt: primary header: unsupported partition entry size at byte 0x254: got 256, want 128"},
		{name: "zero entries", ss: 512, corrupt: setHdr32(hdrNumEntries, 0),
			wantPrimaryErr: "gpt: primary header: no partition entries at byte 0x250: got 0, want >= 1"},
		{name: "huge entry count", ss: 512, corrupt: setHdr32(hdrNumEntries, math.MaxUint32),
			wantPrimaryErr: "gpt: primary header: partition entry array larger than 1048576 bytes at byte 0x250: got 4294967295, want <= 8192"},
		{name: "array over the primary header", ss: 512, corrupt: setHdr64(hdrEntryLBA, 1),
			wantPrimaryErr: "gpt: primary header: partition entry array overlaps the MBR or the primary header at byte 0x248: got 1, want >= 2"},
		{name: "array past the end", ss: 512, corrupt: setHdr64(hdrEntryLBA, 2040),
			wantPrimaryErr: "gpt: primary header: partition entry array past the end of the disk at byte 0x248: got 2040, want <= 2016"},
		{name: "array at a huge LBA", ss: 512, corrupt: setHdr64(hdrEntryLBA, math.MaxUint64),
			wantPrimaryErr: "gpt: primary header: partition entry array past the end of the disk at byte 0x248: got 18446744073709551615, want <= 2016"},
		{name: "array overlaps usable LBAs", ss: 512, corrupt: setHdr64(hdrEntryLBA, 10),
			wantPrimaryErr: "gpt: primary header: partition entry array overlaps the usable LBAs at byte 0x248: got 10, want an array ending before LBA 34"},
		{name: "bad array CRC", ss: 512,
			corrupt:        func(img *sparseImage, ss int, _ uint64) { img.entry(ss, p, 0)[56] = 'R' },
			wantPrimaryErr: "gpt: primary header: bad partition entry array CRC at byte 0x258: got 0x36009ff0, want 0xa2a61a09"},
		{name: "bad header CRC 4096", ss: 4096,
			corrupt:        func(img *sparseImage, ss int, _ uint64) { img.hdr(ss, p)[hdrDiskGUID] ^= 1 },
			wantPrimaryErr: "gpt: primary header: bad header CRC at byte 0x1010: got 0xe539861f, want 0x7049528a"},
		{name: "bad array CRC 4096", ss: 4096,
			corrupt:        func(img *sparseImage, ss int, _ uint64) { img.entry(ss, p, 1)[40] ^= 1 },
			wantPrimaryErr: "gpt: primary header: bad partition entry array CRC at byte 0x1058: got 0x2dd0e246, want 0x91fbe40d"},

		// Both broken.
		{name: "zero disk", ss: 512,
			corrupt:   func(img *sparseImage, _ int, _ uint64) { clear(img.head); clear(img.tail) },
			wantNoGPT: true,
			wantErr: `gpt: primary header: no "EFI PART" signature at byte 0x200: got "\x00\x00\x00\x00\x00\x00\x00\x00"; ` +
				`backup header: no "EFI PART" signature at byte 0xffe00: got "\x00\x00\x00\x00\x00\x00\x00\x00"`},
		{name: "backup not at its own LBA", ss: 512,
			corrupt: func(img *sparseImage, ss int, last uint64) {
				badSig(img, ss, last)
				img.put64(ss, last, hdrMyLBA, last-1)
				img.fixHeaderCRC(ss, last)
			},
			wantNoGPT: true,
			wantErr:   badSigErr + "; backup header: header is not at its own LBA at byte 0xffe18: got 2046, want 2047"},
		{name: "backup array inside the usable LBAs", ss: 512,
			corrupt: func(img *sparseImage, ss int, last uint64) {
				badSig(img, ss, last)
				img.put64(ss, last, hdrEntryLBA, 2000)
				img.fixHeaderCRC(ss, last)
			},
			wantNoGPT: true,
			wantErr:   badSigErr + "; backup header: partition entry array overlaps the usable LBAs at byte 0xffe48: got 2000, want > 2014"},
		{name: "backup header inside the usable LBAs", ss: 512,
			corrupt: func(img *sparseImage, ss int, last uint64) {
				badSig(img, ss, last)
				img.put64(ss, last, hdrLastUsable, last)
				img.fixHeaderCRC(ss, last)
			},
			wantNoGPT: true,
			wantErr:   badSigErr + "; backup header: header inside the usable LBAs at byte 0xffe18: got 2047, want > 2047"},
		{name: "backup usable LBAs include LBA 1", ss: 512,
			corrupt: func(img *sparseImage, ss int, last uint64) {
				badSig(img, ss, last)
				img.put64(ss, last, hdrFirstUsable, 1)
				img.fixHeaderCRC(ss, last)
			},
			wantNoGPT: true,
			wantErr:   badSigErr + "; backup header: first usable LBA overlaps the MBR or the primary header at byte 0xffe28: got 1, want >= 2"},
		{name: "backup array over the backup header", ss: 512,
			corrupt: func(img *sparseImage, ss int, last uint64) {
				badSig(img, ss, last)
				img.put64(ss, last, hdrEntryLBA, 2016)
				img.fixHeaderCRC(ss, last)
			},
			wantNoGPT: true,
			wantErr:   badSigErr + "; backup header: partition entry array overlaps the header at byte 0xffe48: got 2016, want an array not covering LBA 2047"},

		// Bad entries, written into both arrays.
		{name: "zero unique GUID", ss: 512,
			disk: func(td *testDisk) { td.parts[1].uuid = GUID{} },
			wantErr: "gpt: primary entry 2: zero unique partition GUID at byte 0x490: got 00000000-0000-0000-0000-000000000000; " +
				"backup entry 2: zero unique partition GUID at byte 0xfbe90: got 00000000-0000-0000-0000-000000000000"},
		{name: "starts before first usable", ss: 512,
			disk: func(td *testDisk) { td.parts[0].first = 33 },
			wantErr: "gpt: primary entry 1: starts before the first usable LBA at byte 0x420: got 33, want >= 34; " +
				"backup entry 1: starts before the first usable LBA at byte 0xfbe20: got 33, want >= 34"},
		{name: "ends before it starts", ss: 512,
			disk: func(td *testDisk) { td.parts[0].last = 63 },
			wantErr: "gpt: primary entry 1: ends before it starts at byte 0x428: got 63, want >= 64; " +
				"backup entry 1: ends before it starts at byte 0xfbe28: got 63, want >= 64"},
		{name: "ends after last usable", ss: 512,
			disk: func(td *testDisk) { td.parts[2].last = 2015 },
			wantErr: "gpt: primary entry 5: ends after the last usable LBA at byte 0x628: got 2015, want <= 2014; " +
				"backup entry 5: ends after the last usable LBA at byte 0xfc028: got 2015, want <= 2014"},
		{name: "huge ending LBA", ss: 512,
			disk: func(td *testDisk) { td.parts[2].last = math.MaxUint64 },
			wantErr: "gpt: primary entry 5: ends after the last usable LBA at byte 0x628: got 18446744073709551615, want <= 2014; " +
				"backup entry 5: ends after the last usable LBA at byte 0xfc028: got 18446744073709551615, want <= 2014"},
		{name: "duplicate unique GUID", ss: 512,
			disk: func(td *testDisk) { td.parts[2].uuid = td.parts[0].uuid },
			wantErr: "gpt: primary entry 5: same unique partition GUID as entry 1 at byte 0x610: got " + uuidRoot +
				"; backup entry 5: same unique partition GUID as entry 1 at byte 0xfc010: got " + uuidRoot},
		{name: "overlapping partitions", ss: 512,
			disk: func(td *testDisk) { td.parts[1].first = 1000 },
			wantErr: "gpt: primary entry 2: overlaps entry 1 at byte 0x4a0: got 1000, want > 1063; " +
				"backup entry 2: overlaps entry 1 at byte 0xfbea0: got 1000, want > 1063"},
		{name: "overlap listed out of order", ss: 4096,
			disk: func(td *testDisk) { td.parts[0].first, td.parts[0].last = 150, 160 },
			wantErr: "gpt: primary entry 1: overlaps entry 5 at byte 0x2020: got 150, want > 200; " +
				"backup entry 1: overlaps entry 5 at byte 0xfb020: got 150, want > 200"},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := stdDisk(t, c.ss)
			if c.disk != nil {
				c.disk(&td)
			}
			img := td.build()
			if c.corrupt != nil {
				c.corrupt(img, c.ss, lastLBA(td))
			}
			before := img.bytes()
			tbl, err := Read(img, img.size, c.ss)
			if !bytes.Equal(before, img.bytes()) {
				t.Fatal("Read changed the image")
			}
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("Read succeeded, want error %q", c.wantErr)
				}
				if err.Error() != c.wantErr {
					t.Fatalf("error:\n got %s\nwant %s", err, c.wantErr)
				}
				if got := errors.Is(err, ErrNoGPT); got != c.wantNoGPT {
					t.Errorf("errors.Is(err, ErrNoGPT) = %v, want %v", got, c.wantNoGPT)
				}
				var fe *FormatError
				if !errors.As(err, &fe) || !strings.HasPrefix(c.wantErr, fe.Error()) {
					t.Errorf("errors.As(*FormatError) = %v, want the primary error", fe)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if c.wantPrimaryErr != "" {
				if !tbl.FromBackup || tbl.PrimaryErr == nil {
					t.Fatalf("FromBackup = %v, PrimaryErr = %v; want the backup", tbl.FromBackup, tbl.PrimaryErr)
				}
				if tbl.PrimaryErr.Error() != c.wantPrimaryErr {
					t.Fatalf("PrimaryErr:\n got %s\nwant %s", tbl.PrimaryErr, c.wantPrimaryErr)
				}
				var fe *FormatError
				if !errors.As(tbl.PrimaryErr, &fe) {
					t.Errorf("PrimaryErr is %T, want *FormatError", tbl.PrimaryErr)
				}
			} else if tbl.FromBackup {
				t.Fatalf("FromBackup with PrimaryErr %v", tbl.PrimaryErr)
			}
			checkStd(t, td, tbl)
			if c.check != nil {
				c.check(t, tbl)
			}
		})
	}
}

// checkStd compares a table read back with the description it was written
// from.
func checkStd(t *testing.T, td testDisk, tbl *Table) {
	t.Helper()
	if tbl.DiskGUID != td.diskGUID || tbl.SectorSize != td.ss {
		t.Errorf("DiskGUID %v SectorSize %d, want %v %d", tbl.DiskGUID, tbl.SectorSize, td.diskGUID, td.ss)
	}
	if len(tbl.Partitions) != len(td.parts) {
		t.Fatalf("%d partitions, want %d", len(tbl.Partitions), len(td.parts))
	}
	for i, want := range td.parts {
		got := tbl.Partitions[i]
		if got.Number != want.index+1 || got.Type != want.typ || got.UUID != want.uuid ||
			got.FirstLBA != want.first || got.LastLBA != want.last || got.Attributes != want.attrs || got.Name != want.name {
			t.Errorf("partition %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

// TestReadBackupAtAlternateLBA covers an image copied onto a larger disk: the
// backup is at the primary's AlternateLBA, not at the last LBA.
func TestReadBackupAtAlternateLBA(t *testing.T) {
	td := stdDisk(t, 512)
	small := td.build()
	grown := func() *sparseImage { return &sparseImage{size: 2 << 20, head: small.bytes()} }

	t.Run("array CRC bad, header trusted", func(t *testing.T) {
		img := grown()
		img.entry(512, 1, 0)[56] = 'R'
		tbl, err := Read(img, img.size, 512)
		if err != nil {
			t.Fatal(err)
		}
		if !tbl.FromBackup {
			t.Fatal("FromBackup = false")
		}
		checkStd(t, td, tbl)
	})
	t.Run("header CRC bad, AlternateLBA not trusted", func(t *testing.T) {
		img := grown()
		img.hdr(512, 1)[hdrDiskGUID] ^= 1
		_, err := Read(img, img.size, 512)
		want := "gpt: primary header: bad header CRC at byte 0x210: got 0x848c0ecf, want 0x11fcda5a; " +
			`backup header: no "EFI PART" signature at byte 0x1ffe00: got "\x00\x00\x00\x00\x00\x00\x00\x00"`
		if err == nil || err.Error() != want {
			t.Fatalf("error:\n got %v\nwant %s", err, want)
		}
		if errors.Is(err, ErrNoGPT) {
			t.Error("errors.Is(err, ErrNoGPT): LBA 1 has a GPT signature")
		}
	})
}

func TestReadPartitionNumbers(t *testing.T) {
	td := stdDisk(t, 512)
	tbl, err := Read(td.build(), td.size, 512)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range tbl.Partitions {
		got = append(got, p.Number)
	}
	if want := []int{1, 2, 5}; !equalInts(got, want) {
		t.Errorf("Numbers %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadLargeArray reads an array larger than one read chunk.
func TestReadLargeArray(t *testing.T) {
	td := testDisk{ss: 512, size: 8 << 20, numEntries: MaxEntryArrayBytes / entrySize, diskGUID: mustGUID(t, diskGUID)}
	for i := 0; i < 1000; i++ {
		var u GUID
		binary.BigEndian.PutUint32(u[12:], uint32(i+1))
		td.parts = append(td.parts, testPart{index: 7 * i, typ: mustGUID(t, typeRoot), uuid: u, first: 4096 + 4*uint64(i), last: 4096 + 4*uint64(i) + 3})
	}
	tbl, err := Read(td.build(), td.size, 512)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Partitions) != 1000 || tbl.Partitions[999].Number != 7*999+1 {
		t.Fatalf("%d partitions, last %+v", len(tbl.Partitions), tbl.Partitions[len(tbl.Partitions)-1])
	}
}

func TestReadArguments(t *testing.T) {
	img := stdDisk(t, 512).build()
	cases := []struct {
		name    string
		size    int64
		ss      int
		want    string
		noGPT   bool
		wantEOF bool
	}{
		{name: "sector size 256", size: img.size, ss: 256, want: "gpt: invalid sector size 256: want a power of two from 512 to 65536"},
		{name: "sector size 1000", size: img.size, ss: 1000, want: "gpt: invalid sector size 1000: want a power of two from 512 to 65536"},
		{name: "sector size 128 KiB", size: img.size, ss: 128 << 10, want: "gpt: invalid sector size 131072: want a power of two from 512 to 65536"},
		{name: "negative size", size: -1, ss: 512, want: "gpt: invalid device size -1"},
		{name: "too small", size: 2047, ss: 512, noGPT: true, want: "gpt: device of 2047 bytes is too small for a GPT with 512-byte sectors"},
		{name: "size larger than the reader", size: img.size + 512, ss: 512, wantEOF: true, noGPT: true,
			want: `gpt: primary header: no "EFI PART" signature at byte 0x200: got "XFI PART"; read backup header at byte 0x100000: unexpected EOF`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := io.ReaderAt(img)
			if c.wantEOF {
				b := img.bytes()
				b[512] = 'X'
				r = bytes.NewReader(b)
			}
			_, err := Read(r, c.size, c.ss)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error:\n got %v\nwant %s", err, c.want)
			}
			if errors.Is(err, ErrNoGPT) != c.noGPT {
				t.Errorf("errors.Is(err, ErrNoGPT) = %v, want %v", !c.noGPT, c.noGPT)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != c.wantEOF {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", !c.wantEOF, c.wantEOF)
			}
		})
	}
}

var errBoom = errors.New("boom")

// failingReader fails every read that touches [from, to).
type failingReader struct {
	r        io.ReaderAt
	from, to int64
	reads    []int64
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	f.reads = append(f.reads, off)
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errBoom
	}
	return f.r.ReadAt(p, off)
}

// TestReadIOError checks that an unreadable primary table leads to the
// backup, as a bad sector leaves the backup readable and the kernel booted
// with "gpt" uses it then, and that every I/O error names what was read and
// where.
func TestReadIOError(t *testing.T) {
	cases := []struct {
		name       string
		from, to   int64
		badSig     bool
		want       string // the error, "" for a table
		primaryErr string // Table.PrimaryErr, "" when the primary was used
		pmbr       bool
	}{
		{name: "MBR only: no protective MBR", from: 0, to: 1, pmbr: false},
		{name: "MBR and primary header (one page)", from: 0, to: 0x400,
			primaryErr: "gpt: read protective MBR at byte 0x0: boom", pmbr: false},
		{name: "primary header", from: 0x200, to: 0x201, primaryErr: "gpt: read primary header at byte 0x200: boom", pmbr: true},
		{name: "primary array", from: 0x400 + 8000, to: 0x400 + 8001,
			primaryErr: "gpt: read primary partition entry array at byte 0x400: boom", pmbr: true},
		{name: "whole disk", from: 0, to: 1 << 40,
			want: "gpt: read protective MBR at byte 0x0: boom; read backup header at byte 0xffe00: boom"},
		{name: "backup header after a content error", from: 0xffe00, to: 0xffe01, badSig: true,
			want: `gpt: primary header: no "EFI PART" signature at byte 0x200: got "XFI PART"; read backup header at byte 0xffe00: boom`},
		{name: "backup array", from: 0xfbe00, to: 0xfbe01, badSig: true,
			want: `gpt: primary header: no "EFI PART" signature at byte 0x200: got "XFI PART"; read backup partition entry array at byte 0xfbe00: boom`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := stdDisk(t, 512).build()
			if c.badSig {
				img.hdr(512, 1)[0] = 'X'
			}
			fr := &failingReader{r: img, from: c.from, to: c.to}
			tab, err := Read(fr, img.size, 512)
			if c.want != "" {
				if err == nil || err.Error() != c.want {
					t.Fatalf("error:\n got %v\nwant %s", err, c.want)
				}
				if !errors.Is(err, errBoom) {
					t.Error("errors.Is(err, errBoom) = false")
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if tab.ProtectiveMBR != c.pmbr {
				t.Errorf("ProtectiveMBR = %v, want %v", tab.ProtectiveMBR, c.pmbr)
			}
			if tab.FromBackup != (c.primaryErr != "") {
				t.Errorf("FromBackup = %v, want %v", tab.FromBackup, c.primaryErr != "")
			}
			if c.primaryErr == "" {
				return
			}
			if tab.PrimaryErr == nil || tab.PrimaryErr.Error() != c.primaryErr {
				t.Errorf("PrimaryErr:\n got %v\nwant %s", tab.PrimaryErr, c.primaryErr)
			}
			var fe *FormatError
			if errors.As(tab.PrimaryErr, &fe) {
				t.Errorf("I/O error matches *FormatError %v", fe)
			}
			if len(tab.Partitions) == 0 {
				t.Error("the backup table has no partitions")
			}
		})
	}
}

// TestReadAllocation checks that headers claiming huge arrays are rejected
// before anything of that size is allocated.
func TestReadAllocation(t *testing.T) {
	const limit = 64 << 10
	cases := []struct {
		name  string
		size  int64
		count uint32
		esize uint32
	}{
		{name: "count max, size 128", size: 1 << 20, count: math.MaxUint32, esize: 128},
		{name: "count 1, size max", size: 1 << 20, count: 1, esize: math.MaxUint32},
		{name: "count and size max", size: 1 << 20, count: math.MaxUint32, esize: math.MaxUint32},
		{name: "1 MiB array on a small disk", size: 64 << 10, count: MaxEntryArrayBytes / 128, esize: 128},
		{name: "huge claimed disk", size: math.MaxInt64, count: math.MaxUint32, esize: 128},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := testDisk{ss: 512, size: 64 << 10, numEntries: 4, diskGUID: mustGUID(t, diskGUID), noBackup: true}
			img := td.build()
			img.size = c.size
			for _, lba := range []uint64{1} {
				img.put32(512, lba, hdrNumEntries, c.count)
				img.put32(512, lba, hdrEntrySize, c.esize)
				img.fixHeaderCRC(512, lba)
			}
			var before, after runtime.MemStats
			const runs = 20
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < runs; i++ {
				if _, err := Read(img, img.size, 512); err == nil {
					t.Fatal("Read succeeded")
				}
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > limit {
				t.Errorf("Read allocated %d bytes per call, want <= %d", per, limit)
			}
		})
	}
}

func TestGUID(t *testing.T) {
	// dps.md §1.5 example.
	disk := GUID{0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d, 0x96, 0xe7, 0xfb, 0xca, 0xf9, 0x84, 0xb7, 0x09}
	if got := disk.String(); got != typeRoot {
		t.Errorf("String() = %s, want %s", got, typeRoot)
	}
	for _, s := range []string{typeRoot, strings.ToUpper(typeRoot), "4F68bce3-E8CD-4db1-96E7-fbcaf984b709"} {
		g, err := ParseGUID(s)
		if err != nil || g != disk {
			t.Errorf("ParseGUID(%q) = %x, %v; want %x", s, g, err, disk)
		}
	}
	// dps.md §4.3: data PARTUUID from the root hash, on-disk bytes.
	g := mustGUID(t, uuidRoot)
	if want := (GUID{0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}); g != want {
		t.Errorf("ParseGUID(%s) = % x, want % x", uuidRoot, g, want)
	}
	bad := []struct{ in, want string }{
		{"", `gpt: invalid GUID "": want 8-4-4-4-12 hex digits`},
		{"{4f68bce3-e8cd-4db1-96e7-fbcaf984b709}", `gpt: invalid GUID "{4f68bce3-e8cd-4db1-96e7-fbcaf984b709}": want 8-4-4-4-12 hex digits`},
		{"4f68bce3e8cd-4db1-96e7-fbcaf984b709-", `gpt: invalid GUID "4f68bce3e8cd-4db1-96e7-fbcaf984b709-": want 8-4-4-4-12 hex digits`},
		{"4f68bce3-e8cd-4db1-96e7-fbcaf984b70g", `gpt: invalid GUID "4f68bce3-e8cd-4db1-96e7-fbcaf984b70g": bad hex digit at index 34`},
		{"+f68bce3-e8cd-4db1-96e7-fbcaf984b709", `gpt: invalid GUID "+f68bce3-e8cd-4db1-96e7-fbcaf984b709": bad hex digit at index 0`},
		{"4f68bce3-e8cX-4db1-96e7-fbcaf984b709", `gpt: invalid GUID "4f68bce3-e8cX-4db1-96e7-fbcaf984b709": bad hex digit at index 11`},
		{"4f68bce3-e8cd-4db1-96e7-fbcaf98 b709", `gpt: invalid GUID "4f68bce3-e8cd-4db1-96e7-fbcaf98 b709": bad hex digit at index 30`},
		{strings.Repeat("x", 100), `gpt: invalid GUID "` + strings.Repeat("x", 64) + `"...: want 8-4-4-4-12 hex digits`},
	}
	for _, c := range bad {
		if _, err := ParseGUID(c.in); err == nil || err.Error() != c.want {
			t.Errorf("ParseGUID(%q) error = %v, want %s", c.in, err, c.want)
		}
	}
}

// TestGUIDBytes checks the conversion between on-disk and text byte order
// both ways against String and ParseGUID.
func TestGUIDBytes(t *testing.T) {
	for _, s := range []string{typeRoot, typeVerity, typeESP, uuidRoot, uuidVerity, uuidESP, diskGUID,
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"} {
		text, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
		if err != nil {
			t.Fatal(err)
		}
		g := mustGUID(t, s)
		if b := g.Bytes(); !bytes.Equal(b[:], text) {
			t.Errorf("%s: Bytes() = % x, want % x", s, b, text)
		}
		if got := GUIDFromBytes([16]byte(text)); got != g || got.String() != s {
			t.Errorf("GUIDFromBytes(% x) = % x (%s), want % x (%s)", text, got, got, g, s)
		}
	}
	// dps.md §1.5: the first three groups are little-endian on disk.
	g := GUIDFromBytes([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	if want := (GUID{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}); g != want {
		t.Errorf("GUIDFromBytes(0..15) = % x, want % x", g, want)
	}
	if s := g.String(); s != "00010203-0405-0607-0809-0a0b0c0d0e0f" {
		t.Errorf("String() = %s", s)
	}
	for i := range 256 {
		var g GUID
		for j := range g {
			g[j] = byte(i*31 + j*7)
		}
		if GUIDFromBytes(g.Bytes()) != g || GUIDFromBytes([16]byte(g)).Bytes() != [16]byte(g) {
			t.Fatalf("round trip of % x", g)
		}
	}
}

func TestKernelLabel(t *testing.T) {
	cases := []struct {
		name  string
		units []uint16
		want  string
		// Name holds the same units, so a hand-built Partition{Name}
		// gives the same label (not so for units Name cannot carry).
		sameFromName bool
	}{
		{name: "ascii", units: utf16Of("root-a"), want: "root-a", sameFromName: true},
		{name: "latin-1 keeps low 7 bits", units: utf16Of("verity é"), want: "verity i", sameFromName: true},
		{name: "control becomes !", units: []uint16{'a', 0x01, 'b', 0x7f, 'c'}, want: "a!b!c", sameFromName: true},
		{name: "U+0100 ends the label", units: []uint16{'a', 0x100, 'b'}, want: "a", sameFromName: true},
		{name: "U+0080 ends the label", units: []uint16{'a', 0x80, 'b'}, want: "a", sameFromName: true},
		{name: "U+0181 becomes !", units: []uint16{'a', 0x181, 'b'}, want: "a!b", sameFromName: true},
		{name: "surrogate pair", units: utf16Of("x😀y"), want: "x=", sameFromName: true}, // D83D DE00: 0x3d '=', then 0x00 ends
		{name: "lone surrogate", units: []uint16{'a', 0xd841, 'b'}, want: "aAb"},        // Name has U+FFFD, whose low 7 bits are 0x7d
		{name: "36 units", units: utf16Of(strings.Repeat("abcdef", 6)), want: strings.Repeat("abcdef", 6), sameFromName: true},
		{name: "empty", units: nil, want: "", sameFromName: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := stdDisk(t, 512)
			td.parts[0].name, td.parts[0].units = "", c.units
			tbl, err := Read(td.build(), td.size, 512)
			if err != nil {
				t.Fatal(err)
			}
			if got := tbl.Partitions[0].KernelLabel(); got != c.want {
				t.Errorf("KernelLabel() = %q, want %q", got, c.want)
			}
			// A hand-built Partition derives the label from Name.
			if got := (Partition{Name: tbl.Partitions[0].Name}).KernelLabel(); (got == c.want) != c.sameFromName {
				t.Errorf("Partition{Name: %q}.KernelLabel() = %q; read from disk %q", tbl.Partitions[0].Name, got, c.want)
			}
		})
	}
}

func utf16Of(s string) []uint16 {
	var u []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			u = append(u, uint16(0xd800+(r>>10)), uint16(0xdc00+(r&0x3ff)))
			continue
		}
		u = append(u, uint16(r))
	}
	return u
}

func TestPartitionName(t *testing.T) {
	td := stdDisk(t, 512)
	td.parts[0].units = []uint16{'a', 0xd800, 'b'} // lone surrogate
	td.parts[1].units = utf16Of("x😀y")
	tbl, err := Read(td.build(), td.size, 512)
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Partitions[0].Name; got != "a\uFFFDb" {
		t.Errorf("Name = %q, want %q", got, "a\uFFFDb")
	}
	if got := tbl.Partitions[1].Name; got != "x😀y" {
		t.Errorf("Name = %q, want %q", got, "x😀y")
	}
}

func TestSizeBytes(t *testing.T) {
	cases := []struct {
		first, last uint64
		ss          int
		want        uint64
	}{
		{64, 1063, 512, 1000 * 512},
		{8, 8, 4096, 4096},
		{10, 9, 512, 0},
		{0, 10, 0, 0},
		{0, 10, -512, 0},
		{0, math.MaxUint64, 512, math.MaxUint64},
		{1, math.MaxUint64, 1, math.MaxUint64},
		{1, math.MaxUint64 / 512, 512, math.MaxUint64 - 511}, // 2^55-1 blocks
		{0, math.MaxUint64 / 512, 512, math.MaxUint64},       // 2^55 blocks: 2^64 bytes
	}
	for _, c := range cases {
		p := Partition{FirstLBA: c.first, LastLBA: c.last}
		if got := p.SizeBytes(c.ss); got != c.want {
			t.Errorf("Partition{%d..%d}.SizeBytes(%d) = %d, want %d", c.first, c.last, c.ss, got, c.want)
		}
	}
}

func TestProbeSectorSize(t *testing.T) {
	both := stdDisk(t, 512).build().bytes()
	copy(both[4096:], stdDisk(t, 4096).build().bytes()[4096:8192])
	cases := []struct {
		name    string
		img     []byte
		want    int
		wantErr string
	}{
		{name: "512", img: stdDisk(t, 512).build().bytes(), want: 512},
		{name: "4096", img: stdDisk(t, 4096).build().bytes(), want: 4096},
		{name: "none", img: make([]byte, 1<<20), want: 512},
		{name: "short", img: stdDisk(t, 4096).build().bytes()[:8191], want: 512},
		{name: "both", img: both, wantErr: "gpt: GPT headers found for sector sizes 512 and 4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ProbeSectorSize(bytes.NewReader(c.img), int64(len(c.img)))
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr || !errors.Is(err, ErrAmbiguousSectorSize) {
					t.Fatalf("ProbeSectorSize = %d, %v; want error %s", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ProbeSectorSize = %d, %v; want %d", got, err, c.want)
			}
		})
	}
	fr := &failingReader{r: bytes.NewReader(both), from: 0, to: 1}
	if _, err := ProbeSectorSize(fr, int64(len(both))); err == nil || err.Error() != "gpt: probe sector size: read first 8192 bytes: boom" {
		t.Errorf("ProbeSectorSize on a failing reader: %v", err)
	}
}

func TestFormatErrorFields(t *testing.T) {
	td := stdDisk(t, 512)
	img := td.build()
	img.put32(512, 1, hdrHeaderCRC, 7)
	tbl, err := Read(img, img.size, 512)
	if err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if !errors.As(tbl.PrimaryErr, &fe) {
		t.Fatalf("PrimaryErr %T", tbl.PrimaryErr)
	}
	if fe.Offset != 0x210 || fe.Field != "HeaderCRC32" || fe.Value != uint32(7) || fe.Msg != "primary header: bad header CRC" {
		t.Errorf("FormatError = %+v", *fe)
	}
}
