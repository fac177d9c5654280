// Package fsdetect identifies the file system on a block device from its
// superblock: squashfs, EROFS and ext2/3/4, the read-only and root file
// systems a verified root is expected to use.
//
// Superblock layouts follow the Linux kernel (fs/squashfs/squashfs_fs.h,
// fs/erofs/erofs_fs.h, fs/ext4/ext4.h). Detection and the reported UUID and
// label follow libblkid (libblkid/src/superblocks/{squashfs,erofs,ext}.c), so
// that Probe agrees with `blkid -p`, with two deliberate differences: a
// superblock whose magic matches but whose checksum or geometry is invalid is
// reported as a *FormatError instead of being skipped, and the ext "test_fs"
// flag (blkid's ext4dev) is reported as ext4, since the ext4 driver mounts it.
//
// Like the other parsers in this module, Probe reads from an io.ReaderAt
// whose size the caller gives, never opens paths, never logs, never panics on
// input, and bounds every read by a named constant and the device size.
package fsdetect

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/verinit/verinit/internal/formaterr"
)

// Type is a file system type name as blkid reports it in TYPE=.
type Type string

// The file system types Probe recognises.
const (
	Squashfs Type = "squashfs"
	EROFS    Type = "erofs"
	Ext4     Type = "ext4"
	Ext3     Type = "ext3"
	Ext2     Type = "ext2"
)

// KernelName returns the file system type to pass to mount(2): "ext4" for
// every ext type, since the ext4 driver mounts ext2 and ext3 as well and
// kernels are often built without the ext2 and ext3 drivers; the type itself
// for squashfs and erofs; and "" for an unknown type.
func (t Type) KernelName() string {
	switch t {
	case Ext2, Ext3, Ext4:
		return "ext4"
	case Squashfs, EROFS:
		return string(t)
	}
	return ""
}

// Info describes the file system Probe found.
type Info struct {
	Type Type
	// UUID is the file system UUID in lowercase 8-4-4-4-12 form, as blkid
	// prints UUID=; it is "" when the UUID is all zero and always "" for
	// squashfs, which has none.
	UUID string
	// Label is the volume name up to the first NUL byte with trailing
	// whitespace removed, as blkid reports LABEL=; it is "" when there is
	// none and always "" for squashfs. The bytes are returned as they are
	// on disk and need not be UTF-8.
	Label string
	// SizeBytes is how much of the device the file system says it uses
	// (squashfs bytes_used, erofs blocks, ext blocks_count times the
	// block size): where a hash tree appended after it can start.
	SizeBytes uint64
}

// ErrUnknown is returned (and matched by errors.Is) when no superblock of a
// known type is found.
var ErrUnknown = errors.New("fsdetect: no known file system superblock")

// ErrAmbiguous is matched (with errors.Is) by the error Probe returns when
// valid superblocks of more than one type are found, as blkid's safe probe
// refuses ambiguous results. Mounting either could be wrong.
var ErrAmbiguous = errors.New("fsdetect: superblocks of more than one file system type")

// A FormatError reports a superblock whose magic number matches but whose
// content is invalid: a bad checksum, an unsupported version or impossible
// geometry. Probe returns it when no other type matched. Its Error text
// reads like
//
//	fsdetect: erofs superblock: bad checksum at byte 0x404: got 0x1234, want 0x5678
type FormatError struct {
	Offset int64  // byte offset of the field from the start of the device
	Field  string // superblock field name as in the kernel headers, e.g. "s_checksum"
	Value  any    // the value found on disk, or nil
	Msg    string // what is wrong, prefixed with the superblock type

	want any // the value or bound that was expected, or nil
}

// Error returns a one-line description: what is wrong, where, and the value
// found compared with the one wanted.
func (e *FormatError) Error() string {
	hex := strings.Contains(e.Field, "checksum") || strings.Contains(e.Field, "feature")
	return formaterr.Text{Pkg: "fsdetect", Msg: e.Msg, Offset: e.Offset, Value: e.Value, Want: e.want, Hex: hex}.String()
}

// Limits on reads.
const (
	// headBytes is read first: it holds the squashfs superblock (at 0), the
	// EROFS and ext superblocks (at 1024) and, for EROFS with 4 KiB blocks,
	// the whole checksummed area.
	headBytes = 4096
	// maxEROFSBlockBits bounds the EROFS block size, and so the checksummed
	// area read, at 64 KiB (the largest page size Linux supports).
	maxEROFSBlockBits = 16
)

// Probe identifies the file system on a device of sizeBytes bytes. It returns
// ErrUnknown when no known superblock is found, an error matching
// ErrAmbiguous when superblocks of several types are valid, a *FormatError
// when a superblock's magic matches but its content is invalid, and I/O
// errors wrapped with the offset read.
func Probe(r io.ReaderAt, sizeBytes int64) (Info, error) {
	if sizeBytes < 0 {
		return Info{}, errors.New("fsdetect: invalid device size " + strconv.FormatInt(sizeBytes, 10))
	}
	head := make([]byte, min(sizeBytes, headBytes))
	if err := readAt(r, head, 0); err != nil {
		return Info{}, err
	}
	var (
		found    []Info
		firstErr error
	)
	for _, probe := range []func(io.ReaderAt, int64, []byte) (Info, bool, error){probeSquashfs, probeEROFS, probeExt} {
		info, ok, err := probe(r, sizeBytes, head)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				return Info{}, err // I/O error
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if ok {
			found = append(found, info)
		}
	}
	switch len(found) {
	case 0:
		if firstErr != nil {
			return Info{}, firstErr
		}
		return Info{}, ErrUnknown
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = string(f.Type)
	}
	return Info{}, &isError{msg: "fsdetect: superblocks of " + strings.Join(names, " and ") + " found", target: ErrAmbiguous}
}

// isError is an error with its own message that matches a sentinel.
type isError struct {
	msg    string
	target error
}

func (e *isError) Error() string        { return e.msg }
func (e *isError) Is(target error) bool { return target == e.target }

// readAt reads exactly len(p) bytes at off.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("fsdetect: read %d bytes at byte %#x: %w", len(p), off, err)
}

// formatUUID formats 16 bytes as blkid does (blkid_unparse_uuid): lowercase
// hex in byte order, dashes after bytes 4, 6, 8 and 10. An all-zero UUID is
// "", as blkid omits it.
func formatUUID(u []byte) string {
	if len(u) != 16 || [16]byte(u) == [16]byte{} {
		return ""
	}
	h := hex.EncodeToString(u)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// label returns a fixed-size volume name field the way blkid_probe_set_label
// does: up to the first NUL, without trailing C whitespace.
func label(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " \t\n\v\f\r")
}
