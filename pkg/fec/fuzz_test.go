package fec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzEncode encodes arbitrary input with arbitrary parameters, with one
// goroutine and one round a unit, and with several goroutines and the
// default units, and requires the same result: no panic, the same parity
// or the same error. An invalid parameter must give ErrInvalidParams; a
// small enough valid input must match refEncode.
//
// Arguments: the input's bytes (zero-padded to its size), the number of
// input blocks, Params.Roots, Params.BlockSize and a worker count. The
// seeds are in testdata/fuzz/FuzzEncode; TestFuzzSeeds checks that each
// one ends as its name says.
func FuzzEncode(f *testing.F) {
	f.Add([]byte("verinit fec"), uint16(300), uint8(0), uint32(0), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, blocks uint16, roots uint8, blockSize uint32, workers uint8) {
		p := Params{Roots: int(roots), BlockSize: int(blockSize)}
		bs := int64(blockSizeOf(p))
		size := int64(blocks) * bs
		if size > 8<<20 {
			return // keep each run short
		}
		input := zeroPadded{b: data, size: size}

		one := &memDev{}
		err1 := func() error {
			np, err := p.normalize()
			if err != nil {
				return err
			}
			if err := np.checkInput(uint64(blocks)); err != nil {
				return err
			}
			return encode(context.Background(), input, uint64(blocks), np, one, 0, 1, 1)
		}()
		many := &memDev{}
		err2 := Encode(context.Background(), input, uint64(blocks), p, many, 0, int(workers%5)+2)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("one goroutine: %v; several: %v", err1, err2)
		}
		if err2 != nil {
			if p.Validate() == nil && blocks != 0 || !errors.Is(err2, ErrInvalidParams) {
				t.Fatalf("unexpected error: %v", err2)
			}
			return
		}
		if !bytes.Equal(one.Bytes(), many.Bytes()) {
			t.Fatalf("parity differs between one goroutine and several, first at byte %d", firstDiff(one.Bytes(), many.Bytes()))
		}
		parity, err := p.ParityBlocks(uint64(blocks))
		if err != nil || int64(len(many.Bytes())) != int64(parity)*bs {
			t.Fatalf("wrote %d bytes, ParityBlocks says %d blocks (%v)", len(many.Bytes()), parity, err)
		}
		if size <= 256<<10 {
			buf := make([]byte, size)
			_, _ = input.ReadAt(buf, 0)
			np, _ := p.normalize()
			if want := refEncode(buf, np.BlockSize, np.Roots); !bytes.Equal(many.Bytes(), want) {
				t.Fatalf("parity differs from the reference first at byte %d", firstDiff(many.Bytes(), want))
			}
		}
	})
}

// TestFuzzSeeds checks the outcome that each seed's name promises: a name
// ending in -ok must encode, one ending in -bad must fail with
// ErrInvalidParams. (go test runs the seeds through FuzzEncode as well.)
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzEncode", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		data, blocks, roots, blockSize := parseSeed(t, file)
		p := Params{Roots: roots, BlockSize: blockSize}
		in := zeroPadded{b: data, size: int64(blocks) * int64(blockSizeOf(p))}
		err := Encode(context.Background(), in, blocks, p, &memDev{}, 0, 2)
		switch {
		case strings.HasSuffix(name, "-ok") && err != nil:
			t.Errorf("%s: %v", name, err)
		case strings.HasSuffix(name, "-bad") && !errors.Is(err, ErrInvalidParams):
			t.Errorf("%s: got %v, want an invalid-parameter error", name, err)
		case !strings.HasSuffix(name, "-ok") && !strings.HasSuffix(name, "-bad"):
			t.Errorf("%s: the name ends in neither -ok nor -bad", name)
		}
	}
}

// parseSeed reads the first four values of a FuzzEncode corpus file.
func parseSeed(t *testing.T, file string) (data []byte, blocks uint64, roots, blockSize int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	value := func(i int, typ string) string {
		if len(lines) != 6 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a FuzzEncode corpus file", file)
		}
		v, ok := strings.CutPrefix(lines[i], typ+"(")
		v, ok2 := strings.CutSuffix(v, ")")
		if !ok || !ok2 {
			t.Fatalf("%s: line %d is not a %s", file, i+1, typ)
		}
		return v
	}
	s, err1 := strconv.Unquote(value(1, "[]byte"))
	n, err2 := strconv.ParseUint(value(2, "uint16"), 10, 16)
	r, _, _, err3 := strconv.UnquoteChar(strings.Trim(value(3, "byte"), "'"), '\'')
	bs, err4 := strconv.ParseUint(value(4, "uint32"), 10, 32)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return []byte(s), n, int(r), int(bs)
}

// FuzzRepair repairs arbitrary input from arbitrary parity (both untrusted
// disk bytes to verinit verity verify) with blocks named bad by a bit mask,
// and requires no panic and, when it succeeds, blocks whose re-encoding
// with the rest gives back the parity's equations it used: a success is a
// consistent solution, never garbage the spare parity contradicts.
//
// Arguments: the input's bytes (zero-padded to blocks of 512 bytes), the
// parity's bytes, the number of input blocks, Params.Roots and a mask of
// the first 64 blocks taken as bad. The seeds are in
// testdata/fuzz/FuzzRepair.
func FuzzRepair(f *testing.F) {
	f.Add([]byte("verinit fec"), []byte("parity"), uint16(300), uint8(2), uint64(0b1001))
	f.Fuzz(func(t *testing.T, data, parity []byte, blocks uint16, roots uint8, mask uint64) {
		const bs = 512
		if blocks > 2048 {
			return // keep the reference encoder below short
		}
		p := Params{Roots: int(roots), BlockSize: bs}
		input := zeroPadded{b: data, size: int64(blocks) * bs}
		var bad []uint64
		for b := range min(uint64(blocks), 64) {
			if mask&(1<<b) != 0 {
				bad = append(bad, b)
			}
		}
		got, err := Repair(input, uint64(blocks), p, bytes.NewReader(parity), 0, bad)
		if err != nil {
			return
		}
		if len(got) != len(bad) {
			t.Fatalf("%d blocks for %d named", len(got), len(bad))
		}
		// Put the repaired blocks in and encode: where the parity was read,
		// it must be what encoding gives for every round touched.
		fixed := make([]byte, int(blocks)*bs)
		_, _ = input.ReadAt(fixed, 0)
		for k, b := range bad {
			copy(fixed[int(b)*bs:], got[k])
		}
		np, _ := p.normalize()
		want := refEncode(fixed, bs, np.Roots)
		rounds := np.rounds(uint64(blocks))
		for _, b := range bad {
			n := int(b % rounds)
			lo, hi := n*bs*np.Roots, (n+1)*bs*np.Roots
			if i := firstDiff(want[lo:hi], parity[lo:hi]); i >= 0 {
				t.Fatalf("round %d: repaired blocks re-encode to other parity at byte %d", n, lo+i)
			}
		}
	})
}
