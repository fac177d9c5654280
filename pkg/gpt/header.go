package gpt

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"sort"
	"strconv"
)

// GPT header constants and field offsets (dps.md §1.3).
const (
	signature  = "EFI PART"
	revision   = 0x00010000
	headerSize = 92 // size of the defined fields; HeaderSize may be larger

	hdrSignature   = 0
	hdrRevision    = 8
	hdrHeaderSize  = 12
	hdrHeaderCRC   = 16
	hdrMyLBA       = 24
	hdrAlternate   = 32
	hdrFirstUsable = 40
	hdrLastUsable  = 48
	hdrDiskGUID    = 56
	hdrEntryLBA    = 72
	hdrNumEntries  = 80
	hdrEntrySize   = 84
	hdrArrayCRC    = 88
)

// header holds the decoded fields of a GPT header.
type header struct {
	myLBA, altLBA           uint64
	firstUsable, lastUsable uint64
	entryLBA                uint64
	numEntries, entrySize   uint32
	arrayCRC                uint32
	diskGUID                GUID

	// Derived from the fields above once they are validated.
	arrayBytes uint64
}

// fieldError builds a FormatError for a header field of the header at lba.
func (d *disk) fieldError(lba uint64, field string, off int, value, want any, msg string) *FormatError {
	return &FormatError{
		Offset: int64(lba*d.ss) + int64(off),
		Field:  field,
		Value:  value,
		Msg:    msg,
		want:   want,
	}
}

// parseHeader decodes and validates the header in b (one logical block) read
// from lba. trusted reports whether the header passed the checks of its own
// integrity (signature, revision, size, CRC, MyLBA), so that its AlternateLBA
// may be used even if a later check failed. It does not modify b.
func (d *disk) parseHeader(b []byte, lba uint64, which string) (h header, trusted bool, err *FormatError) {
	p := which + " header: "
	if string(b[hdrSignature:hdrSignature+8]) != signature {
		e := d.fieldError(lba, "Signature", hdrSignature, slices.Clone(b[:8]), nil, p+`no "EFI PART" signature`)
		if which == "primary" {
			// A missing backup signature alone does not mean there is no
			// GPT: ErrNoGPT is about LBA 1.
			e.err = ErrNoGPT
		}
		return h, false, e
	}
	if rev := binary.LittleEndian.Uint32(b[hdrRevision:]); rev != revision {
		return h, false, d.fieldError(lba, "Revision", hdrRevision, rev, uint32(revision), p+"unsupported revision")
	}
	hs := binary.LittleEndian.Uint32(b[hdrHeaderSize:])
	if hs < headerSize {
		return h, false, d.fieldError(lba, "HeaderSize", hdrHeaderSize, hs, ">= 92", p+"header size too small")
	}
	if uint64(hs) > d.ss {
		return h, false, d.fieldError(lba, "HeaderSize", hdrHeaderSize, hs, "<= "+strconv.FormatUint(d.ss, 10), p+"header size larger than a logical block")
	}
	// The CRC covers HeaderSize bytes with the CRC field taken as zero. Feed
	// the pieces to the hash instead of zeroing the field in b.
	var zero [4]byte
	crc := crc32.Update(0, crc32.IEEETable, b[:hdrHeaderCRC])
	crc = crc32.Update(crc, crc32.IEEETable, zero[:])
	crc = crc32.Update(crc, crc32.IEEETable, b[hdrHeaderCRC+4:hs])
	if got := binary.LittleEndian.Uint32(b[hdrHeaderCRC:]); got != crc {
		return h, false, d.fieldError(lba, "HeaderCRC32", hdrHeaderCRC, got, crc, p+"bad header CRC")
	}
	h = header{
		myLBA:       binary.LittleEndian.Uint64(b[hdrMyLBA:]),
		altLBA:      binary.LittleEndian.Uint64(b[hdrAlternate:]),
		firstUsable: binary.LittleEndian.Uint64(b[hdrFirstUsable:]),
		lastUsable:  binary.LittleEndian.Uint64(b[hdrLastUsable:]),
		entryLBA:    binary.LittleEndian.Uint64(b[hdrEntryLBA:]),
		numEntries:  binary.LittleEndian.Uint32(b[hdrNumEntries:]),
		entrySize:   binary.LittleEndian.Uint32(b[hdrEntrySize:]),
		arrayCRC:    binary.LittleEndian.Uint32(b[hdrArrayCRC:]),
	}
	copy(h.diskGUID[:], b[hdrDiskGUID:hdrDiskGUID+16])
	if h.myLBA != lba {
		return h, false, d.fieldError(lba, "MyLBA", hdrMyLBA, h.myLBA, lba, p+"header is not at its own LBA")
	}
	return h, true, d.checkLayout(&h, lba, which)
}

