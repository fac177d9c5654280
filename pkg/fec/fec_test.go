package fec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/devtest"
)

// memDev is the shared in-memory device.
type memDev = devtest.MemDev

// zeroPadded reads as b followed by zeros up to size bytes.
type zeroPadded struct {
	b    []byte
	size int64
}

func (z zeroPadded) ReadAt(p []byte, off int64) (int, error) {
	if off >= z.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.size-off))
	clear(p[:n])
	if off < int64(len(z.b)) {
		copy(p[:n], z.b[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// genData returns size pseudo-random bytes from seed in which every block
// of bs bytes whose index is a multiple of 5 is zero, so that the encoder's
// zero blocks and the input's are both exercised.
func genData(seed uint64, size, bs int) []byte {
	b := make([]byte, size)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'f', 'e', 'c'})
	_, _ = r.Read(b)
	for i := 0; i*bs < size; i += 5 {
		clear(b[i*bs : min((i+1)*bs, size)])
	}
	return b
}

// refCode is a plain Reed-Solomon encoder written from the description of
// libfec's encode_rs_char, which cryptsetup uses: log and antilog tables of
// GF(2^8) with polynomial 0x11d, the generator (x-a^0)...(x-a^(roots-1)),
// and a shift register fed one input byte at a time.
type refCode struct {
	roots int
	exp   [510]byte // exp[i] = a^i, twice over so that sums of logs need no mod
	log   [256]int
	gen   []byte // gen[j] is the coefficient of x^j; gen[roots] = 1
}

func newRefCode(roots int) *refCode {
	c := &refCode{roots: roots}
	x := 1
	for i := range 255 {
		c.exp[i], c.exp[i+255] = byte(x), byte(x)
		c.log[x] = i
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	c.gen = []byte{1}
	for i := range roots {
		// gen *= (x + a^i)
		next := make([]byte, len(c.gen)+1)
		for j, g := range c.gen {
			next[j+1] ^= g
			next[j] ^= c.mul(g, c.exp[i])
		}
		c.gen = next
	}
	return c
}

func (c *refCode) mul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return c.exp[c.log[a]+c.log[b]]
}

// parity returns the parity bytes of msg, highest coefficient first.
func (c *refCode) parity(msg []byte) []byte {
	par := make([]byte, c.roots)
	for _, d := range msg {
		feedback := d ^ par[0]
		copy(par, par[1:])
		par[c.roots-1] = 0
		for j := range par {
			par[j] ^= c.mul(feedback, c.gen[c.roots-1-j])
		}
	}
	return par
}

// syndromesZero reports whether the codeword msg||par, read as a
// polynomial with its first byte highest, vanishes at every root of the
// generator, which is what makes it a codeword whatever the encoder.
func (c *refCode) syndromesZero(msg, par []byte) bool {
	for j := range c.roots {
		var s byte
		for _, b := range append(append([]byte(nil), msg...), par...) {
			s = c.mul(s, c.exp[j]) ^ b
		}
		if s != 0 {
			return false
		}
	}
	return true
}

// refEncode computes the parity of input (blocks of bs bytes, padded with
// zero blocks) the slow way, gathering each codeword with the kernel's
// interleaving formula (fec_interleave and fec_read_bufs in
// drivers/md/dm-verity-fec.c): byte i of the codeword for byte b of round
// n is input byte interleave(n*bs*rsn + i) + b.
func refEncode(input []byte, bs, roots int) []byte {
	c := newRefCode(roots)
	rsn := 255 - roots
	blocks := (len(input) + bs - 1) / bs
	rounds := (blocks + rsn - 1) / rsn
	interleave := func(x int) int { return x/rsn + x%rsn*rounds*bs }
	out := make([]byte, 0, rounds*bs*roots)
	msg := make([]byte, rsn)
	for n := range rounds {
		for b := range bs {
			for i := range rsn {
				msg[i] = 0
				if at := interleave(n*bs*rsn+i) + b; at < len(input) {
					msg[i] = input[at]
				}
			}
			out = append(out, c.parity(msg)...)
		}
	}
	return out
}

// encodeMem runs encode (units of unitRounds rounds) on input and returns
// the parity.
func encodeMem(t testing.TB, input []byte, p Params, workers int, unitRounds uint64) []byte {
	t.Helper()
	p, err := p.normalize()
	if err != nil {
		t.Fatal(err)
	}
	out := &memDev{}
	n := uint64(len(input) / p.BlockSize)
	if err := encode(context.Background(), bytes.NewReader(input), n, p, out, 0, workers, unitRounds); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out.Bytes()
}

// TestEncodeMatchesReference compares Encode with refEncode for every
// number of lanes (1, 2, 3 words of parity), for input sizes around whole
// rounds, and for one and several goroutines with one or more rounds per
// unit of work; and checks that the codewords are codewords.
func TestEncodeMatchesReference(t *testing.T) {
	for _, roots := range []int{2, 3, 8, 9, 16, 17, 24} {
		rsn := uint64(255 - roots)
		for _, bs := range []int{512, 1024} {
			for _, blocks := range []uint64{1, rsn - 1, rsn, rsn + 1, 3*rsn + 7} {
				t.Run(fmt.Sprintf("roots%d/bs%d/blocks%d", roots, bs, blocks), func(t *testing.T) {
					p := Params{Roots: roots, BlockSize: bs}
					input := genData(blocks*uint64(roots), int(blocks)*bs, bs)
					want := refEncode(input, bs, roots)
					if n, _ := p.ParityBlocks(blocks); int(n)*bs != len(want) {
						t.Fatalf("ParityBlocks(%d) = %d blocks, reference wrote %d bytes", blocks, n, len(want))
					}
					for _, run := range []struct {
						workers    int
						unitRounds uint64
					}{{1, 1}, {1, 64}, {3, 1}, {2, 2}} {
						got := encodeMem(t, input, p, run.workers, run.unitRounds)
						if i := firstDiff(got, want); i >= 0 {
							t.Fatalf("workers %d, %d rounds a unit: parity differs from the reference at byte %d of %d (got %d bytes)",
								run.workers, run.unitRounds, i, len(want), len(got))
						}
					}
					// Check a few codewords of round 0 against the field.
					c := newRefCode(roots)
					for _, b := range []int{0, 1, bs - 1} {
						msg := make([]byte, rsn)
						rounds := int((blocks + rsn - 1) / rsn)
						for i := range msg {
							if at := i*rounds*bs + b; at < len(input) {
								msg[i] = input[at]
							}
						}
						if !c.syndromesZero(msg, want[b*roots:(b+1)*roots]) {
							t.Fatalf("codeword for byte %d of round 0 is not a codeword", b)
						}
					}
				})
			}
		}
	}
}

// TestCodeTables checks the packed tables against the reference field.
func TestCodeTables(t *testing.T) {
	for _, roots := range []int{2, 24} {
		c, ref := newCode(roots), newRefCode(roots)
		for _, i := range []int{0, 1, c.rsn - 1} {
			one := make([]byte, c.rsn)
			one[i] = 1
			unit := ref.parity(one)
			for _, v := range []byte{1, 2, 0x80, 0xff} {
				for j := range roots {
					got := byte(c.tables[i*c.lanes+j/8][v] >> (8 * (j % 8)))
					if want := ref.mul(unit[j], v); got != want {
						t.Fatalf("roots %d, position %d, byte %#x, parity %d: table has %#x, want %#x", roots, i, v, j, got, want)
					}
				}
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string // error text, "" for valid
	}{
		{Params{}, ""},
		{Params{Roots: 2, BlockSize: 512}, ""},
		{Params{Roots: 24, BlockSize: 65536}, ""},
		{Params{Roots: 13, BlockSize: 1024}, ""},
		{Params{Roots: 1}, "fec: roots 1: want 2 to 24"},
		{Params{Roots: 25}, "fec: roots 25: want 2 to 24"},
		{Params{Roots: -3}, "fec: roots -3: want 2 to 24"},
		{Params{BlockSize: 256}, "fec: block size 256: want a power of two from 512 to 65536"},
		{Params{BlockSize: 4097}, "fec: block size 4097: want a power of two from 512 to 65536"},
		{Params{BlockSize: 131072}, "fec: block size 131072: want a power of two from 512 to 65536"},
		{Params{BlockSize: -4096}, "fec: block size -4096: want a power of two from 512 to 65536"},
	} {
		err := tc.p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.p, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%+v: got error %v, want %q", tc.p, err, tc.want)
		case err != nil && !errors.Is(err, ErrInvalidParams):
			t.Errorf("%+v: %v does not match ErrInvalidParams", tc.p, err)
		}
	}
}

func TestBlocks(t *testing.T) {
	for _, tc := range []struct {
		p      Params
		l      Layout
		blocks uint64 // fec_blocks
		parity uint64 // parity blocks
		err    string
	}{
		// veritysetup format of 1 MiB: 256 data blocks, superblock in block
		// 0 of the hash file, 3 tree blocks: "FEC blocks: 4".
		{l: Layout{DataBlocks: 256, HashStartBlock: 1, HashEndBytes: 4 * 4096}, blocks: 259, parity: 4},
		{p: Params{Roots: 24}, l: Layout{DataBlocks: 256, HashStartBlock: 1, HashEndBytes: 4 * 4096}, blocks: 259, parity: 48},
		// The end is rounded down to a block.
		{l: Layout{DataBlocks: 253, HashStartBlock: 1, HashEndBytes: 4*4096 + 4095}, blocks: 256, parity: 4},
		{l: Layout{DataBlocks: 250, HashStartBlock: 1, HashEndBytes: 4 * 4096}, blocks: 253, parity: 2},
		// One data block: no tree, the new hash file is empty when the
		// parity is made, and cryptsetup counts no hash blocks.
		{l: Layout{DataBlocks: 1, HashStartBlock: 1, HashEndBytes: 0}, blocks: 1, parity: 2},
		{l: Layout{DataBlocks: 1, HashStartBlock: 1, HashEndBytes: 512}, blocks: 1, parity: 2},
		// Parity on the hash device, right after the tree.
		{l: Layout{DataBlocks: 1000, HashStartBlock: 1, HashEndBytes: 1 << 20}, blocks: 1255, parity: 10},
		{l: Layout{DataBlocks: 0, HashStartBlock: 1, HashEndBytes: 4096}, err: "fec: no data blocks"},
		{l: Layout{DataBlocks: 10, HashStartBlock: 5, HashEndBytes: 4 * 4096}, err: "fec: hash area ends at block 4, before its start at block 5"},
		{l: Layout{DataBlocks: math.MaxUint64, HashStartBlock: 0, HashEndBytes: 4096}, err: "fec: 18446744073709551615 data blocks and 1 hash blocks overflow"},
		{l: Layout{DataBlocks: 1 << 52, HashStartBlock: 0, HashEndBytes: 0}, err: "fec: 4503599627370496 blocks of 4096 bytes overflow a 63-bit byte offset"},
		{p: Params{Roots: 30}, l: Layout{DataBlocks: 1}, err: "fec: roots 30: want 2 to 24"},
	} {
		blocks, err := tc.p.Blocks(tc.l)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, ErrInvalidParams) {
				t.Errorf("%+v %+v: got %d, %v; want error %q", tc.p, tc.l, blocks, err, tc.err)
			}
			continue
		}
		if err != nil || blocks != tc.blocks {
			t.Errorf("%+v %+v: got %d, %v; want %d blocks", tc.p, tc.l, blocks, err, tc.blocks)
			continue
		}
		if parity, err := tc.p.ParityBlocks(blocks); err != nil || parity != tc.parity {
			t.Errorf("%+v: ParityBlocks(%d) = %d, %v; want %d", tc.p, blocks, parity, err, tc.parity)
		}
	}
	if _, err := (Params{}).ParityBlocks(0); err == nil || err.Error() != "fec: no input blocks" {
		t.Errorf("ParityBlocks(0): %v", err)
	}
}

