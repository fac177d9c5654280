package gpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits on values read from disk.
const (
	// MaxEntryArrayBytes caps NumberOfPartitionEntries × SizeOfPartitionEntry.
	// The kernel and systemd expect 128 × 128 = 16 KiB; 1 MiB (8192 entries)
	// is generous (dps.md §1.6).
	MaxEntryArrayBytes = 1 << 20

	minSectorSize = 512
	// maxSectorSize bounds the header read. Linux logical block sizes are
	// powers of two up to the page size, and 64 KiB is the largest page size.
	maxSectorSize = 64 << 10

	// readChunkBytes bounds each read of the partition entry array, so that
	// a header cannot make Read allocate MaxEntryArrayBytes at once. It is a
	// multiple of entrySize.
	readChunkBytes = 64 << 10

	// minDiskBlocks is the smallest device that can hold a GPT: the MBR, the
	// header, one block of entries and one usable block.
	minDiskBlocks = 4

	mbrSize = 512
)

// Table is a validated GUID Partition Table.
type Table struct {
	SectorSize     int    // logical block size the table was read with, in bytes
	DiskGUID       GUID   // DiskGUID from the header
	FirstUsableLBA uint64 // FirstUsableLBA from the header
	LastUsableLBA  uint64 // LastUsableLBA from the header, inclusive

	// Partitions holds the used entries (non-zero type GUID), ordered by
	// Number.
	Partitions []Partition

	// ProtectiveMBR reports whether LBA 0 holds a protective or hybrid MBR
	// the kernel accepts: signature 0xAA55 and a record of type 0xEE that
	// starts at LBA 1 (dps.md §1.2). Without one the kernel ignores the GPT
	// unless "gpt" is on its command line; Read still returns the table.
	ProtectiveMBR bool

	// FromBackup is set when the primary table was invalid or could not be
	// read and the table was read from a backup header. The kernel uses the
	// backup only when "gpt" is on its command line.
	FromBackup bool

	// PrimaryErr says why the primary table was rejected when FromBackup
	// is set: a *FormatError, or the I/O error that reading it met.
	PrimaryErr error
}

// Read reads and validates the GPT of a device of sizeBytes bytes with
// logical blocks of sectorSize bytes (a power of two from 512 to 65536; use
// BLKSSZGET for block devices and ProbeSectorSize for image files).
//
// It checks the protective MBR (recorded in Table.ProtectiveMBR, not fatal;
// an unreadable one counts as absent, as for the kernel), then the primary
// header at LBA 1, its entry array and every used entry. If the primary
// table has invalid content (a *FormatError) or cannot be read, Read tries
// the backup header at the LBA named by the primary header, if that header
// itself was intact, and at the last LBA, and validates it the same way: a
// bad sector under the primary table leaves the backup readable, and the
// kernel booted with "gpt" uses it then too. I/O errors are wrapped with
// the operation and byte offset; an I/O error on a backup ends the search.
//
// If no valid table is found, the error lists the primary error first and
// then each backup error; errors.As finds the first *FormatError, and
// errors.Is(err, ErrNoGPT) holds when LBA 1 has no GPT signature at all.
func Read(r io.ReaderAt, sizeBytes int64, sectorSize int) (*Table, error) {
	if sectorSize < minSectorSize || sectorSize > maxSectorSize || sectorSize&(sectorSize-1) != 0 {
		return nil, errors.New("gpt: invalid sector size " + strconv.Itoa(sectorSize) + ": want a power of two from 512 to 65536")
	}
	if sizeBytes < 0 {
		return nil, errors.New("gpt: invalid device size " + strconv.FormatInt(sizeBytes, 10))
	}
	ss := uint64(sectorSize)
	blocks := uint64(sizeBytes) / ss
	if blocks < minDiskBlocks {
		return nil, &isError{
			msg:    "gpt: device of " + strconv.FormatInt(sizeBytes, 10) + " bytes is too small for a GPT with " + strconv.Itoa(sectorSize) + "-byte sectors",
			target: ErrNoGPT,
		}
	}
	d := &disk{r: r, ss: ss, lastLBA: blocks - 1}

	pmbr, pmbrErr := d.readPMBR()

	primary := d.readTable(1, "primary")
	if primary.err == nil {
		primary.t.ProtectiveMBR = pmbr
		return primary.t, nil
	}
	if pmbrErr != nil && primary.ioErr {
		// LBA 0 and 1 share a page: name the first read that failed.
		primary.err = pmbrErr
	}

	cands := []uint64{d.lastLBA}
	if primary.altTrusted && primary.alt != d.lastLBA && primary.alt > 1 && primary.alt <= d.lastLBA {
		cands = []uint64{primary.alt, d.lastLBA}
	}
	var backupErrs []error
	for _, lba := range cands {
		b := d.readTable(lba, "backup")
		if b.err == nil {
			b.t.ProtectiveMBR = pmbr
			b.t.FromBackup = true
			b.t.PrimaryErr = primary.err
			return b.t, nil
		}
		backupErrs = append(backupErrs, b.err)
		if b.ioErr {
			break
		}
	}
	return nil, &tableError{primary: primary.err, backups: backupErrs}
}

