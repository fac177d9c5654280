package fec

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrUnrepairable is matched (with errors.Is) by the error Repair returns
// when the damage is more than the parity can undo: more bad blocks in one
// round than Roots, or parity that does not agree with the blocks taken
// as good.
var ErrUnrepairable = errors.New("fec: damage beyond what the parity repairs")

// Repair restores the input blocks listed in bad (indices into the FEC
// input, as Params.Input numbers it) from the other blocks of their rounds
// and the parity, which the FEC device holds from byte parityOffset. The
// blocks of bad are erasures: their content is not read. It returns the
// restored blocks in the order of bad.
//
// A round with m bad blocks needs m <= Roots; when m < Roots the Roots-m
// spare parity bytes of each codeword must agree with the result, or some
// block taken as good is bad too and Repair refuses rather than guess.
// The caller should still check each restored block against its hash.
func Repair(input io.ReaderAt, inputBlocks uint64, p Params, parity io.ReaderAt, parityOffset int64, bad []uint64) ([][]byte, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	if input == nil || parity == nil {
		return nil, invalid("nil input or parity")
	}
	if err := p.checkInput(inputBlocks); err != nil {
		return nil, err
	}
	if parityOffset < 0 {
		return nil, invalid("negative parity offset %d", parityOffset)
	}
	rounds := p.rounds(inputBlocks)
	byRound := make(map[uint64][]int) // round -> positions of its bad blocks
	for _, b := range bad {
		if b >= inputBlocks {
			return nil, invalid("block %d is past the %d input blocks", b, inputBlocks)
		}
		n, i := b%rounds, int(b/rounds)
		if slices.Contains(byRound[n], i) {
			return nil, invalid("block %d is named twice", b)
		}
		byRound[n] = append(byRound[n], i)
	}
	r := &repairer{p: p, code: newCode(p.Roots), input: input, blocks: inputBlocks, rounds: rounds,
		parity: parity, parityOffset: parityOffset}
	restored := make(map[uint64][]byte, len(bad))
	for n, pos := range byRound {
		blocks, err := r.round(n, pos)
		if err != nil {
			return nil, err
		}
		for t, i := range pos {
			restored[uint64(i)*rounds+n] = blocks[t]
		}
	}
	out := make([][]byte, len(bad))
	for k, b := range bad {
		out[k] = restored[b]
	}
	return out, nil
}

// repairer holds what one Repair call reads.
type repairer struct {
	p            Params
	code         *code
	input        io.ReaderAt
	blocks       uint64
	rounds       uint64
	parity       io.ReaderAt
	parityOffset int64
}

// round restores the blocks at positions pos of round n. The code is
// linear and systematic: the stored parity minus the parity of the round
// with the bad blocks zeroed is the parity of the bad blocks' content
// alone, Roots equations per byte offset in len(pos) unknowns whose
// coefficients are the parity of a 1 at each bad position. Any square
// part of that matrix is invertible (the code is MDS), so the first
// len(pos) equations give the content and the rest check it.
func (r *repairer) round(n uint64, pos []int) ([][]byte, error) {
	bs, roots, rsn, lanes := r.p.BlockSize, r.p.Roots, r.code.rsn, r.code.lanes
	m := len(pos)
	if m > roots {
		return nil, fmt.Errorf("%w: round %d has %d bad blocks (input blocks %s), %d parity bytes repair at most %d",
			ErrUnrepairable, n, m, r.names(n, pos), roots, roots)
	}
	acc := make([]uint64, lanes*bs)
	block := make([]byte, bs)
	for i := range rsn {
		b := uint64(i)*r.rounds + n
		if b >= r.blocks || slices.Contains(pos, i) {
			continue // zeros: past the input, or the unknowns
		}
		if _, err := readFull(r.input, block, int64(b)*int64(bs)); err != nil {
			return nil, fmt.Errorf("fec: read input block %d: %w", b, err)
		}
		for l := range lanes {
			addProducts(acc[l*bs:], &r.code.tables[i*lanes+l], block)
		}
	}
	delta := make([]byte, bs*roots)
	r.code.spread(delta, acc, bs)
	stored := make([]byte, bs*roots)
	off := r.parityOffset + int64(n)*int64(bs*roots)
	if _, err := readFull(r.parity, stored, off); err != nil {
		return nil, fmt.Errorf("fec: read parity of round %d at byte %#x: %w", n, off, err)
	}
	for k := range delta {
		delta[k] ^= stored[k]
	}

	// a[j][t]: parity byte j of a 1 at position pos[t].
	a := make([][]byte, roots)
	for j := range a {
		a[j] = make([]byte, m)
		for t, i := range pos {
			a[j][t] = byte(r.code.tables[i*lanes+j/8][1] >> (8 * (j % 8)))
		}
	}
	inv, ok := invert(a[:m])
	if !ok {
		return nil, fmt.Errorf("fec: round %d: singular repair matrix for positions %v", n, pos) // not for an MDS code
	}
	out := make([][]byte, m)
	for t := range out {
		out[t] = make([]byte, bs)
	}
	e := make([]byte, m)
	for b := range bs {
		d := delta[b*roots:][:roots]
		for t := range m {
			var v byte
			for k := range m {
				v ^= mul(inv[t][k], d[k])
			}
			e[t] = v
			out[t][b] = v
		}
		for j := m; j < roots; j++ {
			var v byte
			for t := range m {
				v ^= mul(a[j][t], e[t])
			}
			if v != d[j] {
				return nil, fmt.Errorf("%w: round %d: the parity of byte %d does not agree with the blocks taken as good (bad: input blocks %s)",
					ErrUnrepairable, n, b, r.names(n, pos))
			}
		}
	}
	return out, nil
}

// names lists the input block numbers of positions pos of round n.
func (r *repairer) names(n uint64, pos []int) string {
	s := ""
	for k, i := range pos {
		if k > 0 {
			s += ", "
		}
		s += fmt.Sprint(uint64(i)*r.rounds + n)
	}
	return s
}

// invert returns the inverse of the square matrix a over GF(2^8) by
// Gauss-Jordan elimination, and false if a is singular.
func invert(a [][]byte) ([][]byte, bool) {
	m := len(a)
	w := make([][]byte, m) // [a | I]
	for i := range w {
		w[i] = make([]byte, 2*m)
		copy(w[i], a[i])
		w[i][m+i] = 1
	}
	for c := range m {
		p := c
		for p < m && w[p][c] == 0 {
			p++
		}
		if p == m {
			return nil, false
		}
		w[c], w[p] = w[p], w[c]
		s := inverse(w[c][c])
		for k := range w[c] {
			w[c][k] = mul(w[c][k], s)
		}
		for i := range m {
			if f := w[i][c]; i != c && f != 0 {
				for k := range w[i] {
					w[i][k] ^= mul(f, w[c][k])
				}
			}
		}
	}
	for i := range w {
		w[i] = w[i][m:]
	}
	return w, true
}

// inverse returns 1/a in GF(2^8) for a != 0: a^254, since a^255 = 1.
func inverse(a byte) byte {
	r, x := byte(1), a
	for e := 254; e > 0; e >>= 1 {
		if e&1 != 0 {
			r = mul(r, x)
		}
		x = mul(x, x)
	}
	return r
}
