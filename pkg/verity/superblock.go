package verity

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Superblock field offsets: struct verity_sb in cryptsetup's
// lib/verity/verity.c (packed, little-endian).
const (
	signature = "verity\x00\x00"

	sbSignature     = 0   // [8]byte "verity\0\0"
	sbVersion       = 8   // u32, superblock version, 1
	sbHashType      = 12  // u32, 0 (Chrome OS) or 1
	sbUUID          = 16  // [16]byte
	sbAlgorithm     = 32  // [32]byte, NUL-terminated lower-case name
	sbDataBlockSize = 64  // u32
	sbHashBlockSize = 68  // u32
	sbDataBlocks    = 72  // u64
	sbSaltSize      = 80  // u16
	sbPad1          = 82  // [6]byte
	sbSalt          = 88  // [256]byte
	sbPad2          = 344 // [168]byte, to 512
)

// A Superblock is the 512-byte header veritysetup format writes at the hash
// offset of the hash device. The kernel never reads it: its values are only
// as trustworthy as the hash device, so an init must compare them with
// trusted Params (CheckParams) rather than use them.
type Superblock struct {
	Version       uint32   // superblock version; always 1
	HashType      uint32   // hash format: 0 or 1, the table's <version>
	UUID          [16]byte // RFC 4122 byte order, as uuid_parse stores it
	Algorithm     string   // "sha1", "sha256" or "sha512"
	DataBlockSize uint32   // bytes
	HashBlockSize uint32   // bytes
	DataBlocks    uint64   // number of data blocks
	Salt          []byte   // at most MaxSaltSize bytes; empty for no salt

	off int64 // byte offset of the superblock, added to FormatError offsets
}

// ParseSuperblock decodes and validates a superblock from the first
// SuperblockSize bytes of b. It is stricter than cryptsetup's VERITY_read_sb:
// besides the signature, version 1, hash type 0 or 1, power-of-two block
// sizes and a salt size of at most 256, it requires a supported algorithm
// in lower case, block sizes of at most MaxBlockSize, at least one data block
// whose byte size fits in an int64, and zeros in every unused byte (the NUL
// padding of the algorithm name, the rest of the salt field and the two
// padding fields), which veritysetup always writes. Errors are
// *FormatError; a missing signature matches ErrNoSuperblock.
func ParseSuperblock(b []byte) (*Superblock, error) {
	sb, err := parseSuperblock(b, 0)
	if err != nil {
		return nil, err
	}
	return sb, nil
}

func parseSuperblock(b []byte, off int64) (*Superblock, *FormatError) {
	fe := func(at int, field string, value, want any, msg string) *FormatError {
		return &FormatError{Offset: off + int64(at), Field: field, Value: value, Msg: "superblock: " + msg, want: want}
	}
	if len(b) < SuperblockSize {
		return nil, &FormatError{Offset: off + int64(len(b)), Msg: "superblock: short superblock of " + strconv.Itoa(len(b)) + " bytes, want 512", err: ErrNoSuperblock}
	}
	b = b[:SuperblockSize]
	if string(b[sbSignature:sbSignature+8]) != signature {
		e := fe(sbSignature, "Signature", slices.Clone(b[:8]), nil, `no "verity\x00\x00" signature`)
		e.err = ErrNoSuperblock
		return nil, e
	}
	sb := &Superblock{
		Version:       binary.LittleEndian.Uint32(b[sbVersion:]),
		HashType:      binary.LittleEndian.Uint32(b[sbHashType:]),
		DataBlockSize: binary.LittleEndian.Uint32(b[sbDataBlockSize:]),
		HashBlockSize: binary.LittleEndian.Uint32(b[sbHashBlockSize:]),
		DataBlocks:    binary.LittleEndian.Uint64(b[sbDataBlocks:]),
		off:           off,
	}
	copy(sb.UUID[:], b[sbUUID:sbUUID+16])

	alg := b[sbAlgorithm : sbAlgorithm+32]
	nul := bytes.IndexByte(alg, 0)
	if nul < 0 {
		// cryptsetup writes at most 31 characters and a NUL.
		return nil, fe(sbAlgorithm, "Algorithm", slices.Clone(alg), nil, "algorithm name not NUL-terminated")
	}
	sb.Algorithm = string(alg[:nul])
	if e := sb.check(); e != nil {
		return nil, e
	}
	if i := nonZero(alg[nul:]); i >= 0 {
		return nil, fe(sbAlgorithm+nul+i, "Algorithm", slices.Clone(alg), nil, "non-zero byte after the algorithm name")
	}
	saltSize := binary.LittleEndian.Uint16(b[sbSaltSize:])
	if saltSize > MaxSaltSize {
		return nil, fe(sbSaltSize, "SaltSize", saltSize, uint16(MaxSaltSize), "salt size too large")
	}
	if i := nonZero(b[sbPad1:sbSalt]); i >= 0 {
		return nil, fe(sbPad1+i, "Pad1", b[sbPad1+i], uint8(0), "non-zero padding")
	}
	salt := b[sbSalt : sbSalt+MaxSaltSize]
	if i := nonZero(salt[saltSize:]); i >= 0 {
		at := sbSalt + int(saltSize) + i
		return nil, fe(at, "Salt", b[at], uint8(0), "non-zero byte after the salt")
	}
	if i := nonZero(b[sbPad2:]); i >= 0 {
		return nil, fe(sbPad2+i, "Pad2", b[sbPad2+i], uint8(0), "non-zero padding")
	}
	if saltSize > 0 {
		sb.Salt = slices.Clone(salt[:saltSize])
	}
	return sb, nil
}

