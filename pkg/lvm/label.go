package lvm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxMetadataBytes bounds the metadata text that ScanPV reads from one
// metadata area (raw_locn size, trailing NUL included). lvm2 bounds it only
// by the area size; a default area is 1 MiB and holds at most about half
// of that per copy. The text must also fit in the area and the device.
const MaxMetadataBytes = 16 << 20

// On-disk layout (lvm2 lib/label/label.h, lib/format_text/layout.h). All
// integers are little-endian.
const (
	sectorSize       = 512
	labelScanSectors = 4  // LABEL_SCAN_SECTORS
	labelHeaderSize  = 32 // struct label_header
	pvHeaderSize     = 40 // struct pv_header without its disk_locn list
	diskLocnSize     = 16 // struct disk_locn
	extHeaderSize    = 8  // struct pv_header_extension without its list
	mdaHeaderSize    = 512
	rawLocnOffset    = 40 // offset of raw_locns[0] in struct mda_header
	rawLocnIgnored   = 0x1
	maxMetadataAreas = 2 // pvcreate --pvmetadatacopies is 0, 1 or 2
)

const (
	labelID   = "LABELONE"
	labelType = "LVM2 001"
	fmttMagic = " LVM2 x[5A%r0N*>"
)

// A DiskArea is a byte range on the device, as listed in the PV header.
type DiskArea struct {
	OffsetBytes uint64 // from the start of the device
	SizeBytes   uint64 // 0 in a data area means "up to the end of the device"
}

// A PV is what ScanPV found on one device: the label, the PV header and
// every usable copy of the volume group metadata.
type PV struct {
	// UUID is the PV UUID in lvm2's printed form (6-4-4-4-4-4-6 with
	// dashes), as pvs -o pv_uuid shows it.
	UUID string
	// SizeBytes is the device size given to ScanPV.
	SizeBytes int64
	// LabelSector is the sector (0-3) that holds the label; pvcreate uses 1.
	LabelSector int
	// DeviceSizeBytes is the device size recorded in the PV header when the
	// header was written (device_size_xl).
	DeviceSizeBytes uint64
	// DataAreas, MetadataAreas and BootloaderAreas are the PV header's
	// disk_locn lists. MetadataAreas[i] is metadata area (mda) i+1.
	DataAreas, MetadataAreas, BootloaderAreas []DiskArea
	// ExtensionVersion and ExtensionFlags come from the PV header extension
	// (version 0 when there is none; flag 0x1 means the PV is in a VG).
	ExtensionVersion, ExtensionFlags uint32
	// Metadata holds one entry per metadata area whose committed copy was
	// read, checked and parsed, in MetadataAreas order. Areas flagged
	// ignored (pvchange --metadataignore y) and areas with no committed
	// copy (orphan PVs) have no entry.
	Metadata []*Metadata
	// MetadataErrors holds the content error (a *FormatError) of each
	// metadata area that could not be used. lvm2 drops such a copy and
	// carries on with the others; so does Assemble.
	MetadataErrors []error
}

// Metadata is one committed copy of the volume group metadata.
//
// The text itself is not kept: a scan of many devices would keep up to
// MaxMetadataBytes per copy. Size and Digest are what Assemble compares.
type Metadata struct {
	Area     int               // index into PV.MetadataAreas
	Checksum uint32            // raw_locn checksum of the text (NUL included)
	Size     int               // bytes of text, without its trailing NUL
	Digest   [sha256.Size]byte // SHA-256 of those bytes
	VG       *VG               // the parsed text; Member.Present is false until Assemble
	text     []byte            // the text, kept for the package's tests only (scanPV)
}

// ScanPV reads the LVM2 label from the first four sectors of a device of
// size bytes, then the PV header and every metadata area it lists.
//
// A device without a valid label gives a *FormatError that matches
// ErrNotPV. A damaged PV header gives a *FormatError. A damaged metadata
// area does not fail the scan: its error is recorded in
// PV.MetadataErrors. Read errors are returned wrapped with the operation
// and offset; they are never *FormatError.
func ScanPV(r io.ReaderAt, size int64) (*PV, error) { return scanLabel(r, size, false) }