// probeBytes is what ProbeSectorSize reads: the header of a 4096-byte-sector
// disk starts at byte 4096.
const probeBytes = 2 * 4096

// ProbeSectorSize guesses the logical block size of a disk image file the
// way systemd's probe_sector_size does (dps.md §1.1): it reads the first 8 KiB
// and, for each of 512, 1024, 2048 and 4096, looks at byte offset size for a
// header with signature "EFI PART", revision 1.0, 92 <= HeaderSize <= 4096
// and MyLBA == 1 (CRCs are not checked). It returns the one size that
// matches, 512 if none does or the image is shorter than 8 KiB, and an error
// matching ErrAmbiguousSectorSize if several match.
//
// Use the device's own logical block size (BLKSSZGET) for block devices.
func ProbeSectorSize(r io.ReaderAt, sizeBytes int64) (int, error) {
	if sizeBytes < probeBytes {
		return minSectorSize, nil
	}
	buf := make([]byte, probeBytes)
	if err := readFull(r, buf, 0); err != nil {
		return 0, fmt.Errorf("gpt: probe sector size: read first %d bytes: %w", probeBytes, err)
	}
	var found []int
	for sz := minSectorSize; sz <= 4096; sz <<= 1 {
		h := buf[sz : sz+headerSize]
		hs := binary.LittleEndian.Uint32(h[hdrHeaderSize:])
		if string(h[:8]) == signature && binary.LittleEndian.Uint32(h[hdrRevision:]) == revision &&
			hs >= headerSize && hs <= 4096 && binary.LittleEndian.Uint64(h[hdrMyLBA:]) == 1 {
			found = append(found, sz)
		}
	}
	switch len(found) {
	case 0:
		return minSectorSize, nil
	case 1:
		return found[0], nil
	}
	msg := "gpt: GPT headers found for sector sizes "
	for i, sz := range found {
		if i > 0 {
			msg += " and "
		}
		msg += strconv.Itoa(sz)
	}
	return 0, &isError{msg: msg, target: ErrAmbiguousSectorSize}
}

// disk is the device being read.
type disk struct {
	r       io.ReaderAt
	ss      uint64 // logical block size in bytes
	lastLBA uint64 // last addressable LBA: size/ss - 1
}

// readFull reads exactly len(p) bytes at off. A short read is
// io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *disk) read(p []byte, off int64, what string) error {
	if err := readFull(d.r, p, off); err != nil {
		return fmt.Errorf("gpt: read %s at byte %#x: %w", what, off, err)
	}
	return nil
}

// readPMBR reports whether LBA 0 holds a protective (or hybrid) MBR by the
// kernel's rule (is_pmbr_valid): signature 0xAA55 and a record of type 0xEE
// whose starting LBA is 1. The size field is not checked: the kernel only
// logs a mismatch, so that images can be copied to larger disks.
func (d *disk) readPMBR() (bool, error) {
	var mbr [mbrSize]byte
	if err := d.read(mbr[:], 0, "protective MBR"); err != nil {
		return false, err
	}
	if mbr[510] != 0x55 || mbr[511] != 0xaa {
		return false, nil
	}
	for i := 0; i < 4; i++ {
		rec := mbr[446+16*i : 446+16*(i+1)]
		if rec[4] == 0xee && binary.LittleEndian.Uint32(rec[8:]) == 1 {
			return true, nil
		}
	}
	return false, nil
}

// tableResult is the outcome of reading one header and its entry array.
type tableResult struct {
	t          *Table
	alt        uint64 // the header's AlternateLBA
	altTrusted bool   // the header passed its own checks, so alt can be used
	err        error
	ioErr      bool // err is an I/O error, not a *FormatError
}

// readTable reads and validates the header at lba and its entry array.
// which is "primary" or "backup".
func (d *disk) readTable(lba uint64, which string) tableResult {
	buf := make([]byte, d.ss)
	off := int64(lba * d.ss) // lba <= lastLBA, so this is within the device
	if err := d.read(buf, off, which+" header"); err != nil {
		return tableResult{err: err, ioErr: true}
	}
	h, trusted, ferr := d.parseHeader(buf, lba, which)
	if ferr != nil {
		res := tableResult{err: ferr}
		if trusted {
			res.alt, res.altTrusted = h.altLBA, true
		}
		return res
	}
	res := tableResult{alt: h.altLBA, altTrusted: true}
	parts, ioErr, err := d.readEntries(&h, which)
	if err != nil {
		res.err, res.ioErr = err, ioErr
		return res
	}
	res.t = &Table{
		SectorSize:     int(d.ss),
		DiskGUID:       h.diskGUID,
		FirstUsableLBA: h.firstUsable,
		LastUsableLBA:  h.lastUsable,
		Partitions:     parts,
	}
	return res
}
