package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"

	"github.com/verinit/verinit/pkg/fec"
	"github.com/verinit/verinit/pkg/verity"
)

// fecFlags are veritysetup's forward error correction options.
type fecFlags struct {
	device *string
	roots  *int
	offset *uint64
}

func addFECFlags(fs *flag.FlagSet) fecFlags {
	return fecFlags{
		device: fs.String("fec-device", "", "Reed-Solomon parity `FILE` (may be the hash device, with --fec-offset past the tree)"),
		roots:  fs.Int("fec-roots", fec.DefaultRoots, "parity `bytes` per 255-byte codeword, 2 to 24"),
		offset: fs.Uint64("fec-offset", 0, "byte `offset` of the parity on the FEC device, a multiple of the block size"),
	}
}

// fecSetup is the parity of one tree: where it is and what it covers.
type fecSetup struct {
	path   string
	params fec.Params
	layout fec.Layout
	offset int64
}

// check checks the flags against the block sizes of tree p, before any
// work is done.
func (f fecFlags) check(p verity.Params) error {
	if *f.device == "" {
		return nil
	}
	if p.DataBlockSize != p.HashBlockSize {
		return fmt.Errorf("--fec-device needs equal data and hash block sizes, not %d and %d: %w", p.DataBlockSize, p.HashBlockSize, errUsage)
	}
	if bs := uint64(p.DataBlockSize); *f.offset%bs != 0 {
		// veritysetup takes multiples of 512, but the kernel's fec_start counts blocks.
		return fmt.Errorf("--fec-offset %d is not a multiple of the block size %d, so the kernel could not find the parity: %w", *f.offset, bs, errUsage)
	}
	return fec.Params{Roots: *f.roots, BlockSize: int(p.DataBlockSize)}.Validate()
}