// scanLabel is ScanPV; keepText keeps each copy's text in Metadata.text.
func scanLabel(r io.ReaderAt, size int64, keepText bool) (*PV, error) {
	if size < sectorSize {
		return nil, &FormatError{Field: "size", Value: size, Msg: "device smaller than one sector", err: ErrNotPV}
	}
	n := int64(labelScanSectors * sectorSize)
	if size < n {
		n = size / sectorSize * sectorSize
	}
	buf := make([]byte, n)
	if err := readAt(r, buf, 0, "label sectors"); err != nil {
		return nil, err
	}
	var first error
	for s := 0; (s+1)*sectorSize <= len(buf); s++ {
		sec := buf[s*sectorSize : (s+1)*sectorSize]
		if string(sec[:8]) != labelID {
			continue
		}
		off := int64(s * sectorSize)
		var err error
		if got := binary.LittleEndian.Uint64(sec[8:]); got != uint64(s) {
			err = &FormatError{Offset: off + 8, Field: "sector_xl", Value: got, want: uint64(s), Msg: "label: wrong sector number", err: ErrNotPV}
		} else if got, want := binary.LittleEndian.Uint32(sec[16:]), lvmCRC(initialCRC, sec[20:]); got != want {
			err = &FormatError{Offset: off + 16, Field: "crc_xl", Value: got, want: want, Msg: "label: bad checksum", err: ErrNotPV}
		} else if string(sec[24:32]) != labelType {
			err = &FormatError{Offset: off + 24, Field: "type", Value: sec[24:32:32], want: []byte(labelType), Msg: "label: unknown type", err: ErrNotPV}
		}
		if err != nil {
			// lvm2 ignores such a label and looks at the next sector.
			if first == nil {
				first = err
			}
			continue
		}
		return scanPV(r, size, s, sec, keepText)
	}
	if first != nil {
		return nil, first
	}
	return nil, &FormatError{Field: "id", Msg: "no LVM2 label in sectors 0-3", err: ErrNotPV}
}

// scanPV parses the PV header in the label sector sec (sector s) and reads
// the metadata areas it lists.
func scanPV(r io.ReaderAt, size int64, s int, sec []byte, keepText bool) (*PV, error) {
	base := int64(s * sectorSize)
	off := binary.LittleEndian.Uint32(sec[20:])
	if off < labelHeaderSize || off > sectorSize-pvHeaderSize {
		// lvm2 (label_check_pv_layout) rejects offsets past 512-40; an
		// offset inside the label header is never written either.
		return nil, &FormatError{Offset: base + 20, Field: "offset_xl", Value: off, Msg: "label: PV header offset outside 32..472"}
	}
	h := sec[off:]
	raw := string(h[:idLen])
	for i := 0; i < idLen; i++ {
		if !validIDChar(raw[i]) {
			return nil, &FormatError{Offset: base + int64(off) + int64(i), Field: "pv_uuid", Value: []byte(raw), Msg: "PV header: invalid character in UUID"}
		}
	}
	pv := &PV{
		UUID:            formatID(raw),
		SizeBytes:       size,
		LabelSector:     s,
		DeviceSizeBytes: binary.LittleEndian.Uint64(h[32:]),
	}
	at := int(off) + pvHeaderSize // position in sec
	// list reads a disk_locn list ended by an entry with offset 0; like
	// label_check_pv_layout, the list and its end must fit in the sector.
	list := func(what string) ([]DiskArea, error) {
		var areas []DiskArea
		for {
			if at+diskLocnSize > sectorSize {
				return nil, &FormatError{Offset: base + int64(at), Field: "disk_areas_xl", Msg: "PV header: " + what + " list runs past the label sector"}
			}
			o, n := binary.LittleEndian.Uint64(sec[at:]), binary.LittleEndian.Uint64(sec[at+8:])
			at += diskLocnSize
			if o == 0 {
				return areas, nil
			}
			areas = append(areas, DiskArea{OffsetBytes: o, SizeBytes: n})
		}
	}
	var err error
	if pv.DataAreas, err = list("data area"); err != nil {
		return nil, err
	}
	mdaList := at
	if pv.MetadataAreas, err = list("metadata area"); err != nil {
		return nil, err
	}
	if len(pv.MetadataAreas) > maxMetadataAreas {
		return nil, &FormatError{Offset: base + int64(mdaList), Field: "disk_areas_xl", Value: len(pv.MetadataAreas), want: maxMetadataAreas, Msg: "PV header: too many metadata areas"}
	}
	// The extension follows the second list if it fits in the sector
	// (label_check_pv_layout); version 0 means there is none.
	if at+extHeaderSize <= sectorSize {
		pv.ExtensionVersion = binary.LittleEndian.Uint32(sec[at:])
		if pv.ExtensionVersion != 0 {
			pv.ExtensionFlags = binary.LittleEndian.Uint32(sec[at+4:])
			at += extHeaderSize
			if pv.BootloaderAreas, err = list("bootloader area"); err != nil {
				return nil, err
			}
		}
	}
	for i, a := range pv.MetadataAreas {
		md, err := readMetadataArea(r, size, i, a, keepText)
		switch {
		case err == nil:
			if md != nil {
				pv.Metadata = append(pv.Metadata, md)
			}
		case isContentError(err):
			pv.MetadataErrors = append(pv.MetadataErrors, err)
		default:
			return nil, err
		}
	}
	return pv, nil
}

