package verity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Verify checks the hash tree of p against the data and rootHash: every
// data block, every hash block and the unused (zero) area of every hash
// block, like veritysetup verify, and, unless p.NoSuperblock, that the
// superblock on the hash device matches p (Superblock.CheckParams).
//
// Blocks are checked from the top of the tree down, as the kernel does:
// each level against the verified level above it, then the data blocks
// against level 0. The first bad block, that is the one on the highest
// level and then with the lowest index, is returned as a *CorruptionError,
// so a damaged hash block is reported as itself and not as the data it
// covers. When the top-level block does not hash to rootHash, Verify checks
// the tree against the stored top-level block instead: if the tree is
// consistent the error only matches ErrRootHashMismatch (the root hash is
// wrong); if the blocks right below the top do not match it, the top-level
// block is the damaged one; a deeper bad block is reported as a
// *CorruptionError that also matches ErrRootHashMismatch. With a single data
// block there is no tree and any mismatch is ErrRootHashMismatch.
//
// The data blocks, nearly all of the work, are checked by up to workers
// goroutines (GOMAXPROCS if workers < 1). Nothing is allocated for the tree
// before the devices are known to be long enough, so memory use is bounded
// by the device sizes. Other errors are those of Params.Validate, a
// superblock *FormatError, or I/O errors naming the device and offset.
func Verify(data, hash io.ReaderAt, p Params, rootHash []byte, workers int) error {
	p.Salt = append([]byte(nil), p.Salt...)
	l, err := p.layout()
	if err != nil {
		return err
	}
	if len(rootHash) != l.digest {
		return invalid("root hash of %d bytes for %s, want %d", len(rootHash), p.Algorithm, l.digest)
	}
	if !p.NoSuperblock {
		sb, err := readSuperblock(hash, &p)
		if err != nil {
			return err
		}
		if err := sb.CheckParams(p); err != nil {
			return err
		}
	}
	if err := probeData(data, &p); err != nil {
		return err
	}
	db, hb := uint64(p.DataBlockSize), uint64(p.HashBlockSize)
	d := l.digest
	nl := len(l.levels)
	if nl == 0 {
		block := make([]byte, db)
		if err := readFull(data, block, 0); err != nil {
			return ioErr("read", "data", 0, err)
		}
		got := make([]byte, d)
		newHasher(&p).sum(got, block)
		if !bytes.Equal(got, rootHash) {
			return &rootHashError{what: "data block 0", device: "data", offset: 0, got: got, want: bytes.Clone(rootHash)}
		}
		return nil
	}
	end := int64(l.end * hb)
	var probe [1]byte
	if err := readFull(hash, probe[:], end-1); err != nil {
		return fmt.Errorf("verity: hash device is shorter than the end of the tree at byte %#x: %w", end, err)
	}

	// Levels above 0 are small (at most 1/hpb of level 0 together) and
	// held in memory; with a single level, level 0 is the top and held too.
	memFrom := 1
	if nl == 1 {
		memFrom = 0
	}
	mem := make([][]byte, nl)
	for i := memFrom; i < nl; i++ {
		lv := l.levels[i]
		mem[i] = make([]byte, lv.blocks*hb)
		off := int64(lv.start * hb)
		if err := readFull(hash, mem[i], off); err != nil {
			return ioErr("read", "hash", off, err)
		}
	}
	h := newHasher(&p)
	top := make([]byte, d)
	h.sum(top, mem[nl-1])
	rootOK := bytes.Equal(top, rootHash)

	v := &verifier{p: &p, l: l, data: data, hash: hash, mem: mem, top: top}
	err = v.run(workers)
	if rootOK {
		return err
	}
	topOff := int64(l.levels[nl-1].start * hb)
	var ce *CorruptionError
	switch {
	case err == nil:
		return &rootHashError{what: "top-level hash block", device: "hash", offset: topOff, got: top, want: bytes.Clone(rootHash), treeOK: true}
	case !errors.As(err, &ce):
		return err
	case ce.Level == nl-1:
		return ce // the top-level block itself is bad
	case ce.Level == nl-2:
		// The blocks right below the top do not match it and it does not
		// match the root hash: the top-level block is the damaged one.
		return &CorruptionError{Device: "hash", Level: nl - 1, Block: 0, Offset: topOff}
	}
	ce.rootMismatch = true
	return ce
}

// verifier holds the state of one Verify call.
type verifier struct {
	p          *Params
	l          *layout
	data, hash io.ReaderAt
	mem        [][]byte // levels held in memory, nil for the others
	top        []byte   // digest of the top-level block, trusted from here on
}

func (v *verifier) hashBlockErr(level int, k uint64, pad int) *CorruptionError {
	hb := uint64(v.p.HashBlockSize)
	off := int64((v.l.levels[level].start + k) * hb)
	e := &CorruptionError{Device: "hash", Level: level, Block: k, Offset: off}
	if pad >= 0 {
		e.padding = off + int64(pad)
	}
	return e
}

