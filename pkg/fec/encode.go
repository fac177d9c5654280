package fec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/verinit/verinit/internal/units"
)

// unitBytes is how many bytes of each of the 255-Roots runs of input (see
// Encode) a goroutine reads at a time: a unit of work is unitBytes/BlockSize
// consecutive rounds (at least one), so that reads are large and a
// goroutine's input buffer is about 8 MiB.
const unitBytes = 32 << 10

// Encode computes the Reed-Solomon parity of the first inputBlocks blocks
// of input, as veritysetup format --fec-device does, and writes it to out
// from byte outOffset: ParityBlocks(inputBlocks) blocks of p.BlockSize
// bytes. Given the Input of a Layout, the result is byte for byte what
// veritysetup writes at --fec-offset.
//
// With rsn = 255-Roots and rounds = ceil(inputBlocks/rsn), the input is
// read as rsn runs of rounds blocks, zero blocks filling the last run.
// Round n takes block n of every run; for each byte offset b in a block it
// encodes byte b of those rsn blocks, in run order, and writes the Roots
// parity bytes at outOffset + (n*BlockSize + b)*Roots (FEC_process_inputs
// and FEC_interleave in cryptsetup's lib/verity/verity_fec.c;
// fec_interleave, fec_read_bufs and fec_read_parity in the kernel's
// drivers/md/dm-verity-fec.c).
//
// Rounds are independent. Encode runs units of consecutive rounds on up to
// workers goroutines (GOMAXPROCS if workers < 1, and never more than
// GOMAXPROCS, since each holds buffers of about 8 MiB, 16 MiB with 64 KiB
// blocks). input and out must allow parallel calls, as *os.File does; they
// may be the same file if the parity does not overlap the input. ctx is
// checked before each unit. The parity written is the same for any number
// of workers, and so is the error: that of the lowest unit that fails.
// Errors match ErrInvalidParams for invalid Params or arguments out of
// range; I/O errors name the input block or the parity offset.
func Encode(ctx context.Context, input io.ReaderAt, inputBlocks uint64, p Params, out io.WriterAt, outOffset int64, workers int) error {
	p, err := p.normalize()
	if err != nil {
		return err
	}
	if input == nil || out == nil {
		return invalid("nil input or output")
	}
	if err := p.checkInput(inputBlocks); err != nil {
		return err
	}
	bs := uint64(p.BlockSize)
	rounds := p.rounds(inputBlocks)
	roundBytes := bs * uint64(p.Roots) // parity bytes of one round
	if outOffset < 0 || rounds > (math.MaxInt64-uint64(outOffset))/roundBytes {
		return invalid("parity of %d bytes at offset %d overflows a 63-bit byte offset", rounds*roundBytes, outOffset)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return encode(ctx, input, inputBlocks, p, out, outOffset, workers, max(unitBytes/bs, 1))
}

// encode is Encode after the checks, with units of unitRounds rounds (the
// tests make them small to have many).
func encode(ctx context.Context, input io.ReaderAt, inputBlocks uint64, p Params, out io.WriterAt, outOffset int64, workers int, unitRounds uint64) error {
	rounds := p.rounds(inputBlocks)
	e := &encoder{
		p:          p,
		code:       newCode(p.Roots),
		input:      input,
		blocks:     inputBlocks,
		rounds:     rounds,
		unitRounds: min(unitRounds, rounds),
		out:        out,
		outOffset:  outOffset,
	}
	n := (rounds + e.unitRounds - 1) / e.unitRounds
	if procs := runtime.GOMAXPROCS(0); workers < 1 || workers > procs {
		workers = procs
	}
	err := units.Run(ctx, workers, n, e.newWorker)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("fec: %w", err)
	}
	return err
}

// encoder is one call of Encode.
type encoder struct {
	p          Params
	code       *code
	input      io.ReaderAt
	blocks     uint64 // input blocks
	rounds     uint64
	unitRounds uint64 // rounds per unit of work
	out        io.WriterAt
	outOffset  int64
}

// newWorker returns a function that encodes one unit with buffers of its
// own.
func (e *encoder) newWorker() func(u uint64) error {
	bs, rsn, roots, lanes := e.p.BlockSize, e.code.rsn, e.p.Roots, e.code.lanes
	r := int(e.unitRounds)
	in := make([]byte, rsn*r*bs)       // run i of the unit at in[i*r*bs:]
	filled := make([]int, rsn)         // input blocks present in each run; the rest are zeros
	acc := make([]uint64, lanes*bs)    // the parity of one round, lane l at acc[l*bs:]
	parity := make([]byte, r*bs*roots) // the unit's output
	return func(u uint64) error {
		first := u * e.unitRounds
		n := int(min(e.unitRounds, e.rounds-first))
		for i := range rsn {
			block := uint64(i)*e.rounds + first
			filled[i] = int(min(uint64(n), e.blocks-min(block, e.blocks)))
			if filled[i] == 0 {
				continue // past the input: zeros
			}
			run := in[i*r*bs : (i*r+filled[i])*bs]
			if got, err := readFull(e.input, run, int64(block)*int64(bs)); err != nil {
				return fmt.Errorf("fec: read input block %d: %w", block+uint64(got/bs), err)
			}
		}
		for k := range n {
			clear(acc)
			for i := range rsn {
				if k >= filled[i] {
					continue // a zero block adds nothing
				}
				block := in[(i*r+k)*bs:][:bs]
				for l := range lanes {
					addProducts(acc[l*bs:], &e.code.tables[i*lanes+l], block)
				}
			}
			e.code.spread(parity[k*bs*roots:][:bs*roots], acc, bs)
		}
		off := e.outOffset + int64(first)*int64(bs*roots)
		if err := writeFull(e.out, parity[:n*bs*roots], off); err != nil {
			return fmt.Errorf("fec: write parity at byte %#x: %w", off, err)
		}
		return nil
	}
}

// spread writes the parity of one round, held in lanes of acc, codeword by
// codeword: Roots bytes for each of the bs byte offsets.
func (c *code) spread(dst []byte, acc []uint64, bs int) {
	if c.roots == 2 { // the default, worth its own loop
		acc = acc[:bs]
		for b, v := range acc {
			dst[2*b] = byte(v)
			dst[2*b+1] = byte(v >> 8)
		}
		return
	}
	for b := range bs {
		w := dst[b*c.roots:][:c.roots]
		for j := range w {
			w[j] = byte(acc[(j/8)*bs+b] >> (8 * (j % 8)))
		}
	}
}

func writeFull(w io.WriterAt, b []byte, off int64) error {
	n, err := w.WriteAt(b, off)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}
