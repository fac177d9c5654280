package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/u-root/u-root/pkg/cpio"
)

// Bounds for reading an archive back. An archive is untrusted input here (a
// file handed to verinit initramfs --list), so every count and size it
// states is checked before it sizes anything.
const (
	// MaxEntries bounds the records List returns (a Debian initramfs has
	// a few thousand), and so the memory List takes: u-root's reader
	// allocates about 1.1 KiB per record.
	MaxEntries = 1 << 16
	// maxNameBytes is the kernel's bound: init/initramfs.c skips a record
	// whose name (with its NUL) is longer than PATH_MAX.
	maxNameBytes = 4096
	// newcHeaderBytes is the magic and 13 eight-digit hex fields.
	newcHeaderBytes = 110
	// namesizeOffset is where c_namesize starts in the header.
	namesizeOffset = 6 + 11*8
)

// ErrMalformed is matched (with errors.Is) by every content error of List
// and Decompress.
var ErrMalformed = errors.New("initramfs: malformed archive")

// A FormatError reports invalid archive content at a byte offset of the
// (uncompressed) archive.
type FormatError struct {
	Offset int64  // byte offset of the record or field
	Field  string // newc header field, e.g. "c_namesize", or "" for the record
	Value  any    // the value found, or nil
	Msg    string // what is wrong
}

// Error returns a one-line description.
func (e *FormatError) Error() string {
	s := "initramfs: " + e.Msg + " at byte " + strconv.FormatInt(e.Offset, 10)
	if e.Field != "" && e.Value != nil {
		s += fmt.Sprintf(": %s %v", e.Field, e.Value)
	}
	return s
}

// Unwrap makes every FormatError match ErrMalformed.
func (e *FormatError) Unwrap() error { return ErrMalformed }

// Entry is one record of a newc archive read back by List.
type Entry struct {
	cpio.Info        // Name as u-root normalises it: no leading slash
	DataOffset int64 // the contents are FileSize bytes from here in the archive
}

// List reads the records of the uncompressed newc archive of size bytes in
// r, up to its trailer (which it does not return). It parses with u-root's
// newc reader, after checking the two sizes that reader trusts: a name
// longer than the kernel accepts (the reader allocates the stated length),
// and contents past the end of the archive. It returns at most MaxEntries
// entries. Bytes after the trailer (padding, or further archives the kernel
// would also unpack) are not read.
func List(r io.ReaderAt, size int64) ([]Entry, error) {
	if size < 0 {
		return nil, &FormatError{Msg: "negative archive size", Field: "size", Value: size}
	}
	sr := io.NewSectionReader(r, 0, size)
	rr := cpio.Newc.Reader(sr)
	if eof, ok := rr.(cpio.EOFReader); ok {
		rr = eof.RecordReader // see the trailer as a record, so that its absence is an error
	}
	var out []Entry
	var hdr [newcHeaderBytes]byte
	for pos := int64(0); ; {
		if len(out) == MaxEntries {
			return nil, &FormatError{Offset: pos, Msg: fmt.Sprintf("more than %d records", MaxEntries)}
		}
		if pos+newcHeaderBytes > size {
			return nil, &FormatError{Offset: min(pos, size), Msg: "no trailer: archive ends before the next header"}
		}
		if _, err := sr.ReadAt(hdr[:], pos); err != nil {
			return nil, fmt.Errorf("initramfs: read header at byte %d: %w", pos, err)
		}
		// The reader allocates c_namesize bytes before reading them: check it
		// first. A field that is not hex is left to the reader to report.
		if n, err := strconv.ParseUint(string(hdr[namesizeOffset:namesizeOffset+8]), 16, 32); err == nil && n > maxNameBytes {
			return nil, &FormatError{Offset: pos + namesizeOffset, Field: "c_namesize", Value: n, Msg: fmt.Sprintf("name longer than %d bytes", maxNameBytes)}
		}
		rec, err := rr.ReadRecord()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, &FormatError{Offset: pos, Msg: "no trailer: archive ends inside a record"}
			}
			return nil, &FormatError{Offset: pos, Msg: "bad record: " + oneLine(err)}
		}
		if rec.RecPos != pos {
			return nil, &FormatError{Offset: pos, Msg: fmt.Sprintf("reader at byte %d", rec.RecPos)} // a programmer bug: our position is the reader's
		}
		if rec.Name == cpio.Trailer {
			return out, nil
		}
		end := rec.FilePos + int64(rec.FileSize) // FileSize is a 32-bit field: no overflow
		if end > size {
			return nil, &FormatError{Offset: pos, Field: "c_filesize", Value: rec.FileSize, Msg: fmt.Sprintf("%q: contents past the end of the archive (%d bytes)", rec.Name, size)}
		}
		out = append(out, Entry{Info: rec.Info, DataOffset: rec.FilePos})
		pos = (end + 3) &^ 3
	}
}

// oneLine keeps the first line of a library's error text.
func oneLine(err error) string {
	s := err.Error()
	if i := bytes.IndexAny([]byte(s), "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Compression magics, as the kernel's decompressors recognise them.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	newcMagic = []byte("070701")
)

// Decompress returns the uncompressed archive in b (gzip, zstd, xz or an
// uncompressed newc archive, told apart by their magic as the kernel does)
// and the compression name. It stops with an error once the archive would
// exceed maxBytes, so a small hostile file cannot make it allocate more
// than a few times maxBytes; the one exception is xz, whose decoder
// allocates the dictionary a block header states (up to 4 GiB) and offers
// no bound.
func Decompress(b []byte, maxBytes int64) ([]byte, string, error) {
	var zr io.Reader = bytes.NewReader(b)
	var method string
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		method = CompressionGzip
	case bytes.HasPrefix(b, zstdMagic):
		method = CompressionZstd
	case bytes.HasPrefix(b, xzMagic):
		method = CompressionXZ
	case bytes.HasPrefix(b, newcMagic):
		method = CompressionNone
	default:
		return nil, "", &FormatError{Field: "magic", Value: fmt.Sprintf("%x", b[:min(len(b), 6)]), Msg: "neither a newc archive nor gzip, zstd or xz"}
	}
	if method != CompressionNone {
		// The kernel's unzstd accepts windows up to 128 MiB.
		d, release, err := newDecompressor(method, zr, uint64(max(maxBytes, 1)), uint64(min(max(maxBytes, 1<<10), 128<<20)))
		if err != nil {
			return nil, "", &FormatError{Msg: method + ": " + oneLine(err)}
		}
		defer release()
		zr = d
	}
	var buf bytes.Buffer
	m, err := buf.ReadFrom(io.LimitReader(zr, maxBytes+1))
	if m > maxBytes {
		return nil, "", &FormatError{Offset: maxBytes, Msg: fmt.Sprintf("%s: more than %d bytes uncompressed", method, maxBytes)}
	}
	if err != nil {
		return nil, "", &FormatError{Offset: m, Msg: method + ": " + oneLine(err)}
	}
	return buf.Bytes(), method, nil
}
