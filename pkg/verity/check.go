package verity

import (
	"bytes"
	"fmt"
	"io"
)

// CheckRootHash reads the top-level block of p's hash tree from the hash
// device and checks that it hashes to rootHash. It reads one hash block and
// needs no data device, so an init can refuse a wrong root hash before it
// loads the table: the kernel accepts any root hash and only fails reads.
// It does not check the superblock (see Superblock.CheckParams) nor any
// other block; only Verify checks everything.
//
// A mismatch matches ErrRootHashMismatch: either rootHash is wrong or the
// top-level block is damaged, which one block cannot tell apart. A tree of a
// single data block has no hash blocks (its root hash is the hash of the
// data block), so it gives an error matching ErrInvalidParams.
func CheckRootHash(hash io.ReaderAt, p Params, rootHash []byte) error {
	l, err := p.layout()
	if err != nil {
		return err
	}
	if len(rootHash) != l.digest {
		return invalid("root hash of %d bytes for %s, want %d", len(rootHash), p.Algorithm, l.digest)
	}
	if len(l.levels) == 0 {
		return invalid("a single data block has no hash tree to check the root hash against")
	}
	off := int64(l.levels[len(l.levels)-1].start * uint64(p.HashBlockSize))
	top := make([]byte, p.HashBlockSize)
	if err := readFull(hash, top, off); err != nil {
		return fmt.Errorf("verity: read top-level hash block at byte %#x of the hash device: %w", off, err)
	}
	got := make([]byte, l.digest)
	newHasher(&p).sum(got, top)
	if !bytes.Equal(got, rootHash) {
		return &rootHashError{what: "top-level hash block", device: "hash", offset: off, got: got, want: bytes.Clone(rootHash)}
	}
	return nil
}

// CheckDataBlock checks that block is data block n of tree p by its digest
// in level 0 on hash, and returns a *CorruptionError if it is not. It trusts
// the level-0 block it reads: call it once Verify has checked the tree (it
// lets a repair tell which blocks of a group are the bad ones). A tree of a
// single data block has no level 0; use CheckRootHash.
func (p Params) CheckDataBlock(hash io.ReaderAt, n uint64, block []byte) error {
	l, err := p.layout()
	if err != nil {
		return err
	}
	switch {
	case len(l.levels) == 0:
		return invalid("a tree of one data block has no level 0")
	case n >= p.DataBlocks:
		return invalid("data block %d of %d", n, p.DataBlocks)
	case len(block) != int(p.DataBlockSize):
		return invalid("data block of %d bytes, want %d", len(block), p.DataBlockSize)
	}
	hb := uint64(p.HashBlockSize)
	entries := make([]byte, hb)
	off := int64((l.levels[0].start + n/l.hpb) * hb)
	if err := readFull(hash, entries, off); err != nil {
		return ioErr("read", "hash", off, err)
	}
	o := l.entry(&p, n%l.hpb)
	got := make([]byte, l.digest)
	newHasher(&p).sum(got, block)
	if !bytes.Equal(got, entries[o:o+uint64(l.digest)]) {
		return &CorruptionError{Device: "data", Level: -1, Block: n, Offset: int64(n * uint64(p.DataBlockSize))}
	}
	return nil
}
