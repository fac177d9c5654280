package gpt

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

// This file holds a small GPT writer for tests. It builds sparse in-memory
// images: only the blocks the GPT occupies are stored, so that images of any
// claimed size cost a few KiB.

// sparseImage is a device of size bytes that is zero except for head, stored
// at byte 0, and tail, stored so that it ends at byte size. Where they
// overlap, head wins.
type sparseImage struct {
	size int64
	head []byte
	tail []byte
}

// ReadAt implements io.ReaderAt.
func (s *sparseImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("sparseImage: negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > s.size-off {
		n = int(s.size - off)
	}
	clear(p[:n])
	end := off + int64(n)
	tailStart := s.size - int64(len(s.tail))
	if lo, hi := max(off, tailStart), end; lo < hi {
		copy(p[lo-off:hi-off], s.tail[lo-tailStart:])
	}
	if off < int64(len(s.head)) {
		copy(p[:n], s.head[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// at returns the n stored bytes at off, from head or tail. It panics if they
// are not stored: that is a bug in the test.
func (s *sparseImage) at(off int64, n int) []byte {
	if off+int64(n) <= int64(len(s.head)) {
		return s.head[off : off+int64(n)]
	}
	tailStart := s.size - int64(len(s.tail))
	if off >= tailStart && off+int64(n) <= s.size {
		return s.tail[off-tailStart : off-tailStart+int64(n)]
	}
	panic("sparseImage.at: bytes not stored")
}

// bytes materialises the whole image.
func (s *sparseImage) bytes() []byte {
	b := make([]byte, s.size)
	if _, err := s.ReadAt(b, 0); err != nil && err != io.EOF {
		panic(err)
	}
	return b
}

// testPart is one entry written by testDisk.
type testPart struct {
	index     int // entry index, Number-1
	typ, uuid GUID
	first     uint64
	last      uint64
	attrs     uint64
	name      string
	units     []uint16 // raw name units; overrides name
	rawEntry  []byte   // if set, written as the entry verbatim
}

// testDisk describes a GPT to write. Zero fields take the usual defaults.
type testDisk struct {
	ss          int
	size        int64
	diskGUID    GUID
	numEntries  uint32 // default 128
	firstUsable uint64 // default: right after the primary array
	lastUsable  uint64 // default: right before the backup array
	parts       []testPart
	noPMBR      bool
	noBackup    bool
}

func (td testDisk) arrayBlocks() uint64 {
	n := uint64(td.entries()) * entrySize
	return (n + uint64(td.ss) - 1) / uint64(td.ss)
}

func (td testDisk) entries() uint32 {
	if td.numEntries == 0 {
		return 128
	}
	return td.numEntries
}

// build writes the protective MBR, the primary header and array, and (unless
// noBackup) the backup array and header.
func (td testDisk) build() *sparseImage {
	ss := uint64(td.ss)
	blocks := uint64(td.size) / ss
	lastLBA := blocks - 1
	arrBlocks := td.arrayBlocks()
	first := td.firstUsable
	if first == 0 {
		first = 2 + arrBlocks
	}
	lastUsable := td.lastUsable
	if lastUsable == 0 {
		lastUsable = lastLBA - 1 - arrBlocks
	}
	headLen := (2 + arrBlocks) * ss
	img := &sparseImage{size: td.size, head: make([]byte, headLen)}
	if !td.noBackup {
		img.tail = make([]byte, (arrBlocks+1)*ss)
	}

	if !td.noPMBR {
		rec := img.head[446:462]
		rec[1], rec[2], rec[3] = 0x00, 0x02, 0x00
		rec[4] = 0xee
		rec[5], rec[6], rec[7] = 0xff, 0xff, 0xff
		binary.LittleEndian.PutUint32(rec[8:], 1)
		sz := blocks - 1
		if sz > 0xffffffff {
			sz = 0xffffffff
		}
		binary.LittleEndian.PutUint32(rec[12:], uint32(sz))
		img.head[510], img.head[511] = 0x55, 0xaa
	}

	arr := make([]byte, uint64(td.entries())*entrySize)
	for _, p := range td.parts {
		e := arr[p.index*entrySize : (p.index+1)*entrySize]
		if p.rawEntry != nil {
			copy(e, p.rawEntry)
			continue
		}
		copy(e[0:16], p.typ[:])
		copy(e[16:32], p.uuid[:])
		binary.LittleEndian.PutUint64(e[32:], p.first)
		binary.LittleEndian.PutUint64(e[40:], p.last)
		binary.LittleEndian.PutUint64(e[48:], p.attrs)
		units := p.units
		if units == nil {
			units = utf16.Encode([]rune(p.name))
		}
		for i, u := range units[:min(len(units), 36)] {
			binary.LittleEndian.PutUint16(e[56+2*i:], u)
		}
	}
	arrCRC := crc32.ChecksumIEEE(arr)

	hdr := func(my, alt, entryLBA uint64) []byte {
		h := make([]byte, ss)
		copy(h, signature)
		binary.LittleEndian.PutUint32(h[8:], revision)
		binary.LittleEndian.PutUint32(h[12:], headerSize)
		binary.LittleEndian.PutUint64(h[24:], my)
		binary.LittleEndian.PutUint64(h[32:], alt)
		binary.LittleEndian.PutUint64(h[40:], first)
		binary.LittleEndian.PutUint64(h[48:], lastUsable)
		copy(h[56:72], td.diskGUID[:])
		binary.LittleEndian.PutUint64(h[72:], entryLBA)
		binary.LittleEndian.PutUint32(h[80:], td.entries())
		binary.LittleEndian.PutUint32(h[84:], entrySize)
		binary.LittleEndian.PutUint32(h[88:], arrCRC)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:headerSize]))
		return h
	}
	copy(img.head[ss:], hdr(1, lastLBA, 2))
	copy(img.head[2*ss:], arr)
	if !td.noBackup {
		copy(img.tail, arr)
		copy(img.tail[arrBlocks*ss:], hdr(lastLBA, 1, lastLBA-arrBlocks))
	}
	return img
}

// Header mutation helpers. lba is the LBA of the header to change.

func (s *sparseImage) hdr(ss int, lba uint64) []byte {
	return s.at(int64(lba)*int64(ss), ss)
}

func (s *sparseImage) put32(ss int, lba uint64, off int, v uint32) {
	binary.LittleEndian.PutUint32(s.hdr(ss, lba)[off:], v)
}

func (s *sparseImage) put64(ss int, lba uint64, off int, v uint64) {
	binary.LittleEndian.PutUint64(s.hdr(ss, lba)[off:], v)
}

// fixHeaderCRC recomputes the header CRC over HeaderSize bytes (clamped to
// the block).
func (s *sparseImage) fixHeaderCRC(ss int, lba uint64) {
	h := s.hdr(ss, lba)
	n := int(min(max(binary.LittleEndian.Uint32(h[12:]), headerSize), uint32(ss)))
	binary.LittleEndian.PutUint32(h[16:], 0)
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:n]))
}