// want returns the verified digest of block k of level i, taken from level
// i+1 (or the top digest for the top level).
func (v *verifier) want(i int, k uint64) []byte {
	if i == len(v.l.levels)-1 {
		return v.top
	}
	o := v.l.entry(v.p, k)
	return v.mem[i+1][o : o+uint64(v.l.digest)]
}

// run checks the unused area of the top-level block, the levels in memory
// from the top down, level 0, and the data, stopping at the first level
// with a bad block.
func (v *verifier) run(workers int) error {
	p, l := v.p, v.l
	hb := uint64(p.HashBlockSize)
	nl := len(l.levels)
	h := newHasher(p)
	got := make([]byte, l.digest)
	for i := nl - 1; i >= 0 && v.mem[i] != nil; i-- {
		for k := uint64(0); k < l.levels[i].blocks; k++ {
			block := v.mem[i][k*hb : (k+1)*hb]
			if i < nl-1 {
				h.sum(got, block)
				if !bytes.Equal(got, v.want(i, k)) {
					return v.hashBlockErr(i, k, -1)
				}
			}
			if pad := l.padding(block, l.used(p, i, k)); pad >= 0 {
				return v.hashBlockErr(i, k, pad)
			}
		}
	}
	if v.mem[0] == nil {
		if err := v.level0(workers); err != nil {
			return err
		}
	}
	return v.dataBlocks(workers)
}

// level0 checks the level-0 blocks, read from the hash device, against
// level 1.
func (v *verifier) level0(workers int) error {
	p, l := v.p, v.l
	hb := uint64(p.HashBlockSize)
	l0 := l.levels[0]
	m := max(readBytes/hb, 1)
	units := (l0.blocks + m - 1) / m
	return runUnits(workers, units, func() func(uint64) error {
		h := newHasher(p)
		got := make([]byte, l.digest)
		buf := make([]byte, min(m, l0.blocks)*hb)
		return func(u uint64) error {
			first := u * m
			n := min(m, l0.blocks-first)
			off := int64((l0.start + first) * hb)
			if err := readFull(v.hash, buf[:n*hb], off); err != nil {
				return ioErr("read", "hash", off, err)
			}
			for j := uint64(0); j < n; j++ {
				k := first + j
				block := buf[j*hb : (j+1)*hb]
				h.sum(got, block)
				if !bytes.Equal(got, v.want(0, k)) {
					return v.hashBlockErr(0, k, -1)
				}
				if pad := l.padding(block, l.used(p, 0, k)); pad >= 0 {
					return v.hashBlockErr(0, k, pad)
				}
			}
			return nil
		}
	})
}

// dataBlocks checks the data blocks against level 0. Each unit reads its
// level-0 blocks again and checks them against level 1 once more, so a hash
// device that changes during Verify cannot slip wrong digests in.
func (v *verifier) dataBlocks(workers int) error {
	p, l := v.p, v.l
	db, hb := uint64(p.DataBlockSize), uint64(p.HashBlockSize)
	d := uint64(l.digest)
	l0 := l.levels[0]
	m := l.unitL0Blocks(p)
	units := (l0.blocks + m - 1) / m
	return runUnits(workers, units, func() func(uint64) error {
		h := newHasher(p)
		got := make([]byte, d)
		hbuf := make([]byte, min(m, l0.blocks)*hb)
		buf := dataBuf(p, min(m*l.hpb, p.DataBlocks))
		chunk := uint64(len(buf)) / db
		return func(u uint64) error {
			first := u * m
			n := min(m, l0.blocks-first)
			blocks := hbuf[:n*hb]
			off := int64((l0.start + first) * hb)
			if err := readFull(v.hash, blocks, off); err != nil {
				return ioErr("read", "hash", off, err)
			}
			for j := uint64(0); j < n; j++ {
				h.sum(got, blocks[j*hb:(j+1)*hb])
				if !bytes.Equal(got, v.want(0, first+j)) {
					return v.hashBlockErr(0, first+j, -1)
				}
			}
			start, end := first*l.hpb, min((first+n)*l.hpb, p.DataBlocks)
			for b := start; b < end; {
				c := min(chunk, end-b)
				rd := buf[:c*db]
				off := int64(b * db)
				if err := readFull(v.data, rd, off); err != nil {
					return ioErr("read", "data", off, err)
				}
				for i := uint64(0); i < c; i++ {
					h.sum(got, rd[i*db:(i+1)*db])
					o := l.entry(p, b+i-start)
					if !bytes.Equal(got, blocks[o:o+d]) {
						return &CorruptionError{Device: "data", Level: -1, Block: b + i, Offset: int64((b + i) * db)}
					}
				}
				b += c
			}
			return nil
		}
	})
}