// checkLayout validates the usable range and the placement of the entry
// array of a header that passed its integrity checks, and sets h.arrayBytes.
func (d *disk) checkLayout(h *header, lba uint64, which string) *FormatError {
	p := which + " header: "
	last := strconv.FormatUint(d.lastLBA, 10)
	if h.firstUsable > d.lastLBA {
		return d.fieldError(lba, "FirstUsableLBA", hdrFirstUsable, h.firstUsable, "<= "+last, p+"first usable LBA past the end of the disk")
	}
	if h.lastUsable > d.lastLBA {
		return d.fieldError(lba, "LastUsableLBA", hdrLastUsable, h.lastUsable, "<= "+last, p+"last usable LBA past the end of the disk")
	}
	if h.lastUsable < h.firstUsable {
		return d.fieldError(lba, "LastUsableLBA", hdrLastUsable, h.lastUsable, ">= "+strconv.FormatUint(h.firstUsable, 10), p+"last usable LBA before first usable LBA")
	}
	if h.firstUsable < 2 {
		// The usable LBAs must not include LBA 0 or 1. For a primary
		// header the array placement below implies this too.
		return d.fieldError(lba, "FirstUsableLBA", hdrFirstUsable, h.firstUsable, ">= 2", p+"first usable LBA overlaps the MBR or the primary header")
	}
	if which == "backup" && h.myLBA <= h.lastUsable {
		return d.fieldError(lba, "MyLBA", hdrMyLBA, h.myLBA, "> "+strconv.FormatUint(h.lastUsable, 10), p+"header inside the usable LBAs")
	}
	// The kernel accepts only 128-byte entries, although UEFI allows 128×2^n.
	if h.entrySize != entrySize {
		return d.fieldError(lba, "SizeOfPartitionEntry", hdrEntrySize, h.entrySize, uint32(entrySize), p+"unsupported partition entry size")
	}
	if h.numEntries == 0 {
		return d.fieldError(lba, "NumberOfPartitionEntries", hdrNumEntries, h.numEntries, ">= 1", p+"no partition entries")
	}
	// Both factors are 32-bit, so the product fits in 64 bits.
	h.arrayBytes = uint64(h.numEntries) * uint64(h.entrySize)
	if h.arrayBytes > MaxEntryArrayBytes {
		return d.fieldError(lba, "NumberOfPartitionEntries", hdrNumEntries, h.numEntries,
			"<= "+strconv.Itoa(MaxEntryArrayBytes/entrySize), p+"partition entry array larger than "+strconv.Itoa(MaxEntryArrayBytes)+" bytes")
	}
	if h.entryLBA < 2 {
		return d.fieldError(lba, "PartitionEntryLBA", hdrEntryLBA, h.entryLBA, ">= 2", p+"partition entry array overlaps the MBR or the primary header")
	}
	arrayBlocks := (h.arrayBytes + d.ss - 1) / d.ss // >= 1, small
	if h.entryLBA > d.lastLBA || arrayBlocks > d.lastLBA-h.entryLBA+1 {
		return d.fieldError(lba, "PartitionEntryLBA", hdrEntryLBA, h.entryLBA,
			"<= "+strconv.FormatUint(d.lastLBA+1-min(arrayBlocks, d.lastLBA+1), 10), p+"partition entry array past the end of the disk")
	}
	arrayEnd := h.entryLBA + arrayBlocks - 1
	if h.entryLBA <= h.myLBA && h.myLBA <= arrayEnd {
		return d.fieldError(lba, "PartitionEntryLBA", hdrEntryLBA, h.entryLBA, "an array not covering LBA "+strconv.FormatUint(h.myLBA, 10), p+"partition entry array overlaps the header")
	}
	switch which {
	case "primary":
		if arrayEnd >= h.firstUsable {
			return d.fieldError(lba, "PartitionEntryLBA", hdrEntryLBA, h.entryLBA,
				"an array ending before LBA "+strconv.FormatUint(h.firstUsable, 10), p+"partition entry array overlaps the usable LBAs")
		}
	default:
		if h.entryLBA <= h.lastUsable {
			return d.fieldError(lba, "PartitionEntryLBA", hdrEntryLBA, h.entryLBA,
				"> "+strconv.FormatUint(h.lastUsable, 10), p+"partition entry array overlaps the usable LBAs")
		}
	}
	return nil
}

