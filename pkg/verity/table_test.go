package verity

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/devtest"
)

// TestKernelTable checks the table line against the examples in the
// kernel's Documentation/admin-guide/device-mapper/verity.rst and verity.md
// and against the format of cryptsetup's get_dm_verity_params
// (lib/libdevmapper.c):
//
//	"%u %s %s %u %u %" PRIu64 " %" PRIu64 " %s %s %s%s%s%s",
//	vp->hash_type, data_device, hash_device, vp->data_block_size,
//	vp->hash_block_size, vp->data_size, tgt->u.verity.hash_offset,
//	vp->hash_name, hexroot, hexsalt, features, fec_features, verify_args
//
// where hash_offset is VERITY_hash_offset_block (lib/verity/verity.c),
// hexsalt is crypt_bytes_to_hex ("-" for an empty salt, lower case), and
// features is " %d" followed by the option words when there are any. The
// length is dmd.size = data_size * data_block_size / 512 (VERITY_activate).
func TestKernelTable(t *testing.T) {
	rstRoot := mustHex(t, "4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076")
	rstSalt := mustHex(t, "1234000000000000000000000000000000000000000000000000000000000000")
	for _, tc := range []struct {
		name       string
		p          Params
		data, hash string
		root       []byte
		opts       []string
		params     string
		sectors    uint64
	}{
		{
			// verity.rst "Example": dmsetup create vroot --readonly --table
			// "0 2097152 verity 1 /dev/sda1 /dev/sda2 4096 4096 262144 1 sha256 4392…9076 1234…0000",
			// for the tree "veritysetup format /dev/sda1 /dev/sda2" writes.
			name: "verity.rst example",
			p:    Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 262144, Salt: rstSalt},
			data: "/dev/sda1", hash: "/dev/sda2", root: rstRoot,
			params:  "1 /dev/sda1 /dev/sda2 4096 4096 262144 1 sha256 4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076 1234000000000000000000000000000000000000000000000000000000000000",
			sectors: 2097152,
		},
		{
			// verity.md §9 dm-mod.create example:
			// "0 1638400 verity 1 8:1 8:2 4096 4096 204800 1 sha256 <root> <salt>".
			name: "dm-mod.create example",
			p:    Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 204800, Salt: rstSalt},
			data: "8:1", hash: "8:2", root: rstRoot,
			params:  "1 8:1 8:2 4096 4096 204800 1 sha256 4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076 1234000000000000000000000000000000000000000000000000000000000000",
			sectors: 1638400,
		},
		{
			name: "no salt, options",
			p:    Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 262144},
			data: "/dev/vda2", hash: "/dev/vda3", root: rstRoot,
			opts:    []string{"restart_on_corruption", "ignore_zero_blocks"},
			params:  "1 /dev/vda2 /dev/vda3 4096 4096 262144 1 sha256 4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076 - 2 restart_on_corruption ignore_zero_blocks",
			sectors: 2097152,
		},
		{
			// Yocto dm-verity-img: data 1024, hash 4096, tree appended at
			// DATA_SIZE on the same device: hash start DATA_SIZE/4096 + 1.
			name: "same device, 1k data blocks",
			p:    Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 1024, HashBlockSize: 4096, DataBlocks: 10001, Salt: []byte{0x5e, 0xcc}, HashOffsetBytes: 10004 * 1024},
			data: "/dev/mmcblk0p2", hash: "/dev/mmcblk0p2", root: rstRoot,
			params:  "1 /dev/mmcblk0p2 /dev/mmcblk0p2 1024 4096 10001 2502 sha256 4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076 5ecc",
			sectors: 20002,
		},
		{
			name: "no superblock, format 0, sha1, signature key",
			p:    Params{HashType: 0, Algorithm: "sha1", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 8, HashOffsetBytes: 8192, NoSuperblock: true},
			data: "254:0", hash: "254:1", root: rstRoot[:20],
			opts:    []string{"root_hash_sig_key_desc", "verinit:root"},
			params:  "0 254:0 254:1 4096 4096 8 2 sha1 4392712ba01368efdf14b05c76f9e4df0d536646 - 2 root_hash_sig_key_desc verinit:root",
			sectors: 64,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, params, sectors, err := tc.p.KernelTable(tc.data, tc.hash, tc.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if target != "verity" || params != tc.params || sectors != tc.sectors {
				t.Fatalf("KernelTable =\n%q %q %d\nwant\n%q %q %d", target, params, sectors, "verity", tc.params, tc.sectors)
			}
		})
	}
}

// TestKernelTableFormat checks that the table built for a tree made by
// Format points at that tree: hash_start_block * hash_block_size is where
// the top-level block is, and its hash is the root.
func TestKernelTableFormat(t *testing.T) {
	for _, p := range []Params{stdParams(300), func() Params { p := stdParams(300); p.HashOffsetBytes = 300 * 4096; return p }()} {
		data := genData(1, 300*4096, 4096)
		hash, root := formatMem(t, data, p, 1)
		dev := devtest.NewMemDev(hash)
		if err := CheckRootHash(dev, p, root); err != nil {
			t.Fatal(err)
		}
		_, params, _, err := p.KernelTable("/dev/a", "/dev/b", root, nil)
		if err != nil {
			t.Fatal(err)
		}
		levels, _, _ := p.TreeLayout()
		f := strings.Fields(params)
		if len(f) != 10 {
			t.Fatalf("table %q has %d words", params, len(f))
		}
		if want := strconv.FormatUint(levels[len(levels)-1].OffsetBytes/4096, 10); f[6] != want {
			t.Fatalf("hash_start_block %s, want %s", f[6], want)
		}
		if f[7] != "sha256" || f[8] != hex.EncodeToString(root) || f[9] != hex.EncodeToString(p.Salt) {
			t.Fatalf("table %q", params)
		}
	}
}