// TestInput checks the concatenation of the data and hash areas, on one
// shared device, including what it says when a device ends early.
func TestInput(t *testing.T) {
	dev := genData(1, 40*512, 512)
	p := Params{BlockSize: 512}
	// Data blocks 0..9, superblock at byte 10*512, tree from block 11 to 19.
	in, blocks, err := p.Input(bytes.NewReader(dev), bytes.NewReader(dev), Layout{DataBlocks: 10, HashStartBlock: 11, HashEndBytes: 20 * 512})
	if err != nil || blocks != 19 {
		t.Fatalf("Input: %d blocks, %v", blocks, err)
	}
	want := append(append([]byte(nil), dev[:10*512]...), dev[11*512:20*512]...)
	got := make([]byte, len(want)+1)
	n, err := in.ReadAt(got, 0)
	if n != len(want) || err != io.EOF || !bytes.Equal(got[:n], want) {
		t.Fatalf("ReadAt whole: %d bytes, %v; equal %v", n, err, bytes.Equal(got[:n], want))
	}
	for _, off := range []int{0, 1, 10*512 - 3, 10 * 512, 15*512 + 7} {
		b := make([]byte, 700)
		n, err := in.ReadAt(b, int64(off))
		if err != nil && err != io.EOF || !bytes.Equal(b[:n], want[off:min(off+700, len(want))]) {
			t.Fatalf("ReadAt at %d: %d bytes, %v", off, n, err)
		}
	}

	short := bytes.NewReader(dev[:15*512])
	in, _, _ = p.Input(bytes.NewReader(dev), short, Layout{DataBlocks: 10, HashStartBlock: 11, HashEndBytes: 20 * 512})
	_, err = in.ReadAt(make([]byte, 19*512), 0)
	if err == nil || err.Error() != "hash device at byte 0x1e00: unexpected EOF" {
		t.Fatalf("short hash device: %v", err)
	}
	err = Encode(context.Background(), in, 19, p, &memDev{}, 0, 2)
	if err == nil || !strings.Contains(err.Error(), "fec: read input block 14: hash device at byte 0x1e00: unexpected EOF") {
		t.Fatalf("Encode on a short hash device: %v", err)
	}
	if _, _, err := p.Input(nil, short, Layout{DataBlocks: 1}); err == nil {
		t.Fatal("Input accepted a nil data device")
	}
}