// readEntries reads the entry array of a validated header in chunks of at
// most readChunkBytes, checks its CRC, and validates every used entry. ioErr
// reports whether err is an I/O error rather than a *FormatError.
func (d *disk) readEntries(h *header, which string) (parts []Partition, ioErr bool, err error) {
	base := int64(h.entryLBA * d.ss) // the array lies within the device
	buf := make([]byte, min(h.arrayBytes, readChunkBytes))
	var crc uint32
	for done := uint64(0); done < h.arrayBytes; {
		chunk := buf[:min(uint64(len(buf)), h.arrayBytes-done)]
		if err := d.read(chunk, base+int64(done), which+" partition entry array"); err != nil {
			return nil, true, err
		}
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
		for i := 0; i+entrySize <= len(chunk); i += entrySize {
			number := int((done+uint64(i))/entrySize) + 1
			if p, ok := decodeEntry(chunk[i:i+entrySize], number); ok {
				parts = append(parts, p)
			}
		}
		done += uint64(len(chunk))
	}
	if crc != h.arrayCRC {
		return nil, false, d.fieldError(h.myLBA, "PartitionEntryArrayCRC32", hdrArrayCRC, h.arrayCRC, crc, which+" header: bad partition entry array CRC")
	}
	if ferr := d.checkEntries(h, parts, which); ferr != nil {
		return nil, false, ferr
	}
	return parts, false, nil
}

// entryError builds a FormatError for a field of entry number n.
func (d *disk) entryError(h *header, n int, field string, off int, value, want any, msg string) *FormatError {
	return &FormatError{
		Offset: int64(h.entryLBA*d.ss) + int64(n-1)*entrySize + int64(off),
		Field:  field,
		Value:  value,
		Msg:    msg,
		want:   want,
	}
}

// checkEntries applies the per-entry bounds of dps.md §1.6: every used entry
// lies within the usable LBAs with Start <= End, has a non-zero unique GUID
// that no other entry has, and overlaps no other entry.
func (d *disk) checkEntries(h *header, parts []Partition, which string) *FormatError {
	for _, p := range parts {
		pre := which + " entry " + strconv.Itoa(p.Number) + ": "
		switch {
		case p.UUID.IsZero():
			return d.entryError(h, p.Number, "UniquePartitionGUID", entUniqueGUID, p.UUID, nil, pre+"zero unique partition GUID")
		case p.FirstLBA < h.firstUsable:
			return d.entryError(h, p.Number, "StartingLBA", entStartingLBA, p.FirstLBA, ">= "+strconv.FormatUint(h.firstUsable, 10), pre+"starts before the first usable LBA")
		case p.LastLBA < p.FirstLBA:
			return d.entryError(h, p.Number, "EndingLBA", entEndingLBA, p.LastLBA, ">= "+strconv.FormatUint(p.FirstLBA, 10), pre+"ends before it starts")
		case p.LastLBA > h.lastUsable:
			return d.entryError(h, p.Number, "EndingLBA", entEndingLBA, p.LastLBA, "<= "+strconv.FormatUint(h.lastUsable, 10), pre+"ends after the last usable LBA")
		}
	}
	seen := make(map[GUID]int, len(parts))
	for _, p := range parts {
		if n, dup := seen[p.UUID]; dup {
			return d.entryError(h, p.Number, "UniquePartitionGUID", entUniqueGUID, p.UUID, nil,
				which+" entry "+strconv.Itoa(p.Number)+": same unique partition GUID as entry "+strconv.Itoa(n))
		}
		seen[p.UUID] = p.Number
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		pa, pb := &parts[order[i]], &parts[order[j]]
		return pa.FirstLBA < pb.FirstLBA || pa.FirstLBA == pb.FirstLBA && pa.Number < pb.Number
	})
	for i := 1; i < len(order); i++ {
		prev, cur := &parts[order[i-1]], &parts[order[i]]
		if cur.FirstLBA <= prev.LastLBA {
			return d.entryError(h, cur.Number, "StartingLBA", entStartingLBA, cur.FirstLBA, "> "+strconv.FormatUint(prev.LastLBA, 10),
				which+" entry "+strconv.Itoa(cur.Number)+": overlaps entry "+strconv.Itoa(prev.Number))
		}
	}
	return nil
}
