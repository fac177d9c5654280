package gpt

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"testing"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzRead from sfdisk and fdisk images")

// TestGenerateFuzzSeeds writes the committed FuzzRead seeds. Run it with
//
//	go test ./pkg/gpt -run TestGenerateFuzzSeeds -genseeds
//
// Each seed holds the non-zero runs (see encodeExtents) of the first blocks
// (MBR, primary header and array) and, for some, the last blocks (backup
// array and header) of a real image, plus its size and sector shift.
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("generator; run with -genseeds to rewrite testdata/fuzz/FuzzRead")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	type mut func(img []byte, ss int)
	flip := func(off func(ss int) int) mut {
		return func(img []byte, ss int) { img[off(ss)] ^= 0x01 }
	}
	hugeCount := func(img []byte, ss int) {
		h := img[ss : ss+92]
		binary.LittleEndian.PutUint32(h[80:], 0xffffffff)
		binary.LittleEndian.PutUint32(h[16:], 0)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h))
		last := len(img)/ss - 1
		clear(img[last*ss : last*ss+8]) // and no backup signature
	}
	for _, s := range []struct {
		name     string
		ss       int
		tableLen int
		tail     bool // keep the backup
		mut      mut
	}{
		{name: "sfdisk-512-ok", ss: 512},
		{name: "sfdisk-512-len8-ok", ss: 512, tableLen: 8, tail: true},
		{name: "sfdisk-512-len8-hdrcrc-backup", ss: 512, tableLen: 8, tail: true, mut: flip(func(ss int) int { return ss + 56 })},
		{name: "sfdisk-512-len8-arraycrc-backup", ss: 512, tableLen: 8, tail: true, mut: flip(func(ss int) int { return 2*ss + 56 })},
		{name: "sfdisk-512-len8-hugecount-bad", ss: 512, tableLen: 8, tail: true, mut: hugeCount},
		{name: "fdisk-4096-ok", ss: 4096},
		{name: "fdisk-4096-len8-ok", ss: 4096, tableLen: 8, tail: true},
		{name: "fdisk-4096-nosig-bad", ss: 4096, mut: flip(func(ss int) int { return ss })},
		{name: "fdisk-4096-len8-hdrcrc-backup", ss: 4096, tableLen: 8, tail: true, mut: flip(func(ss int) int { return ss + 56 })},
		{name: "sfdisk-512-nosig-bad", ss: 512, mut: flip(func(ss int) int { return ss })},
	} {
		const size = 64 << 20
		img, err := os.ReadFile(makeImage(t, s.ss, size, s.tableLen))
		if err != nil {
			t.Fatal(err)
		}
		if s.mut != nil {
			s.mut(img, s.ss)
		}
		entries := 128
		if s.tableLen > 0 {
			entries = s.tableLen
		}
		arrayBlocks := (entries*128 + s.ss - 1) / s.ss
		regions := []extent{{Off: 0, Data: img[:(2+arrayBlocks)*s.ss]}}
		if s.tail {
			off := size - (1+arrayBlocks)*s.ss
			regions = append(regions, extent{Off: int64(off), Data: img[off:]})
		}
		shift := byte(bits.TrailingZeros(uint(s.ss)) - 9)
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nint64(%d)\nbyte(%q)\n", encodeExtents(regions...), int64(size), shift)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", s.name, len(seed))
	}
}
