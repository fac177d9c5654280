package verity

import (
	"fmt"
	"io"
)

// Format computes the hash tree of the first p.DataBlocks blocks of data,
// writes it to hash and returns the root hash, like veritysetup format: the
// result is byte for byte what veritysetup writes to a new hash file given
// the same salt and UUID. Unless p.NoSuperblock it writes the superblock at
// p.HashOffsetBytes, followed by zeros up to the start of the tree, after
// the tree (so a readable superblock means a complete tree). Data and hash
// may be the same file if p.HashOffsetBytes lies past the data.
//
// The digests of the data blocks, nearly all of the work, are computed by
// up to workers goroutines (GOMAXPROCS if workers < 1), each on its own run
// of consecutive level-0 hash blocks; the upper levels, 1/128 of that or
// less, are computed afterwards. Memory use is about 0.5 MiB per goroutine
// plus the digests of the level-0 blocks and the blocks of level 1
// (together about DataBlocks/2 bytes for sha256 and 4 KiB blocks). Blocks of
// zeros are hashed like any other: veritysetup has no shortcut for them.
//
// Errors are those of Params.Validate, or I/O errors naming the device and
// offset.
func Format(data io.ReaderAt, hash io.WriterAt, p Params, workers int) (rootHash []byte, err error) {
	p.Salt = append([]byte(nil), p.Salt...) // not shared with the caller while goroutines run
	l, err := p.layout()
	if err != nil {
		return nil, err
	}
	if err := probeData(data, &p); err != nil {
		return nil, err
	}
	db, hb := uint64(p.DataBlockSize), uint64(p.HashBlockSize)
	d := uint64(l.digest)
	nl := len(l.levels)
	if nl == 0 {
		// One data block: its hash is the root hash and there is no tree
		// (cryptsetup's create_or_verify with levels == 0).
		block := make([]byte, db)
		if err := readFull(data, block, 0); err != nil {
			return nil, ioErr("read", "data", 0, err)
		}
		rootHash = make([]byte, d)
		newHasher(&p).sum(rootHash, block)
		return rootHash, writeSuperblock(hash, &p, l)
	}

	// Level 0: each unit hashes the data under unitL0Blocks level-0 blocks,
	// writes those blocks and keeps their digests for level 1.
	l0 := l.levels[0]
	m := l.unitL0Blocks(&p)
	units := (l0.blocks + m - 1) / m
	digests := make([]byte, l0.blocks*d) // digests of the level-0 blocks
	err = runUnits(workers, units, func() func(uint64) error {
		h := newHasher(&p)
		out := make([]byte, min(m, l0.blocks)*hb)
		buf := dataBuf(&p, min(m*l.hpb, p.DataBlocks))
		chunk := uint64(len(buf)) / db
		return func(u uint64) error {
			first := u * m
			n := min(m, l0.blocks-first)
			blocks := out[:n*hb]
			clear(blocks)
			start, end := first*l.hpb, min((first+n)*l.hpb, p.DataBlocks)
			for b := start; b < end; {
				c := min(chunk, end-b)
				rd := buf[:c*db]
				if err := readFull(data, rd, int64(b*db)); err != nil {
					return ioErr("read", "data", int64(b*db), err)
				}
				for i := uint64(0); i < c; i++ {
					h.sum(blocks[l.entry(&p, b+i-start):], rd[i*db:(i+1)*db])
				}
				b += c
			}
			for j := uint64(0); j < n; j++ {
				h.sum(digests[(first+j)*d:], blocks[j*hb:(j+1)*hb])
			}
			off := int64((l0.start + first) * hb)
			if err := writeFull(hash, blocks, off); err != nil {
				return ioErr("write", "hash", off, err)
			}
			return nil
		}
	})
	if err != nil {
		return nil, err
	}

	// Upper levels, from the digests of the level below.
	h := newHasher(&p)
	for i := 1; i < nl; i++ {
		lv := l.levels[i]
		blocks := make([]byte, lv.blocks*hb)
		for k := uint64(0); k < l.levels[i-1].blocks; k++ {
			copy(blocks[l.entry(&p, k):], digests[k*d:(k+1)*d])
		}
		off := int64(lv.start * hb)
		if err := writeFull(hash, blocks, off); err != nil {
			return nil, ioErr("write", "hash", off, err)
		}
		digests = digests[:lv.blocks*d]
		for k := uint64(0); k < lv.blocks; k++ {
			h.sum(digests[k*d:], blocks[k*hb:(k+1)*hb])
		}
	}
	rootHash = append([]byte(nil), digests[:d]...) // the top level has one block
	return rootHash, writeSuperblock(hash, &p, l)
}

// writeSuperblock writes p's superblock and zeros up to the tree, unless p
// has no superblock.
func writeSuperblock(hash io.WriterAt, p *Params, l *layout) error {
	if p.NoSuperblock {
		return nil
	}
	sb := Superblock{
		Version:       1,
		HashType:      uint32(p.HashType),
		UUID:          p.UUID,
		Algorithm:     p.Algorithm,
		DataBlockSize: p.DataBlockSize,
		HashBlockSize: p.HashBlockSize,
		DataBlocks:    p.DataBlocks,
		Salt:          p.Salt,
	}
	enc, err := sb.MarshalBinary()
	if err != nil {
		return err // p is validated, so this does not happen
	}
	b := make([]byte, l.treeStart*uint64(p.HashBlockSize)-p.HashOffsetBytes)
	copy(b, enc)
	off := int64(p.HashOffsetBytes)
	if err := writeFull(hash, b, off); err != nil {
		return ioErr("write superblock", "hash", off, err)
	}
	return nil
}

// probeData checks that the data device holds p's data blocks before
// anything is allocated for them.
func probeData(data io.ReaderAt, p *Params) error {
	end := int64(p.DataBlocks * uint64(p.DataBlockSize))
	var b [1]byte
	if err := readFull(data, b[:], end-1); err != nil {
		return fmt.Errorf("verity: data device is shorter than %d blocks of %d bytes (%d bytes): %w", p.DataBlocks, p.DataBlockSize, end, err)
	}
	return nil
}

func writeFull(w io.WriterAt, b []byte, off int64) error {
	n, err := w.WriteAt(b, off)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}

func ioErr(op, device string, off int64, err error) error {
	return fmt.Errorf("verity: %s %s device at byte %#x: %w", op, device, off, err)
}