// readMetadataArea reads mda i at a: the mda_header, then the committed
// text (raw_locns[0]). It returns nil, nil for an ignored or empty area.
func readMetadataArea(r io.ReaderAt, size int64, i int, a DiskArea, keepText bool) (*Metadata, error) {
	name := "mda " + strconv.Itoa(i+1) + " header"
	start := a.OffsetBytes
	if start > uint64(size) || uint64(size)-start < mdaHeaderSize {
		return nil, &FormatError{Offset: int64(min(start, uint64(size))), Field: "offset", Value: start, Msg: name + ": past the end of the device"}
	}
	so := int64(start)
	hdr := make([]byte, mdaHeaderSize)
	if err := readAt(r, hdr, so, name); err != nil {
		return nil, err
	}
	// The checks of raw_parse_mda_header, in its order.
	if got, want := binary.LittleEndian.Uint32(hdr), lvmCRC(initialCRC, hdr[4:]); got != want {
		return nil, &FormatError{Offset: so, Field: "checksum_xl", Value: got, want: want, Msg: name + ": bad checksum"}
	}
	if string(hdr[4:20]) != fmttMagic {
		return nil, &FormatError{Offset: so + 4, Field: "magic", Value: hdr[4:20:20], Msg: name + ": bad magic"}
	}
	if v := binary.LittleEndian.Uint32(hdr[20:]); v != 1 {
		return nil, &FormatError{Offset: so + 20, Field: "version", Value: v, want: uint32(1), Msg: name + ": unsupported version"}
	}
	if v := binary.LittleEndian.Uint64(hdr[24:]); v != start {
		return nil, &FormatError{Offset: so + 24, Field: "start", Value: v, want: start, Msg: name + ": start differs from the PV header's offset"}
	}
	msize := binary.LittleEndian.Uint64(hdr[32:])
	if msize < mdaHeaderSize || msize > uint64(size)-start {
		return nil, &FormatError{Offset: so + 32, Field: "size", Value: msize, Msg: name + ": area smaller than 512 bytes or past the end of the device"}
	}
	rl := hdr[rawLocnOffset:]
	toff, tsize, sum, flags := binary.LittleEndian.Uint64(rl), binary.LittleEndian.Uint64(rl[8:]), binary.LittleEndian.Uint32(rl[16:]), binary.LittleEndian.Uint32(rl[20:])
	if flags&rawLocnIgnored != 0 || toff == 0 {
		// Ignored (lvm2 does not read it), or no committed metadata.
		return nil, nil
	}
	lo := so + rawLocnOffset
	switch {
	case toff < mdaHeaderSize || toff >= msize:
		return nil, &FormatError{Offset: lo, Field: "offset", Value: toff, Msg: name + ": metadata offset outside the area (512.." + strconv.FormatUint(msize-1, 10) + ")"}
	case tsize > msize-mdaHeaderSize:
		return nil, &FormatError{Offset: lo + 8, Field: "size", Value: tsize, want: msize - mdaHeaderSize, Msg: name + ": metadata larger than the area"}
	case tsize > MaxMetadataBytes:
		return nil, &FormatError{Offset: lo + 8, Field: "size", Value: tsize, want: uint64(MaxMetadataBytes), Msg: name + ": metadata larger than this package's limit"}
	}
	// The text is circular: the part past the end of the area continues
	// right after the header. toff < msize and tsize <= msize-512, so the
	// two parts never overlap.
	var wrap uint64
	if toff+tsize > msize {
		wrap = toff + tsize - msize
	}
	text := make([]byte, tsize)
	what := "mda " + strconv.Itoa(i+1) + " metadata"
	if err := readAt(r, text[:tsize-wrap], so+int64(toff), what); err != nil {
		return nil, err
	}
	if err := readAt(r, text[tsize-wrap:], so+mdaHeaderSize, what); err != nil {
		return nil, err
	}
	if got := lvmCRC(initialCRC, text); got != sum {
		return nil, &FormatError{Offset: lo + 16, Field: "checksum", Value: got, want: sum, Msg: "mda " + strconv.Itoa(i+1) + ": metadata text does not match its checksum"}
	}
	// Like lvm2's parser, stop at the first NUL (the writer's terminator).
	if n := bytes.IndexByte(text, 0); n >= 0 {
		text = text[:n:n]
	}
	vg, err := parseVG(text)
	if err != nil {
		return nil, &wrapError{msg: "lvm: mda " + strconv.Itoa(i+1) + " metadata at byte " + fmt.Sprintf("%#x", so+int64(toff)), err: err}
	}
	md := &Metadata{Area: i, Checksum: sum, Size: len(text), Digest: sha256.Sum256(text), VG: vg}
	if keepText {
		md.text = text
	}
	return md, nil
}

// readAt fills p from off. A short read is an error (io.ErrUnexpectedEOF
// when the reader gives none); it is wrapped with what was read and where.
func readAt(r io.ReaderAt, p []byte, off int64, what string) error {
	if len(p) == 0 {
		return nil
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &wrapError{msg: "lvm: read " + what + " at byte " + fmt.Sprintf("%#x", off), err: err}
}

// isContentError reports whether err is about the content (a
// *FormatError somewhere in its chain) rather than about reading it.
func isContentError(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}

// le32 and le64 decode little-endian integers (encoding/binary would link
// reflect into the init).
