package gpt

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unicode/utf16"
)

// nameUnits is the number of UTF-16 code units in a partition name (72 bytes).
const nameUnits = 36

// Partition is one used entry of the partition entry array.
type Partition struct {
	Number     int    // Linux partition number: entry index + 1; unused slots leave gaps (see the package doc for the kernel's limit)
	Type       GUID   // PartitionTypeGUID; never zero for a partition returned by Read
	UUID       GUID   // UniquePartitionGUID, the PARTUUID
	FirstLBA   uint64 // StartingLBA, in logical blocks
	LastLBA    uint64 // EndingLBA, inclusive, in logical blocks
	Attributes uint64 // attribute bits; DPS uses bits 59, 60 and 63 (dps.md §3)
	Name       string // PartitionName decoded from UTF-16LE up to the first NUL; bad surrogates become U+FFFD

	// units holds the on-disk name, so that KernelLabel can reproduce the
	// kernel's conversion exactly even where Name had to replace units.
	units [nameUnits]uint16
}

// KernelLabel returns the partition name the way the Linux kernel exposes it
// as PARTLABEL (uevent, root=PARTLABEL=): block/partitions/efi.c
// utf16_le_to_7bit keeps only the low 7 bits of each of the 36 UTF-16 code
// units, turns every non-printable result (0x01-0x1f, 0x7f) into '!', and the
// result is a C string, so it ends at the first unit whose low 7 bits are
// zero. Non-ASCII names therefore differ from Name: "é" (U+00E9) becomes "i",
// and U+0100 or a surrogate such as 0xDE00 ends the label. The result has at
// most 36 bytes, all printable ASCII.
//
// For a Partition not produced by Read, the label is derived from Name
// encoded as UTF-16.
func (p Partition) KernelLabel() string {
	units := p.units
	if units == ([nameUnits]uint16{}) && p.Name != "" {
		enc := utf16.Encode([]rune(p.Name))
		copy(units[:], enc)
	}
	var b [nameUnits]byte
	n := 0
	for _, u := range units {
		c := byte(u & 0x7f)
		if c == 0 {
			break
		}
		if c < 0x20 || c == 0x7f {
			c = '!'
		}
		b[n] = c
		n++
	}
	return string(b[:n])
}

// SizeBytes returns the partition size, (LastLBA-FirstLBA+1)*sectorSize. It
// returns 0 if LastLBA < FirstLBA or sectorSize <= 0, and math.MaxUint64 if
// the size does not fit in a uint64. Neither can happen for a partition
// returned by Read with the same sector size.
func (p Partition) SizeBytes(sectorSize int) uint64 {
	if sectorSize <= 0 || p.LastLBA < p.FirstLBA {
		return 0
	}
	n := p.LastLBA - p.FirstLBA + 1
	if n == 0 { // the range covers all 2^64 LBAs
		return math.MaxUint64
	}
	hi, lo := bits.Mul64(n, uint64(sectorSize))
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// Partition entry field offsets (dps.md §1.4).
const (
	entrySize      = 128
	entTypeGUID    = 0
	entUniqueGUID  = 16
	entStartingLBA = 32
	entEndingLBA   = 40
	entAttributes  = 48
	entName        = 56
)

// decodeEntry decodes a 128-byte entry. ok is false for an unused entry (zero
// type GUID).
func decodeEntry(e []byte, number int) (p Partition, ok bool) {
	if len(e) < entrySize {
		return Partition{}, false
	}
	copy(p.Type[:], e[entTypeGUID:entTypeGUID+16])
	if p.Type.IsZero() {
		return Partition{}, false
	}
	p.Number = number
	copy(p.UUID[:], e[entUniqueGUID:entUniqueGUID+16])
	p.FirstLBA = binary.LittleEndian.Uint64(e[entStartingLBA:])
	p.LastLBA = binary.LittleEndian.Uint64(e[entEndingLBA:])
	p.Attributes = binary.LittleEndian.Uint64(e[entAttributes:])
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint16(e[entName+2*i:])
	}
	p.Name = decodeName(p.units[:])
	return p, true
}

// decodeName decodes UTF-16 units up to the first NUL.
func decodeName(units []uint16) string {
	end := 0
	for end < len(units) && units[end] != 0 {
		end++
	}
	return string(utf16.Decode(units[:end]))
}
