package fec

import (
	"errors"
	"fmt"
	"math"
)

// Limits of the code. cryptsetup checks the roots in VERITY_FEC_validate
// (lib/verity/verity_fec.c: FEC_RSM, FEC_MIN_RSN, FEC_MAX_RSN) and the kernel
// in verity_fec_parse_opt_args (drivers/md/dm-verity-fec.c:
// DM_VERITY_FEC_RSM, DM_VERITY_FEC_MIN_RSN, DM_VERITY_FEC_MAX_RSN).
const (
	// CodewordSize is the length of a Reed-Solomon codeword over GF(2^8):
	// 255 bytes, of which Roots are parity and the rest input.
	CodewordSize = 255

	// MinRoots and MaxRoots bound Params.Roots: 255-253 and 255-231.
	MinRoots = 2
	MaxRoots = 24

	// DefaultRoots is veritysetup's --fec-roots default
	// (DEFAULT_VERITY_FEC_ROOTS).
	DefaultRoots = 2

	// DefaultBlockSize is veritysetup's default data and hash block size.
	DefaultBlockSize = 4096

	// MinBlockSize and MaxBlockSize bound Params.BlockSize, which must also
	// be a power of two. cryptsetup accepts up to 512 KiB, but the kernel
	// refuses data blocks larger than a page, so this package, like
	// pkg/verity, stops at 64 KiB.
	MinBlockSize = 512
	MaxBlockSize = 65536
)

// ErrInvalidParams is matched (with errors.Is) by every error that reports
// invalid Params, a Layout that cryptsetup would not produce, or arguments
// out of range.
var ErrInvalidParams = errors.New("fec: invalid parameters")

// Params are the settings of the code. The zero value is veritysetup's
// default: 2 roots and 4096-byte blocks.
type Params struct {
	// Roots is the number of parity bytes per codeword: veritysetup's
	// --fec-roots and the table's fec_roots, MinRoots to MaxRoots, or 0
	// for DefaultRoots. Each codeword protects 255-Roots input bytes, so
	// the parity is about Roots/(255-Roots) of the input.
	Roots int

	// BlockSize is the data block size in bytes (--data-block-size, the
	// table's data_block_size): a power of two from MinBlockSize to
	// MaxBlockSize, or 0 for DefaultBlockSize. cryptsetup and the kernel
	// refuse FEC unless the hash block size is the same, so it is the unit
	// of the hash device too.
	BlockSize int
}

// Validate reports whether p is a code that veritysetup and the kernel
// accept. The error matches ErrInvalidParams.
func (p Params) Validate() error {
	_, err := p.normalize()
	return err
}

// normalize returns p with the defaults filled in, or an error.
func (p Params) normalize() (Params, error) {
	if p.Roots == 0 {
		p.Roots = DefaultRoots
	}
	if p.BlockSize == 0 {
		p.BlockSize = DefaultBlockSize
	}
	if p.Roots < MinRoots || p.Roots > MaxRoots {
		return p, invalid("roots %d: want %d to %d", p.Roots, MinRoots, MaxRoots)
	}
	if p.BlockSize < MinBlockSize || p.BlockSize > MaxBlockSize || p.BlockSize&(p.BlockSize-1) != 0 {
		return p, invalid("block size %d: want a power of two from %d to %d", p.BlockSize, MinBlockSize, MaxBlockSize)
	}
	return p, nil
}

// inputBytes is the number of input bytes in one codeword (the kernel's
// and cryptsetup's rsn).
func (p Params) inputBytes() int { return CodewordSize - p.Roots }

// Rounds returns how many rounds cover blocks input blocks: the blocks of
// one codeword lie Rounds blocks apart, and block b is in round b%Rounds.
// Roots is taken with its default when 0.
func (p Params) Rounds(blocks uint64) uint64 {
	if p.Roots == 0 {
		p.Roots = DefaultRoots
	}
	return p.rounds(blocks)
}

// rounds returns ceil(blocks / rsn): the number of rounds that cover blocks
// input blocks, each round being BlockSize codewords.
func (p Params) rounds(blocks uint64) uint64 {
	n := uint64(p.inputBytes())
	return blocks/n + min(blocks%n, 1)
}

