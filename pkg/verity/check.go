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