// setup checks the flags against tree p, whose data and hash devices are
// at dataPath and hashPath, and returns nil when no FEC device is given.
// The parity covers the data blocks, then the hash device from its tree
// to its end, or to the parity when the parity is on the hash device, as
// veritysetup lays it out (VERITY_FEC_blocks in cryptsetup).
func (f fecFlags) setup(p verity.Params, dataPath, hashPath string) (*fecSetup, error) {
	if err := f.check(p); err != nil || *f.device == "" {
		return nil, err
	}
	bs := uint64(p.DataBlockSize)
	fp := fec.Params{Roots: *f.roots, BlockSize: int(bs)}
	start, err := p.HashStartBlock()
	if err != nil {
		return nil, err
	}
	s := &fecSetup{path: *f.device, params: fp, offset: int64(*f.offset),
		layout: fec.Layout{DataBlocks: p.DataBlocks, HashStartBlock: start}}
	if sameFile(*f.device, hashPath) {
		if end := treeEnd(p); *f.offset < end {
			return nil, fmt.Errorf("--fec-offset %d is on the hash device before the end of its tree at byte %d: %w", *f.offset, end, errUsage)
		}
		s.layout.HashEndBytes = *f.offset
	} else {
		st, err := os.Stat(hashPath)
		if err != nil {
			return nil, err
		}
		s.layout.HashEndBytes = uint64(st.Size())
	}
	if sameFile(*f.device, dataPath) && *f.offset < p.DataBlocks*bs {
		return nil, fmt.Errorf("--fec-offset %d is on the data device before the end of its data at byte %d: %w", *f.offset, p.DataBlocks*bs, errUsage)
	}
	return s, nil
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// blocks returns the number of blocks the parity covers.
func (s *fecSetup) blocks() (uint64, error) { return s.params.Blocks(s.layout) }

// write computes the parity of data and hash and writes it to the FEC
// device.
func (s *fecSetup) write(data, hash io.ReaderAt, stderr io.Writer) error {
	input, blocks, err := s.params.Input(data, hash, s.layout)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if st, err := out.Stat(); err == nil && st.Mode().IsRegular() && st.Size() < s.offset {
		// A gap between the tree and the parity on the same file reads as
		// zeros, and is part of the input.
		if err := out.Truncate(s.offset); err != nil {
			out.Close()
			return err
		}
	}
	m := meter(stderr, "verity format, FEC", int64(blocks)*int64(s.params.BlockSize))
	err = fec.Encode(context.Background(), m.ReaderAt(input), blocks, s.params, out, s.offset, runtime.NumCPU())
	m.Done()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// verify is verity.Verify that repairs: each block Verify reports bad is
// restored from the parity, with every bad block found so far taken as an
// erasure, and the tree is verified again over the restored blocks, until
// it verifies or the damage is more than the parity repairs. Nothing is
// written: the repairs live in memory, as the kernel's do. Then the parity
// itself is checked against the (repaired) data and tree, so that parity
// which could not repair anything does not pass unnoticed. It returns the
// blocks it repaired, as verity names them.
func (s *fecSetup) verify(data, hash io.ReaderAt, p verity.Params, root []byte, stderr io.Writer) (repaired []string, err error) {
	parity, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer parity.Close()
	input, blocks, err := s.params.Input(data, hash, s.layout)
	if err != nil {
		return nil, err
	}
	bs := int64(s.params.BlockSize)
	fixedData := &patchedDev{ReaderAt: data, bs: bs, blocks: map[int64][]byte{}}
	fixedHash := &patchedDev{ReaderAt: hash, bs: bs, blocks: map[int64][]byte{}}
	type patch struct {
		dev *patchedDev
		at  int64
	}
	var (
		bad   []uint64 // FEC input blocks found bad so far
		where []patch  // and where they are
	)
	for {
		m := meter(stderr, "verity verify, checked", int64(p.DataBlocks)*bs)
		err := verity.Verify(m.ReaderAt(fixedData), fixedHash, p, root, runtime.NumCPU())
		m.Done()
		var ce *verity.CorruptionError
		if err == nil {
			break
		}
		if !errors.As(err, &ce) {
			return repaired, err
		}
		dev, at, in, err := s.inputBlock(ce, blocks, fixedData, fixedHash)
		if err != nil {
			return repaired, err
		}
		if _, done := dev.blocks[at]; done {
			return repaired, fmt.Errorf("%w; restored from the FEC parity on %s, it still does not match", ce, s.path)
		}
		bad = append(bad, in)
		where = append(where, patch{dev, at})
		if dev == fixedData {
			// Verify stops at the first bad block; the others of its round
			// must be erasures too, and level 0 is good by now.
			more, err := s.badInRound(in, blocks, fixedData, fixedHash, p)
			if err != nil {
				return repaired, err
			}
			for _, b := range more {
				if !slices.Contains(bad, b) {
					bad = append(bad, b)
					where = append(where, patch{fixedData, int64(b)})
				}
			}
		}
		restored, err := fec.Repair(input, blocks, s.params, parity, s.offset, bad)
		if err != nil {
			return repaired, fmt.Errorf("%w; the FEC parity on %s cannot repair it: %w", ce, s.path, err)
		}
		for k, w := range where {
			w.dev.blocks[w.at] = restored[k]
		}
		repaired = append(repaired, blockName(ce))
	}
	fixed, _, err := s.params.Input(fixedData, fixedHash, s.layout)
	if err != nil {
		return repaired, err
	}
	m := meter(stderr, "verity verify, FEC parity", int64(blocks)*bs)
	err = fec.Encode(context.Background(), m.ReaderAt(fixed), blocks, s.params, &compareWriter{parity}, s.offset, runtime.NumCPU())
	m.Done()
	if mm := (*parityMismatch)(nil); errors.As(err, &mm) {
		return repaired, fmt.Errorf("%s: the FEC parity at byte %#x does not match the data and hash tree", s.path, mm.at)
	}
	if err != nil {
		return repaired, fmt.Errorf("%s: %w", s.path, err)
	}
	return repaired, nil
}

// badInRound returns the data blocks of the round of input block in that
// do not match their digests in level 0.
func (s *fecSetup) badInRound(in, blocks uint64, data, hash *patchedDev, p verity.Params) ([]uint64, error) {
	rounds := s.params.Rounds(blocks)
	block := make([]byte, data.bs)
	var bad []uint64
	for b := in % rounds; b < s.layout.DataBlocks; b += rounds {
		if _, err := data.ReadAt(block, int64(b)*data.bs); err != nil {
			return nil, fmt.Errorf("read data block %d: %w", b, err)
		}
		err := p.CheckDataBlock(hash, b, block)
		if ce := (*verity.CorruptionError)(nil); errors.As(err, &ce) {
			bad = append(bad, b)
		} else if err != nil {
			return nil, err
		}
	}
	return bad, nil
}

// inputBlock returns the device that holds a bad block, the block's
// index there and its index in the FEC input, checking that the parity
// covers it.
func (s *fecSetup) inputBlock(ce *verity.CorruptionError, blocks uint64, data, hash *patchedDev) (*patchedDev, int64, uint64, error) {
	at := ce.Offset / data.bs
	if ce.Device == "data" {
		return data, at, uint64(at), nil
	}
	in := s.layout.DataBlocks + uint64(at) - s.layout.HashStartBlock
	if uint64(at) < s.layout.HashStartBlock || in >= blocks {
		return nil, 0, 0, fmt.Errorf("%w; the FEC parity on %s does not cover it", ce, s.path)
	}
	return hash, at, in, nil
}

// blockName names a bad block as verity does, without its offset.
func blockName(ce *verity.CorruptionError) string {
	if ce.Level < 0 {
		return "data block " + strconv.FormatUint(ce.Block, 10)
	}
	return "hash block " + strconv.FormatUint(ce.Block, 10) + " of level " + strconv.Itoa(ce.Level)
}

// patchedDev reads as its ReaderAt with some blocks replaced.
type patchedDev struct {
	io.ReaderAt
	bs     int64
	blocks map[int64][]byte // block index -> content
}

func (d *patchedDev) ReadAt(b []byte, off int64) (int, error) {
	n, err := d.ReaderAt.ReadAt(b, off)
	for i, content := range d.blocks {
		start, end := max(i*d.bs, off), min((i+1)*d.bs, off+int64(n))
		if start < end {
			copy(b[start-off:end-off], content[start-i*d.bs:])
		}
	}
	return n, err
}

// compareWriter takes the parity Encode writes and compares it with the
// parity on the FEC device instead of writing it.
type compareWriter struct{ parity io.ReaderAt }

func (c *compareWriter) WriteAt(b []byte, off int64) (int, error) {
	have := make([]byte, len(b))
	if n, err := c.parity.ReadAt(have, off); n < len(b) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("read parity at byte %#x: %w", off+int64(n), err)
	}
	if i := firstMismatch(have, b); i >= 0 {
		return 0, &parityMismatch{at: off + int64(i)}
	}
	return len(b), nil
}

// parityMismatch is compareWriter's error for parity that differs.
type parityMismatch struct{ at int64 }

func (e *parityMismatch) Error() string { return fmt.Sprintf("parity differs at byte %#x", e.at) }

// firstMismatch returns the first index where a and b differ, or -1.
func firstMismatch(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return len(a)
}