// check validates the decoded fields of sb; it is shared by parsing and
// MarshalBinary.
func (sb *Superblock) check() *FormatError {
	fe := func(at int, field string, value, want any, msg string) *FormatError {
		return &FormatError{Offset: sb.off + int64(at), Field: field, Value: value, Msg: "superblock: " + msg, want: want}
	}
	if sb.Version != 1 {
		return fe(sbVersion, "Version", sb.Version, uint32(1), "unsupported superblock version")
	}
	if sb.HashType > 1 {
		return fe(sbHashType, "HashType", sb.HashType, "0 or 1", "unsupported hash type")
	}
	if digestSize(sb.Algorithm) == 0 {
		return fe(sbAlgorithm, "Algorithm", strconv.Quote(sb.Algorithm), "sha1, sha256 or sha512", "unsupported hash algorithm")
	}
	if !validBlockSize(sb.DataBlockSize) {
		return fe(sbDataBlockSize, "DataBlockSize", sb.DataBlockSize, "a power of two from 512 to 65536", "invalid data block size")
	}
	if !validBlockSize(sb.HashBlockSize) {
		return fe(sbHashBlockSize, "HashBlockSize", sb.HashBlockSize, "a power of two from 512 to 65536", "invalid hash block size")
	}
	if sb.DataBlocks == 0 {
		return fe(sbDataBlocks, "DataBlocks", sb.DataBlocks, ">= 1", "no data blocks")
	}
	if sb.DataBlocks > math.MaxInt64/uint64(sb.DataBlockSize) {
		return fe(sbDataBlocks, "DataBlocks", sb.DataBlocks, "<= "+strconv.FormatUint(math.MaxInt64/uint64(sb.DataBlockSize), 10), "data size overflows a 63-bit byte offset")
	}
	if len(sb.Salt) > MaxSaltSize {
		return fe(sbSaltSize, "SaltSize", uint64(len(sb.Salt)), uint16(MaxSaltSize), "salt size too large")
	}
	return nil
}

// MarshalBinary encodes sb as the 512 bytes veritysetup writes, after the
// same checks as ParseSuperblock (the errors are *FormatError with offsets
// into the encoding), so that ParseSuperblock accepts the result.
func (sb *Superblock) MarshalBinary() ([]byte, error) {
	s := *sb
	s.off = 0
	if e := s.check(); e != nil {
		return nil, e
	}
	b := make([]byte, SuperblockSize)
	copy(b[sbSignature:], signature)
	binary.LittleEndian.PutUint32(b[sbVersion:], s.Version)
	binary.LittleEndian.PutUint32(b[sbHashType:], s.HashType)
	copy(b[sbUUID:], s.UUID[:])
	copy(b[sbAlgorithm:sbAlgorithm+31], s.Algorithm)
	binary.LittleEndian.PutUint32(b[sbDataBlockSize:], s.DataBlockSize)
	binary.LittleEndian.PutUint32(b[sbHashBlockSize:], s.HashBlockSize)
	binary.LittleEndian.PutUint64(b[sbDataBlocks:], s.DataBlocks)
	binary.LittleEndian.PutUint16(b[sbSaltSize:], uint16(len(s.Salt)))
	copy(b[sbSalt:], s.Salt)
	return b, nil
}