// ParityBlocks returns the size of the parity, in blocks of BlockSize
// bytes, for blocks input blocks (normally Blocks of a Layout):
// ceil(blocks/(255-Roots)) * Roots, cryptsetup's VERITY_FEC_RS_blocks.
// This is the number that veritysetup format prints as "FEC blocks:"; it is
// not the table's fec_blocks, which is the size of the input. The error
// matches ErrInvalidParams.
func (p Params) ParityBlocks(blocks uint64) (uint64, error) {
	p, err := p.normalize()
	if err != nil {
		return 0, err
	}
	if err := p.checkInput(blocks); err != nil {
		return 0, err
	}
	return p.rounds(blocks) * uint64(p.Roots), nil
}

// checkInput reports whether blocks input blocks are encodable: at least
// one, and few enough that every byte offset of the input and of the
// parity fits in an int64. p must be normalized.
func (p Params) checkInput(blocks uint64) error {
	if blocks == 0 {
		return invalid("no input blocks")
	}
	bs := uint64(p.BlockSize)
	if blocks > math.MaxInt64/bs {
		return invalid("%d blocks of %d bytes overflow a 63-bit byte offset", blocks, bs)
	}
	return nil
}

// A Layout places the bytes that the parity covers, which the table's
// fec_blocks counts. cryptsetup (VERITY_FEC_process and VERITY_FEC_blocks
// in lib/verity/verity_fec.c) and the kernel (fec_read_bufs and
// verity_fec_ctr in drivers/md/dm-verity-fec.c) see them as one run of
// blocks of Params.BlockSize bytes:
//
//	data device blocks 0 .. DataBlocks-1
//	hash device blocks HashStartBlock .. HashEndBytes/BlockSize - 1
//
// The hash part is the tree and whatever follows it up to HashEndBytes.
// The superblock lies before HashStartBlock and is not covered (nor is the
// rest of its block), so veritysetup may write it after the parity.
type Layout struct {
	// DataBlocks is the table's num_data_blocks: the data device's blocks
	// from byte 0, as veritysetup format counts them (--data-blocks, or the
	// data device size divided by the block size).
	DataBlocks uint64

	// HashStartBlock is the table's hash_start_block, the block of the hash
	// device that holds the top level of the tree: with a superblock at
	// byte offset H (--hash-offset, 0 by default) it is
	// (H + 512 + BlockSize - 1) / BlockSize, and without one (--no-superblock)
	// H / BlockSize (VERITY_hash_offset_block in lib/verity/verity.c).
	// When data and hash share a device, H lies past the data.
	HashStartBlock uint64

	// HashEndBytes is the byte offset on the hash device where the covered
	// area ends, rounded down to a block by Blocks. When the parity is on
	// another device it is the hash device's size when veritysetup
	// computed the parity, just after writing the tree (for a new hash
	// file, the end of the tree); when the parity is on the hash device
	// (--fec-device equal to the hash device) it is the parity's offset,
	// --fec-offset. A hash device larger than the tree puts its extra
	// content under the parity too: the kernel allows such "metadata"
	// after the hash blocks (verity_fec_ctr).
	HashEndBytes uint64
}

// Blocks returns the table's fec_blocks for l: the number of blocks that
// the parity covers, DataBlocks plus the hash device's blocks from
// HashStartBlock up to HashEndBytes (VERITY_FEC_blocks). As in cryptsetup,
// a hash device shorter than one block (a single data block has no tree)
// contributes no blocks. The error matches ErrInvalidParams.
func (p Params) Blocks(l Layout) (uint64, error) {
	p, err := p.normalize()
	if err != nil {
		return 0, err
	}
	if l.DataBlocks == 0 {
		return 0, invalid("no data blocks")
	}
	bs := uint64(p.BlockSize)
	end := l.HashEndBytes / bs
	var hash uint64
	if end > 0 {
		// cryptsetup subtracts without a check and would then read far past
		// the device; refuse instead.
		if end < l.HashStartBlock {
			return 0, invalid("hash area ends at block %d, before its start at block %d", end, l.HashStartBlock)
		}
		hash = end - l.HashStartBlock
	}
	if l.DataBlocks > math.MaxUint64-hash {
		return 0, invalid("%d data blocks and %d hash blocks overflow", l.DataBlocks, hash)
	}
	blocks := l.DataBlocks + hash
	if err := p.checkInput(blocks); err != nil {
		return 0, err
	}
	return blocks, nil
}

// paramError is an invalid-parameter error: its text is "fec: " and the
// message, and it matches ErrInvalidParams.
type paramError struct{ msg string }

func (e *paramError) Error() string        { return "fec: " + e.msg }
func (e *paramError) Is(target error) bool { return target == ErrInvalidParams }

func invalid(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}