// failWriter fails every write from byte failAt on.
type failWriter struct {
	memDev
	failAt int64
}

func (w *failWriter) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > w.failAt {
		return 0, errors.New("disk full")
	}
	return w.memDev.WriteAt(p, off)
}

func TestEncodeErrors(t *testing.T) {
	ctx := context.Background()
	input := bytes.NewReader(make([]byte, 300*512))
	p := Params{BlockSize: 512}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bad params", Encode(ctx, input, 1, Params{Roots: 25}, &memDev{}, 0, 1), "fec: roots 25: want 2 to 24"},
		{"nil input", Encode(ctx, nil, 1, p, &memDev{}, 0, 1), "fec: nil input or output"},
		{"nil output", Encode(ctx, input, 1, p, nil, 0, 1), "fec: nil input or output"},
		{"no blocks", Encode(ctx, input, 0, p, &memDev{}, 0, 1), "fec: no input blocks"},
		{"huge input", Encode(ctx, input, 1<<60, p, &memDev{}, 0, 1), "fec: 1152921504606846976 blocks of 512 bytes overflow a 63-bit byte offset"},
		{"negative offset", Encode(ctx, input, 1, p, &memDev{}, -512, 1), "fec: parity of 1024 bytes at offset -512 overflows a 63-bit byte offset"},
		{"offset overflow", Encode(ctx, input, 1, p, &memDev{}, math.MaxInt64-1000, 1), "fec: parity of 1024 bytes at offset 9223372036854774807 overflows a 63-bit byte offset"},
		{"short input", Encode(ctx, input, 400, p, &memDev{}, 0, 2), "fec: read input block 300: unexpected EOF"},
		{"write", Encode(ctx, input, 300, p, &failWriter{failAt: 1024}, 0, 2), "fec: write parity at byte 0x0: disk full"},
		{"canceled", Encode(canceled, input, 300, p, &memDev{}, 0, 2), "fec: context canceled"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: got %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestEncodeErrorIsLowestUnit checks that with many units and goroutines
// the error reported is that of the lowest failing unit, every time.
func TestEncodeErrorIsLowestUnit(t *testing.T) {
	p, _ := Params{BlockSize: 512}.normalize()
	// 253*40 blocks make 40 rounds, so unit u (one round) reads blocks
	// u, 40+u, ..., 252*40+u. The input lacks its last 10 blocks, so units
	// 30 to 39 fail, each at its own block.
	input := zeroPadded{size: (253*40 - 10) * 512}
	for range 20 {
		err := encode(context.Background(), input, 253*40, p, &memDev{}, 0, 4, 1)
		if err == nil || err.Error() != "fec: read input block 10110: unexpected EOF" {
			t.Fatalf("got %v", err)
		}
	}
}

// TestEncodeOffset checks that the parity lands at outOffset and nothing
// else is written.
func TestEncodeOffset(t *testing.T) {
	p := Params{BlockSize: 512, Roots: 5}
	input := genData(7, 600*512, 512)
	want := refEncode(input, 512, 5)
	out := &memDev{}
	if err := Encode(context.Background(), bytes.NewReader(input), 600, p, out, 3000, 0); err != nil {
		t.Fatal(err)
	}
	if len(out.Bytes()) != 3000+len(want) || !bytes.Equal(out.Bytes()[3000:], want) || firstDiff(out.Bytes()[:3000], make([]byte, 3000)) >= 0 {
		t.Fatalf("parity at offset 3000: wrote %d bytes, want %d", len(out.Bytes()), 3000+len(want))
	}
}

// blockSizeOf returns p's block size, with the default applied.
func blockSizeOf(p Params) int {
	if p.BlockSize == 0 {
		return DefaultBlockSize
	}
	return p.BlockSize
}
