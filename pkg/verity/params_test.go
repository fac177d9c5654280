package verity

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(p *Params)
		err  string
	}{
		{"ok", func(p *Params) {}, ""},
		{"format 0", func(p *Params) { p.HashType = 0 }, ""},
		{"no salt", func(p *Params) { p.Salt = nil }, ""},
		{"max salt", func(p *Params) { p.Salt = make([]byte, 256) }, ""},
		{"one block", func(p *Params) { p.DataBlocks = 1 }, ""},
		{"smallest blocks", func(p *Params) { p.DataBlockSize, p.HashBlockSize = 512, 512 }, ""},
		{"largest blocks", func(p *Params) { p.DataBlockSize, p.HashBlockSize = 65536, 65536 }, ""},
		{"offset 512", func(p *Params) { p.HashOffsetBytes = 512 }, ""},
		{"no superblock at hash block", func(p *Params) { p.NoSuperblock = true; p.HashOffsetBytes = 8192 }, ""},
		{"hash type 2", func(p *Params) { p.HashType = 2 }, "verity: invalid parameters: hash type 2 is not 0 or 1"},
		{"hash type -1", func(p *Params) { p.HashType = -1 }, "verity: invalid parameters: hash type -1 is not 0 or 1"},
		{"algorithm", func(p *Params) { p.Algorithm = "SHA256" }, `verity: invalid parameters: unsupported hash algorithm "SHA256" (want sha1, sha256 or sha512)`},
		{"data block size", func(p *Params) { p.DataBlockSize = 3000 }, "verity: invalid parameters: data block size 3000 is not a power of two from 512 to 65536"},
		{"data block size 0", func(p *Params) { p.DataBlockSize = 0 }, "verity: invalid parameters: data block size 0 is not a power of two from 512 to 65536"},
		{"hash block size", func(p *Params) { p.HashBlockSize = 1 << 17 }, "verity: invalid parameters: hash block size 131072 is not a power of two from 512 to 65536"},
		{"salt", func(p *Params) { p.Salt = make([]byte, 257) }, "verity: invalid parameters: salt of 257 bytes is longer than 256 bytes"},
		{"no blocks", func(p *Params) { p.DataBlocks = 0 }, "verity: invalid parameters: no data blocks"},
		{"data overflow", func(p *Params) { p.DataBlocks = 1 << 51 }, "verity: invalid parameters: 2251799813685248 data blocks of 4096 bytes overflow a 63-bit byte offset"},
		{"offset unaligned", func(p *Params) { p.HashOffsetBytes = 100 }, "verity: invalid parameters: hash offset 100 is not a multiple of 512"},
		{"offset overflow", func(p *Params) { p.HashOffsetBytes = math.MaxInt64 - 511 }, "verity: invalid parameters: hash offset 9223372036854775296 overflows a 63-bit byte offset"},
		{"no superblock unaligned", func(p *Params) { p.NoSuperblock = true; p.HashOffsetBytes = 512 }, "verity: invalid parameters: hash offset 512 without a superblock is not a multiple of the hash block size 4096"},
		{"tree overflow", func(p *Params) { p.HashOffsetBytes = math.MaxInt64 - 8192 - 511; p.DataBlocks = 1 << 20 }, "verity: invalid parameters: hash tree ends past a 63-bit byte offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := stdParams(1000)
			tc.mut(&p)
			err := p.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("Validate = %v, want %q", err, tc.err)
			}
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("Validate error does not match ErrInvalidParams")
			}
		})
	}
}

func TestTreeLayout(t *testing.T) {
	mk := func(n uint64, f func(p *Params)) Params {
		p := stdParams(n)
		f(&p)
		return p
	}
	none := func(*Params) {}
	for _, tc := range []struct {
		name      string
		p         Params
		levels    []Level
		treeBytes uint64
	}{
		// verity.md §3 worked example: 1 GiB at 4 KiB, levels 2/1/0 =
		// 1/16/2048 blocks, tree at block 1, (1+2065)*4096 bytes in all.
		{"1GiB", mk(262144, none), []Level{{OffsetBytes: 18 * 4096, Blocks: 2048}, {OffsetBytes: 2 * 4096, Blocks: 16}, {OffsetBytes: 4096, Blocks: 1}}, 2065 * 4096},
		{"one block", mk(1, none), []Level{}, 0},
		{"two blocks", mk(2, none), []Level{{OffsetBytes: 4096, Blocks: 1}}, 4096},
		{"128 blocks", mk(128, none), []Level{{OffsetBytes: 4096, Blocks: 1}}, 4096},
		{"129 blocks", mk(129, none), []Level{{OffsetBytes: 8192, Blocks: 2}, {OffsetBytes: 4096, Blocks: 1}}, 3 * 4096},
		// sha1 pads to 32 bytes: 128 per 4 KiB block, not 204.
		{"sha1 129 blocks", mk(129, func(p *Params) { p.Algorithm = "sha1" }), []Level{{OffsetBytes: 8192, Blocks: 2}, {OffsetBytes: 4096, Blocks: 1}}, 3 * 4096},
		// Format 0 packs sha1 digests but still uses 2^floor(log2(4096/20)) = 128.
		{"sha1 v0 129 blocks", mk(129, func(p *Params) { p.Algorithm = "sha1"; p.HashType = 0 }), []Level{{OffsetBytes: 8192, Blocks: 2}, {OffsetBytes: 4096, Blocks: 1}}, 3 * 4096},
		{"sha512 hb512", mk(100, func(p *Params) { p.Algorithm = "sha512"; p.HashBlockSize = 512 }), []Level{{OffsetBytes: 4 * 512, Blocks: 13}, {OffsetBytes: 2 * 512, Blocks: 2}, {OffsetBytes: 512, Blocks: 1}}, 16 * 512},
		// The superblock at 1536 ends at 2048; the tree starts at the next
		// hash block, 4096 (offset/HB + 1).
		{"superblock offset 1536", mk(2, func(p *Params) { p.HashOffsetBytes = 1536 }), []Level{{OffsetBytes: 4096, Blocks: 1}}, 4096},
		{"superblock offset 3584", mk(2, func(p *Params) { p.HashOffsetBytes = 3584 }), []Level{{OffsetBytes: 4096, Blocks: 1}}, 4096},
		{"superblock offset 4096", mk(2, func(p *Params) { p.HashOffsetBytes = 4096 }), []Level{{OffsetBytes: 8192, Blocks: 1}}, 4096},
		{"no superblock", mk(2, func(p *Params) { p.NoSuperblock = true }), []Level{{OffsetBytes: 0, Blocks: 1}}, 4096},
		{"no superblock offset", mk(2, func(p *Params) { p.NoSuperblock = true; p.HashOffsetBytes = 1 << 20 }), []Level{{OffsetBytes: 1 << 20, Blocks: 1}}, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			levels, treeBytes, err := tc.p.TreeLayout()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(levels, tc.levels) || treeBytes != tc.treeBytes {
				t.Fatalf("TreeLayout = %+v, %d; want %+v, %d", levels, treeBytes, tc.levels, tc.treeBytes)
			}
		})
	}
	if _, _, err := (Params{}).TreeLayout(); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("TreeLayout of zero Params = %v, want ErrInvalidParams", err)
	}
}