// CheckDevice reports whether a data device of dataSizeBytes bytes holds all
// of sb's data blocks. The error is a *FormatError on the DataBlocks field.
func (sb *Superblock) CheckDevice(dataSizeBytes int64) error {
	if dataSizeBytes < 0 {
		return invalid("negative data device size %d", dataSizeBytes)
	}
	if sb.DataBlockSize == 0 {
		return invalid("data block size 0")
	}
	have := uint64(dataSizeBytes) / uint64(sb.DataBlockSize)
	if sb.DataBlocks > have {
		return &FormatError{
			Offset: sb.off + sbDataBlocks,
			Field:  "DataBlocks",
			Value:  sb.DataBlocks,
			Msg:    "superblock: data blocks extend past the end of the " + strconv.FormatInt(dataSizeBytes, 10) + "-byte data device",
			want:   "<= " + strconv.FormatUint(have, 10),
		}
	}
	return nil
}

// Params returns the parameters sb describes, for a superblock found at
// hashOffsetBytes on the hash device.
func (sb *Superblock) Params(hashOffsetBytes uint64) Params {
	return Params{
		HashType:        int(sb.HashType),
		Algorithm:       sb.Algorithm,
		DataBlockSize:   sb.DataBlockSize,
		HashBlockSize:   sb.HashBlockSize,
		DataBlocks:      sb.DataBlocks,
		Salt:            slices.Clone(sb.Salt),
		HashOffsetBytes: hashOffsetBytes,
		UUID:            sb.UUID,
	}
}

// CheckParams reports whether sb describes the tree of p: same hash type,
// algorithm, block sizes, data block count and salt, and the same UUID
// unless p.UUID is all zeros. An init that has the parameters from a trusted
// source uses it to refuse a hash device whose superblock says otherwise.
// The error is a *FormatError on the first differing field (Value from sb,
// the wanted value from p) that matches ErrSuperblockMismatch.
func (sb *Superblock) CheckParams(p Params) error {
	fe := func(at int, field string, value, want any) error {
		return &FormatError{
			Offset: sb.off + int64(at),
			Field:  field,
			Value:  value,
			Msg:    "superblock: " + field + " does not match the parameters",
			want:   want,
			err:    ErrSuperblockMismatch,
		}
	}
	switch {
	case p.HashType < 0 || uint64(p.HashType) != uint64(sb.HashType):
		return fe(sbHashType, "HashType", sb.HashType, p.HashType)
	case sb.Algorithm != p.Algorithm:
		return fe(sbAlgorithm, "Algorithm", sb.Algorithm, p.Algorithm)
	case sb.DataBlockSize != p.DataBlockSize:
		return fe(sbDataBlockSize, "DataBlockSize", sb.DataBlockSize, p.DataBlockSize)
	case sb.HashBlockSize != p.HashBlockSize:
		return fe(sbHashBlockSize, "HashBlockSize", sb.HashBlockSize, p.HashBlockSize)
	case sb.DataBlocks != p.DataBlocks:
		return fe(sbDataBlocks, "DataBlocks", sb.DataBlocks, p.DataBlocks)
	case !bytes.Equal(sb.Salt, p.Salt):
		return fe(sbSalt, "Salt", slices.Clone(sb.Salt), slices.Clone(p.Salt))
	case p.UUID != [16]byte{} && sb.UUID != p.UUID:
		return fe(sbUUID, "UUID", slices.Clone(sb.UUID[:]), slices.Clone(p.UUID[:]))
	}
	return nil
}

// readSuperblock reads and parses the superblock of p from the hash device.
func readSuperblock(hash io.ReaderAt, p *Params) (*Superblock, error) {
	var b [SuperblockSize]byte
	off := int64(p.HashOffsetBytes)
	if err := readFull(hash, b[:], off); err != nil {
		return nil, fmt.Errorf("verity: read superblock at byte %#x of the hash device: %w", off, err)
	}
	sb, fe := parseSuperblock(b[:], off)
	if fe != nil {
		return nil, fe
	}
	return sb, nil
}

// readFull reads len(b) bytes at off, turning a short read into
// io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func nonZero(b []byte) int {
	for i, c := range b {
		if c != 0 {
			return i
		}
	}
	return -1
}
