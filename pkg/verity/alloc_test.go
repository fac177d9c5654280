package verity

import (
	"bytes"
	"math"
	"testing"

	"github.com/verinit/verinit/internal/alloctest"
	"github.com/verinit/verinit/internal/devtest"
)

// TestHostileSuperblockAllocation reads the worst superblock a hash device
// can hold: the largest salt, the largest hash blocks, the smallest data
// blocks and the most of them, on a 1 MiB hash device. What the init does
// with it (parse, CheckRootHash, and Verify on the host) must allocate a
// bound set by the format's limits (one 64 KiB hash block), not by the
// sizes the superblock states: the tree it describes is 2^63 bytes long.
func TestHostileSuperblockAllocation(t *testing.T) {
	for _, tc := range []struct {
		name string
		sb   Superblock
	}{
		{"2^54 data blocks of 512, 64 KiB hash blocks, 256-byte salt, sha512", Superblock{
			Version: 1, HashType: 1, Algorithm: "sha512", DataBlockSize: 512, HashBlockSize: MaxBlockSize,
			DataBlocks: math.MaxInt64 / 512, Salt: bytes.Repeat([]byte{0xa5}, MaxSaltSize),
		}},
		{"2^47 data blocks of 64 KiB, 512-byte hash blocks, format 0 sha1", Superblock{
			Version: 1, HashType: 0, Algorithm: "sha1", DataBlockSize: MaxBlockSize, HashBlockSize: 512,
			DataBlocks: math.MaxInt64 / MaxBlockSize, Salt: bytes.Repeat([]byte{0x5a}, MaxSaltSize),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.sb.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			hash := devtest.NewMemDev(append(enc, make([]byte, 1<<20-len(enc))...))
			data := devtest.NewMemDev(make([]byte, 1<<20))
			root := make([]byte, digestSize(tc.sb.Algorithm))
			const limit = 2*MaxBlockSize + 16<<10
			for _, step := range []struct {
				name string
				run  func() error
			}{
				{"ParseSuperblock+CheckRootHash", func() error {
					sb, err := ParseSuperblock(hash.Bytes()[:SuperblockSize])
					if err != nil {
						return err
					}
					return CheckRootHash(hash, sb.Params(0), root)
				}},
				{"Verify", func() error {
					sb, err := ParseSuperblock(hash.Bytes()[:SuperblockSize])
					if err != nil {
						return err
					}
					return Verify(data, hash, sb.Params(0), root, 1)
				}},
			} {
				var err error
				got := alloctest.Bytes(func() { err = step.run() })
				if err == nil {
					t.Fatalf("%s accepted a tree of %d data blocks on 1 MiB devices", step.name, tc.sb.DataBlocks)
				}
				if got > limit {
					t.Errorf("%s allocated %d bytes (%v), limit %d", step.name, got, err, limit)
				}
			}
		})
	}
}
