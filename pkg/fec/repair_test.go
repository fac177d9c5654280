package fec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestRepair damages up to Roots blocks of one round, and blocks of
// several rounds at once, and requires Repair to give back their content
// from the rest and the parity, for every lane count and for input that
// ends inside a round.
func TestRepair(t *testing.T) {
	for _, roots := range []int{2, 3, 9, 24} {
		rsn := uint64(255 - roots)
		for _, blocks := range []uint64{rsn + 3, 3*rsn - 1} {
			t.Run(fmt.Sprintf("roots%d/blocks%d", roots, blocks), func(t *testing.T) {
				const bs = 512
				p := Params{Roots: roots, BlockSize: bs}
				input := genData(blocks, int(blocks)*bs, bs)
				par := encodeMem(t, input, p, 1, 1)
				rounds := p.rounds(blocks)
				rng := rand.New(rand.NewPCG(uint64(roots), blocks))
				// Roots blocks of round 1, and one of round 0.
				var bad []uint64
				for _, i := range rng.Perm(int(blocks / rounds))[:roots] {
					bad = append(bad, uint64(i)*rounds+1)
				}
				bad = append(bad, rounds*2)
				damaged := bytes.Clone(input)
				for _, b := range bad {
					for k := range bs {
						damaged[int(b)*bs+k] ^= byte(rng.Uint32()) | 1
					}
				}
				got, err := Repair(bytes.NewReader(damaged), blocks, p, bytes.NewReader(par), 0, bad)
				if err != nil {
					t.Fatalf("Repair(%v): %v", bad, err)
				}
				for k, b := range bad {
					if want := input[int(b)*bs:][:bs]; !bytes.Equal(got[k], want) {
						t.Fatalf("block %d: restored content differs from the original at byte %d", b, firstDiff(got[k], want))
					}
				}
			})
		}
	}
}

// TestRepairRefuses checks that Repair says so, rather than returning
// wrong blocks, when a round has more bad blocks than Roots, when a block
// not named is bad too, and for names out of range.
func TestRepairRefuses(t *testing.T) {
	const bs, roots = 512, 2
	blocks := uint64(600)
	p := Params{Roots: roots, BlockSize: bs}
	input := genData(7, int(blocks)*bs, bs)
	par := encodeMem(t, input, p, 1, 1)
	rounds := p.rounds(blocks)
	damaged := bytes.Clone(input)
	for _, b := range []uint64{1, rounds + 1, 2*rounds + 1} {
		damaged[int(b)*bs+5] ^= 0x40
	}
	for _, tc := range []struct {
		name string
		bad  []uint64
		want error
	}{
		{"three in a round of two roots", []uint64{1, rounds + 1, 2*rounds + 1}, ErrUnrepairable},
		{"one named, two more bad", []uint64{1}, ErrUnrepairable},
		{"past the input", []uint64{blocks}, ErrInvalidParams},
		{"named twice", []uint64{4, 4}, ErrInvalidParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Repair(bytes.NewReader(damaged), blocks, p, bytes.NewReader(par), 0, tc.bad)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Repair(%v) = %v, want %v", tc.bad, err, tc.want)
			}
			t.Log(err)
		})
	}
	// Short parity is an I/O error naming the round.
	if _, err := Repair(bytes.NewReader(damaged), blocks, p, bytes.NewReader(par[:bs]), 0, []uint64{rounds - 1}); err == nil {
		t.Fatal("Repair with the parity cut short succeeded")
	}
}

// TestInvert checks the field matrix inverse on Vandermonde matrices, which
// are invertible, and a singular one.
func TestInvert(t *testing.T) {
	for m := 1; m <= MaxRoots; m++ {
		a := make([][]byte, m)
		for i := range a {
			a[i] = make([]byte, m)
			x := byte(1)
			for range i + 3 {
				x = mulX(x)
			}
			v := byte(1)
			for j := range a[i] {
				a[i][j] = v
				v = mul(v, x)
			}
		}
		inv, ok := invert(a)
		if !ok {
			t.Fatalf("%dx%d Vandermonde matrix: singular", m, m)
		}
		for i := range m {
			for j := range m {
				var v byte
				for k := range m {
					v ^= mul(a[i][k], inv[k][j])
				}
				if want := byte(0); i == j && v != 1 || i != j && v != want {
					t.Fatalf("%dx%d: a*inv[%d][%d] = %#x", m, m, i, j, v)
				}
			}
		}
	}
	if _, ok := invert([][]byte{{1, 2}, {2, 4}}); ok {
		t.Fatal("a singular matrix was inverted")
	}
	for a := 1; a < 256; a++ {
		if mul(byte(a), inverse(byte(a))) != 1 {
			t.Fatalf("inverse(%#x) is wrong", a)
		}
	}
}
