package verity

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/verinit/verinit/internal/formaterr"
)

// ErrNoSuperblock is matched (with errors.Is) by the error ParseSuperblock
// returns when the bytes do not start with the "verity\0\0" signature.
var ErrNoSuperblock = errors.New("verity: no verity superblock")

// ErrSuperblockMismatch is matched (with errors.Is) by the *FormatError that
// Superblock.CheckParams and Verify return when a superblock on the hash
// device does not describe the given Params (other salt, algorithm, block
// sizes, block count, hash type or UUID).
var ErrSuperblockMismatch = errors.New("verity: superblock does not match the parameters")

// ErrInvalidParams is matched (with errors.Is) by the errors of
// Params.Validate, of the Parse helpers and of every function that takes
// Params, a root hash or table options that break a rule of the format.
var ErrInvalidParams = errors.New("verity: invalid parameters")

// ErrRootHashMismatch is matched (with errors.Is) by the error CheckRootHash
// and Verify return when the top-level hash block (or, for a single data
// block, that block) does not hash to the given root hash. Verify returns it
// alone when the whole tree is consistent with the data, that is when the
// root hash itself is what is wrong.
var ErrRootHashMismatch = errors.New("verity: root hash mismatch")

// A FormatError reports invalid superblock content: a field whose value
// breaks a rule of the veritysetup superblock format or of this package's
// bounds, or that differs from the expected Params. Its Error text names the
// rule, the byte offset and the values, e.g.
//
//	verity: superblock: unsupported hash type at byte 0xc: got 7, want 0 or 1
//
// Offset counts from the start of the bytes given to ParseSuperblock; for a
// superblock read by Verify it counts from the start of the hash device.
type FormatError struct {
	Offset int64  // byte offset of the offending field
	Field  string // field name as in cryptsetup's struct verity_sb, in Go case, e.g. "HashType"
	Value  any    // the value found, or nil
	Msg    string // what is wrong

	want any   // the value or bound that was expected, or nil
	err  error // sentinel this error matches with errors.Is, or nil
}

// Error returns a one-line description: what is wrong, where, and the value
// found compared with the one wanted.
func (e *FormatError) Error() string {
	return formaterr.Text{
		Pkg: "verity", Msg: e.Msg, Offset: e.Offset,
		Value: value(e.Field, e.Value), Want: value(e.Field, e.want), Hex: e.Field == "Signature",
	}.String()
}

// Unwrap returns the sentinel error this error stands for (ErrNoSuperblock,
// ErrSuperblockMismatch), or nil.
func (e *FormatError) Unwrap() error { return e.err }

// value returns v as FormatError shows it: a salt or UUID in hex, as
// veritysetup prints them, and "-" for an empty one.
func value(field string, v any) any {
	if b, ok := v.([]byte); ok && (field == "Salt" || field == "UUID") {
		if len(b) == 0 {
			return "-"
		}
		return hex.EncodeToString(b)
	}
	return v
}

// A CorruptionError reports the first block that does not match the hash
// tree, as found by Verify. Hash-tree blocks are checked from the top level
// down before any data block, so a damaged hash block is reported as itself,
// not as the data blocks below it; within a level the lowest index wins.
type CorruptionError struct {
	Device string // "data" or "hash": the device that holds the bad block
	Level  int    // -1 for a data block, else the hash-tree level (0 holds the digests of the data blocks)
	Block  uint64 // index of the block: the data block number, or the block's index within its level
	Offset int64  // byte offset of the block on Device

	padding      int64 // > 0: absolute offset of a non-zero byte in the block's unused area
	rootMismatch bool  // the root hash does not match either
}

// Error returns a one-line description of the bad block, e.g.
//
//	verity: data block 1234 (byte 0x4d2000 of the data device) does not match its hash
func (e *CorruptionError) Error() string {
	var b strings.Builder
	b.WriteString("verity: ")
	if e.Level < 0 {
		b.WriteString("data block ")
		b.WriteString(strconv.FormatUint(e.Block, 10))
	} else {
		b.WriteString("hash block ")
		b.WriteString(strconv.FormatUint(e.Block, 10))
		b.WriteString(" of level ")
		b.WriteString(strconv.Itoa(e.Level))
	}
	b.WriteString(" (byte 0x")
	b.WriteString(strconv.FormatInt(e.Offset, 16))
	b.WriteString(" of the ")
	b.WriteString(e.Device)
	b.WriteString(" device)")
	if e.padding > 0 {
		b.WriteString(" has a non-zero byte in its unused area at byte 0x")
		b.WriteString(strconv.FormatInt(e.padding, 16))
	} else {
		b.WriteString(" does not match its hash")
	}
	if e.rootMismatch {
		b.WriteString("; the root hash does not match either")
	}
	return b.String()
}

// Unwrap returns ErrRootHashMismatch when the root hash does not match the
// tree either (two independent faults), or nil.
func (e *CorruptionError) Unwrap() error {
	if e.rootMismatch {
		return ErrRootHashMismatch
	}
	return nil
}

// rootHashError reports a top-level block (or single data block) whose hash
// is not the expected root hash.
type rootHashError struct {
	what      string // "top-level hash block", "data block 0"
	device    string
	offset    int64
	got, want []byte
	treeOK    bool // Verify found the rest of the tree consistent with the data
}

func (e *rootHashError) Error() string {
	var b strings.Builder
	b.WriteString("verity: root hash mismatch: ")
	if e.treeOK {
		b.WriteString("the hash tree matches the data, but its ")
	} else {
		b.WriteString("the ")
	}
	b.WriteString(e.what)
	b.WriteString(" (byte 0x")
	b.WriteString(strconv.FormatInt(e.offset, 16))
	b.WriteString(" of the ")
	b.WriteString(e.device)
	b.WriteString(" device) hashes to ")
	b.WriteString(hex.EncodeToString(e.got))
	b.WriteString(", not to the root hash ")
	b.WriteString(hex.EncodeToString(e.want))
	return b.String()
}

func (e *rootHashError) Unwrap() error { return ErrRootHashMismatch }

// invalid returns an error matching ErrInvalidParams whose text is
// "verity: invalid parameters: " followed by the formatted message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, args...))
}