// entry returns entry index i of the array described by the header at lba.
func (s *sparseImage) entry(ss int, lba uint64, i int) []byte {
	h := s.hdr(ss, lba)
	entryLBA := binary.LittleEndian.Uint64(h[72:])
	return s.at(int64(entryLBA)*int64(ss)+int64(i)*entrySize, entrySize)
}

// diskFromTable returns a testDisk that writes t again, on a device of size
// bytes. It writes a backup only if there is room after LastUsableLBA.
func diskFromTable(t *Table, size int64) testDisk {
	td := testDisk{
		ss:          t.SectorSize,
		size:        size,
		diskGUID:    t.DiskGUID,
		firstUsable: t.FirstUsableLBA,
		lastUsable:  t.LastUsableLBA,
		numEntries:  1,
	}
	for _, p := range t.Partitions {
		td.numEntries = max(td.numEntries, uint32(p.Number))
		td.parts = append(td.parts, testPart{
			index: p.Number - 1, typ: p.Type, uuid: p.UUID,
			first: p.FirstLBA, last: p.LastLBA, attrs: p.Attributes,
			units: p.units[:],
		})
	}
	lastLBA := uint64(size)/uint64(t.SectorSize) - 1
	if t.LastUsableLBA+td.arrayBlocks() >= lastLBA {
		td.noBackup = true
	}
	return td
}
