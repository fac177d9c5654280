package fec

// The Reed-Solomon code of cryptsetup and the kernel: both call their RS
// library with symbol size 8, field polynomial 0x11d, first root 0 and
// primitive element 1 (FEC_PARAMS in lib/verity/verity_fec.c, fec_rs_alloc
// in drivers/md/dm-verity-fec.c), and nroots = Roots. So the generator is
//
//	g(x) = (x - a^0)(x - a^1)...(x - a^(Roots-1)),  a = x = 0x02,
//
// and the code is systematic: the input bytes d[0..k-1] of a codeword are
// the coefficients of M(x) = d[0] x^(k-1) + ... + d[k-1], and the parity
// bytes p[0..Roots-1] are those of M(x) x^Roots mod g(x), highest first
// (encode_rs_char in lib/verity/rs_encode_char.c).
//
// The remainder is linear in M, so the parity of a codeword is the XOR,
// over its input positions i, of d[i] times the parity of a lone 1 at i,
// which is x^(Roots + k-1-i) mod g(x). The encoder precomputes, for each
// position, a table of those products for all 256 byte values, packed
// eight parity bytes to a uint64, and then needs one table look-up per
// input byte and 8 parity bytes.

// fieldPoly is x^8 + x^4 + x^3 + x^2 + 1, without its x^8 term.
const fieldPoly = 0x1d

// mulX returns a*x in GF(2^8).
func mulX(a byte) byte {
	if a&0x80 != 0 {
		return a<<1 ^ fieldPoly
	}
	return a << 1
}

// mul returns a*b in GF(2^8), by shift and add: it is only used to set up
// the tables.
func mul(a, b byte) byte {
	var p byte
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		a = mulX(a)
	}
	return p
}

// mulX8 multiplies each of the eight bytes packed in v by x.
func mulX8(v uint64) uint64 {
	high := v & 0x8080808080808080
	return (v&^high)<<1 ^ (high>>7)*fieldPoly
}

// generator returns the coefficients of g(x), g[j] being that of x^j;
// g[roots] is 1.
func generator(roots int) []byte {
	g := make([]byte, roots+1)
	g[0] = 1
	root := byte(1) // a^0
	for i := range roots {
		// g *= (x + root); in characteristic 2, minus is plus.
		for j := i + 1; j > 0; j-- {
			g[j] = g[j-1] ^ mul(g[j], root)
		}
		g[0] = mul(g[0], root)
		root = mulX(root)
	}
	return g
}

// lanes is the number of uint64 words that hold the parity of one codeword.
func lanes(roots int) int { return (roots + 7) / 8 }

// A code holds the look-up tables of one Params. It is read-only once made
// and shared by the encoding goroutines.
type code struct {
	roots, rsn, lanes int
	// tables[i*lanes+l][b] holds parity bytes 8l..8l+7 of a codeword whose
	// only non-zero input byte is b, at position i; parity byte j is in
	// bits 8(j%8) and up.
	tables [][256]uint64
}

func newCode(roots int) *code {
	c := &code{roots: roots, rsn: CodewordSize - roots, lanes: lanes(roots)}
	c.tables = make([][256]uint64, c.rsn*c.lanes)
	g := generator(roots)

	// rem is x^(roots + k-1-i) mod g for the current position i, highest
	// coefficient first. The last position has x^roots mod g, which is g
	// without its leading 1.
	rem := make([]byte, roots)
	for j := range rem {
		rem[j] = g[roots-1-j]
	}
	for i := c.rsn - 1; i >= 0; i-- {
		for l := range c.lanes {
			var v uint64
			for j := 8 * l; j < min(8*l+8, roots); j++ {
				v |= uint64(rem[j]) << (8 * (j % 8))
			}
			fillTable(&c.tables[i*c.lanes+l], v)
		}
		// rem = rem*x mod g, for the position before.
		top := rem[0]
		copy(rem, rem[1:])
		rem[roots-1] = 0
		for j := range rem {
			rem[j] ^= mul(top, g[roots-1-j])
		}
	}
	return c
}

// fillTable sets t[b] to b times each byte of v: the products with the
// powers of x first, then every other entry as the sum of two earlier
// ones (multiplication distributes over XOR).
func fillTable(t *[256]uint64, v uint64) {
	t[0] = 0
	for k := range 8 {
		t[1<<k] = v
		v = mulX8(v)
	}
	for b := 3; b < 256; b++ {
		if low := b & -b; low != b {
			t[b] = t[b^low] ^ t[low]
		}
	}
}

// addProducts XORs t[block[k]] into acc[k] for every byte of block; acc must
// be at least as long as block. This loop is nearly all of the work.
func addProducts(acc []uint64, t *[256]uint64, block []byte) {
	acc = acc[:len(block)]
	for len(block) >= 8 {
		b := block[:8:8]
		a := acc[:8:8]
		a[0] ^= t[b[0]]
		a[1] ^= t[b[1]]
		a[2] ^= t[b[2]]
		a[3] ^= t[b[3]]
		a[4] ^= t[b[4]]
		a[5] ^= t[b[5]]
		a[6] ^= t[b[6]]
		a[7] ^= t[b[7]]
		block, acc = block[8:], acc[8:]
	}
	for k, b := range block {
		acc[k] ^= t[b]
	}
}