func TestKernelTableErrors(t *testing.T) {
	p := stdParams(8)
	root := make([]byte, 32)
	for _, tc := range []struct {
		name       string
		p          Params
		data, hash string
		root       []byte
		opts       []string
	}{
		{"invalid params", Params{}, "a", "b", root, nil},
		{"short root", p, "a", "b", root[:31], nil},
		{"empty data device", p, "", "b", root, nil},
		{"space in hash device", p, "a", "/dev/my disk", root, nil},
		{"empty option", p, "a", "b", root, []string{""}},
		{"two words in one option", p, "a", "b", root, []string{"use_fec_from_device /dev/x"}},
		{"backslash", p, "a", "b", root, []string{`a\ b`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, params, sectors, err := tc.p.KernelTable(tc.data, tc.hash, tc.root, tc.opts)
			if !errors.Is(err, ErrInvalidParams) || target != "" || params != "" || sectors != 0 {
				t.Fatalf("KernelTable = %q, %q, %d, %v; want ErrInvalidParams", target, params, sectors, err)
			}
		})
	}
}

// TestFECArgsCountVeritysetup: FECArgs counts the blocks the parity
// covers as veritysetup's encoder did. The parity veritysetup writes is
// rounds*roots blocks, rounds = ceil(covered/(255-roots)); for each
// case that is checked against the size of the parity veritysetup
// format --fec-device wrote, and the count against the kernel's rule
// (fec_blocks - data_blocks blocks of the hash device, from its tree).
func TestFECArgsCountVeritysetup(t *testing.T) {
	for _, tc := range []struct {
		name                string
		dataBytes, hashSize int64 // the hash file's size before format
		roots               int
		hashOffset          int64
	}{
		{"separate, 1 MiB hash", 3000000, 1 << 20, 2, 0},
		{"separate, larger hash, 24 roots", 5 << 20, 4 << 20, 24, 0},
		{"hash at an offset", 2 << 20, 3 << 20, 7, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data, hash, fec := filepath.Join(dir, "data"), filepath.Join(dir, "hash"), filepath.Join(dir, "fec")
			if err := os.WriteFile(data, genData(3, int(tc.dataBytes), 4096), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				path string
				size int64
			}{{hash, tc.hashSize}, {fec, 0}} {
				if err := os.WriteFile(f.path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(f.path, f.size); err != nil {
					t.Fatal(err)
				}
			}
			runVS(t, "format", data, hash, "--fec-device", fec, fmt.Sprintf("--fec-roots=%d", tc.roots), fmt.Sprintf("--hash-offset=%d", tc.hashOffset))
			st, err := os.Stat(fec)
			if err != nil {
				t.Fatal(err)
			}
			p := Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: uint64(tc.dataBytes / 4096),
				Salt: []byte{1}, HashOffsetBytes: uint64(tc.hashOffset)}
			args, err := p.FECArgs("254:3", tc.roots, 0, uint64(tc.hashSize), false)
			if err != nil {
				t.Fatal(err)
			}
			blocks, _ := strconv.ParseUint(args[5], 10, 64)
			rsn := uint64(255 - tc.roots)
			rounds := (blocks + rsn - 1) / rsn
			if got, want := uint64(st.Size()), rounds*uint64(tc.roots)*4096; got != want {
				t.Errorf("fec_blocks %d: %d rounds, %d bytes of parity; veritysetup wrote %d", blocks, rounds, want, got)
			}
			want := []string{"use_fec_from_device", "254:3", "fec_start", "0", "fec_blocks", args[5], "fec_roots", strconv.Itoa(tc.roots)}
			if !slices.Equal(args, want) {
				t.Errorf("args %q", args)
			}
		})
	}
}

func TestFECArgsErrors(t *testing.T) {
	p := Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 100}
	for _, tc := range []struct {
		name    string
		p       Params
		roots   int
		offset  uint64
		hash    uint64
		same    bool
		wantErr string
	}{
		{"block sizes differ", Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 1024, DataBlocks: 100}, 2, 0, 1 << 20, false,
			"forward error correction needs equal data and hash block sizes, not 4096 and 1024"},
		{"one root", p, 1, 0, 1 << 20, false, "FEC roots 1: want 2 to 24"},
		{"25 roots", p, 25, 0, 1 << 20, false, "FEC roots 25: want 2 to 24"},
		{"offset inside a block", p, 2, 512, 1 << 20, false, "FEC offset 512 is not a multiple of the block size 4096"},
		{"parity before the tree", p, 2, 0, 1 << 20, true, "the FEC parity at byte 0 of the hash device starts before its tree (block 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.FECArgs("254:3", tc.roots, tc.offset, tc.hash, tc.same)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidParams) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	// On the hash device, after the tree: the tree's blocks up to the parity.
	args, err := p.FECArgs("254:2", 2, 1<<20, 8<<20, true)
	if err != nil || args[3] != "256" || args[5] != strconv.Itoa(100+256-1) {
		t.Errorf("args %q, %v", args, err)
	}
}
