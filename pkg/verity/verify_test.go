package verity

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// threeLevels returns parameters for a three-level tree: 777 data blocks
// of 4 KiB, 512-byte hash blocks of 16 sha256 digests, so levels 0/1/2
// hold 49/4/1 blocks at hash blocks 6/2/1 after the superblock.
func threeLevels() Params {
	p := stdParams(777)
	p.HashBlockSize = 512
	return p
}

// want describes the error Verify should return.
type want struct {
	device string // "" for no *CorruptionError
	level  int
	block  uint64
	offset int64
	root   bool   // errors.Is(err, ErrRootHashMismatch)
	text   string // substring of the error text
	is     error  // other sentinel, or nil
}

func TestVerify(t *testing.T) {
	p := threeLevels()
	data := genData(7, 777*4096, 4096)
	hash, root := formatMem(t, data, p, 2)
	levels, _, err := p.TreeLayout()
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) != 3 || levels[0].Blocks != 49 || levels[1].Blocks != 4 || levels[2].Blocks != 1 {
		t.Fatalf("layout %+v", levels)
	}
	hb := int64(p.HashBlockSize)
	lo := func(level int, block int64) int64 { return int64(levels[level].OffsetBytes) + block*hb }
	flip := func(b []byte, off int64) { b[off] ^= 0x01 }

	for _, tc := range []struct {
		name string
		mut  func(d, h []byte, root []byte)
		want want
	}{
		{name: "intact", mut: func(d, h, r []byte) {}},
		{name: "data block 100", mut: func(d, h, r []byte) { flip(d, 100*4096+4095) },
			want: want{device: "data", level: -1, block: 100, offset: 100 * 4096, text: "verity: data block 100 (byte 0x64000 of the data device) does not match its hash"}},
		{name: "zero data block 7", mut: func(d, h, r []byte) { flip(d, 7*4096) },
			want: want{device: "data", level: -1, block: 7, offset: 7 * 4096}},
		{name: "last data block", mut: func(d, h, r []byte) { flip(d, 777*4096-1) },
			want: want{device: "data", level: -1, block: 776, offset: 776 * 4096}},
		{name: "data blocks 700 and 100", mut: func(d, h, r []byte) { flip(d, 700*4096); flip(d, 100*4096) },
			want: want{device: "data", level: -1, block: 100, offset: 100 * 4096}},
		{name: "level 0 block 5", mut: func(d, h, r []byte) { flip(h, lo(0, 5)+40) },
			want: want{device: "hash", level: 0, block: 5, offset: lo(0, 5), text: "verity: hash block 5 of level 0 (byte 0x1600 of the hash device) does not match its hash"}},
		{name: "level 0 padding of the last block", mut: func(d, h, r []byte) { flip(h, lo(0, 48)+500) },
			want: want{device: "hash", level: 0, block: 48, offset: lo(0, 48)}},
		{name: "level 0 block before data block", mut: func(d, h, r []byte) { flip(d, 3*4096); flip(h, lo(0, 30)) },
			want: want{device: "hash", level: 0, block: 30, offset: lo(0, 30)}},
		{name: "level 1 block 2", mut: func(d, h, r []byte) { flip(h, lo(1, 2)+1) },
			want: want{device: "hash", level: 1, block: 2, offset: lo(1, 2)}},
		{name: "level 1 before level 0", mut: func(d, h, r []byte) { flip(h, lo(0, 1)); flip(h, lo(1, 3)) },
			want: want{device: "hash", level: 1, block: 3, offset: lo(1, 3)}},
		{name: "top block entry", mut: func(d, h, r []byte) { flip(h, lo(2, 0)+33) },
			want: want{device: "hash", level: 2, block: 0, offset: lo(2, 0), text: "verity: hash block 0 of level 2 (byte 0x200 of the hash device) does not match its hash"}},
		{name: "top block padding", mut: func(d, h, r []byte) { flip(h, lo(2, 0)+4*32+3) },
			want: want{device: "hash", level: 2, block: 0, offset: lo(2, 0), text: "verity: hash block 0 of level 2 (byte 0x200 of the hash device) has a non-zero byte in its unused area at byte 0x283"}},
		{name: "wrong root hash", mut: func(d, h, r []byte) { r[0] ^= 1 },
			want: want{root: true, text: "verity: root hash mismatch: the hash tree matches the data, but its top-level hash block (byte 0x200 of the hash device) hashes to "}},
		{name: "wrong root hash and data block", mut: func(d, h, r []byte) { r[0] ^= 1; flip(d, 9*4096) },
			want: want{device: "data", level: -1, block: 9, offset: 9 * 4096, root: true, text: "; the root hash does not match either"}},
		{name: "superblock salt", mut: func(d, h, r []byte) { flip(h, 88+3) },
			want: want{text: "verity: superblock: Salt does not match the parameters at byte 0x58", is: ErrSuperblockMismatch}},
		{name: "superblock data blocks", mut: func(d, h, r []byte) { flip(h, 72) },
			want: want{text: "verity: superblock: DataBlocks does not match the parameters at byte 0x48: got 776, want 777", is: ErrSuperblockMismatch}},
		{name: "superblock signature", mut: func(d, h, r []byte) { flip(h, 0) },
			want: want{text: "verity: superblock: no \"verity\\x00\\x00\" signature at byte 0x0", is: ErrNoSuperblock}},
		{name: "superblock padding", mut: func(d, h, r []byte) { flip(h, 400) },
			want: want{text: "verity: superblock: non-zero padding at byte 0x190: got 1, want 0"}},
	} {
		for _, workers := range []int{1, 2, 5} {
			d, h, r := bytes.Clone(data), bytes.Clone(hash), bytes.Clone(root)
			tc.mut(d, h, r)
			err := Verify(bytes.NewReader(d), bytes.NewReader(h), p, r, workers)
			checkWant(t, tc.name, err, tc.want)
		}
	}
}

func checkWant(t *testing.T, name string, err error, w want) {
	t.Helper()
	if w == (want{}) {
		if err != nil {
			t.Errorf("%s: Verify = %v, want nil", name, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: Verify = nil, want an error", name)
		return
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, w.text) {
		t.Errorf("%s: error %q does not contain %q", name, msg, w.text)
	}
	var ce *CorruptionError
	isCE := errors.As(err, &ce)
	if w.device == "" {
		if isCE {
			t.Errorf("%s: got %v, want no *CorruptionError", name, err)
		}
	} else if !isCE || ce.Device != w.device || ce.Level != w.level || ce.Block != w.block || ce.Offset != w.offset {
		t.Errorf("%s: got %#v (%v), want %s level %d block %d offset %#x", name, ce, err, w.device, w.level, w.block, w.offset)
	}
	if errors.Is(err, ErrRootHashMismatch) != w.root {
		t.Errorf("%s: errors.Is(%v, ErrRootHashMismatch) = %v", name, err, !w.root)
	}
	if w.is != nil && !errors.Is(err, w.is) {
		t.Errorf("%s: error %v does not match %v", name, err, w.is)
	}
}

// TestVerifySmallTrees covers the trees without levels held in memory: one
// level (the top is level 0) and no level at all (a single data block).
func TestVerifySmallTrees(t *testing.T) {
	p := stdParams(100) // one level-0 block of 100 digests
	data := genData(3, 100*4096, 4096)
	hash, root := formatMem(t, data, p, 2)
	flip := func(b []byte, off int) { b[off] ^= 0x40 }
	for _, tc := range []struct {
		name string
		mut  func(d, h, r []byte)
		want want
	}{
		{"intact", func(d, h, r []byte) {}, want{}},
		{"data block 42", func(d, h, r []byte) { flip(d, 42*4096+1) }, want{device: "data", level: -1, block: 42, offset: 42 * 4096}},
		{"top entry", func(d, h, r []byte) { flip(h, 4096+42*32) }, want{device: "hash", level: 0, block: 0, offset: 4096}},
		{"top padding", func(d, h, r []byte) { flip(h, 4096+100*32) }, want{device: "hash", level: 0, block: 0, offset: 4096}},
		{"root", func(d, h, r []byte) { flip(r, 31) }, want{root: true, text: "root hash mismatch: the hash tree matches the data"}},
	} {
		d, h, r := bytes.Clone(data), bytes.Clone(hash), bytes.Clone(root)
		tc.mut(d, h, r)
		checkWant(t, tc.name, Verify(bytes.NewReader(d), bytes.NewReader(h), p, r, 2), tc.want)
	}

	p1 := stdParams(1)
	data1 := genData(4, 4096, 4096)
	hash1, root1 := formatMem(t, data1, p1, 1)
	if len(hash1) != 4096 {
		t.Fatalf("one-block hash device of %d bytes, want the superblock padded to 4096", len(hash1))
	}
	if err := Verify(bytes.NewReader(data1), bytes.NewReader(hash1), p1, root1, 1); err != nil {
		t.Fatalf("Verify(one block) = %v", err)
	}
	data1[5] ^= 1
	err := Verify(bytes.NewReader(data1), bytes.NewReader(hash1), p1, root1, 1)
	checkWant(t, "one block, data changed", err, want{root: true, text: "verity: root hash mismatch: the data block 0 (byte 0x0 of the data device) hashes to"})
}

// TestVerifyPadding checks that non-zero bytes in the unused area of a hash
// block are refused even when the tree was built over them (as veritysetup
// verify does: "Spare area is not zeroed").
func TestVerifyPadding(t *testing.T) {
	for _, alg := range []string{"sha1", "sha256"} {
		p := stdParams(100)
		p.Algorithm = alg
		data := genData(5, 100*4096, 4096)
		hash, _ := formatMem(t, data, p, 1)
		// sha1 digests are padded from 20 to 32 bytes: poke into entry 7's
		// padding; for sha256, after the last entry.
		off := 4096 + 7*32 + 25
		if alg == "sha256" {
			off = 4096 + 100*32 + 9
		}
		hash[off] = 0xee
		root := make([]byte, digestSize(alg))
		newHasher(&p).sum(root, hash[4096:8192])
		err := Verify(bytes.NewReader(data), bytes.NewReader(hash), p, root, 1)
		checkWant(t, alg, err, want{device: "hash", level: 0, block: 0, offset: 4096, text: "has a non-zero byte in its unused area at byte 0x" + strconv.FormatInt(int64(off), 16)})
	}
}

func TestVerifyIOErrors(t *testing.T) {
	p := threeLevels()
	data := genData(8, 777*4096, 4096)
	hash, root := formatMem(t, data, p, 1)
	for _, tc := range []struct {
		name       string
		data, hash []byte
		root       []byte
		text       string
		is         error
	}{
		{"short data", data[:len(data)-1], hash, root, "verity: data device is shorter than 777 blocks of 4096 bytes (3182592 bytes): unexpected EOF", io.ErrUnexpectedEOF},
		{"short hash", data, hash[:len(hash)-1], root, "verity: hash device is shorter than the end of the tree at byte 0x6e00: unexpected EOF", io.ErrUnexpectedEOF},
		{"no superblock", data, hash[:100], root, "verity: read superblock at byte 0x0 of the hash device: unexpected EOF", io.ErrUnexpectedEOF},
		{"empty hash", data, nil, root, "verity: read superblock at byte 0x0 of the hash device: unexpected EOF", io.ErrUnexpectedEOF},
		{"root length", data, hash, root[:20], "verity: invalid parameters: root hash of 20 bytes for sha256, want 32", ErrInvalidParams},
	} {
		err := Verify(bytes.NewReader(tc.data), bytes.NewReader(tc.hash), p, tc.root, 2)
		if err == nil || err.Error() != tc.text || !errors.Is(err, tc.is) {
			t.Errorf("%s: Verify = %v, want %q matching %v", tc.name, err, tc.text, tc.is)
		}
	}
	if err := Verify(bytes.NewReader(data), bytes.NewReader(hash), Params{}, root, 1); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("Verify(zero Params) = %v, want ErrInvalidParams", err)
	}
}

func TestCheckRootHash(t *testing.T) {
	p := threeLevels()
	data := genData(9, 777*4096, 4096)
	hash, root := formatMem(t, data, p, 1)
	top := 512 + 5 // in the top-level block at hash block 1
	for _, tc := range []struct {
		name string
		mut  func(h, r []byte) ([]byte, []byte)
		text string
		is   error
	}{
		{"ok", func(h, r []byte) ([]byte, []byte) { return h, r }, "", nil},
		{"wrong root", func(h, r []byte) ([]byte, []byte) { r[3] ^= 1; return h, r },
			"verity: root hash mismatch: the top-level hash block (byte 0x200 of the hash device) hashes to ", ErrRootHashMismatch},
		{"damaged top block", func(h, r []byte) ([]byte, []byte) { h[top] ^= 1; return h, r },
			"verity: root hash mismatch: the top-level hash block (byte 0x200 of the hash device) hashes to ", ErrRootHashMismatch},
		{"damaged level 0", func(h, r []byte) ([]byte, []byte) { h[len(h)-600] ^= 1; return h, r }, "", nil},
		{"short hash", func(h, r []byte) ([]byte, []byte) { return h[:1000], r },
			"verity: read top-level hash block at byte 0x200 of the hash device: unexpected EOF", io.ErrUnexpectedEOF},
		{"short root", func(h, r []byte) ([]byte, []byte) { return h, r[:31] },
			"verity: invalid parameters: root hash of 31 bytes for sha256, want 32", ErrInvalidParams},
	} {
		h, r := tc.mut(bytes.Clone(hash), bytes.Clone(root))
		err := CheckRootHash(bytes.NewReader(h), p, r)
		if tc.text == "" {
			if err != nil {
				t.Errorf("%s: CheckRootHash = %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.text) || !errors.Is(err, tc.is) {
			t.Errorf("%s: CheckRootHash = %v, want %q matching %v", tc.name, err, tc.text, tc.is)
		}
	}
	if err := CheckRootHash(bytes.NewReader(hash), stdParams(1), make([]byte, 32)); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("CheckRootHash(one block) = %v, want ErrInvalidParams", err)
	}
}

func TestKernelModules(t *testing.T) {
	for _, tc := range []struct {
		alg, root string
		want      string
	}{
		{"", strings.Repeat("a", 64), "dm-mod dm-verity crypto-sha256"},
		{"", strings.Repeat("a", 40), "dm-mod dm-verity crypto-sha1"},
		{"", strings.Repeat("a", 128), "dm-mod dm-verity crypto-sha512"},
		{"sha512", strings.Repeat("a", 64), "dm-mod dm-verity crypto-sha512"},
		{"", strings.Repeat("a", 50), "dm-mod dm-verity"},
	} {
		if got := strings.Join(KernelModules(tc.alg, tc.root), " "); got != tc.want {
			t.Errorf("KernelModules(%q, %d digits) = %q, want %q", tc.alg, len(tc.root), got, tc.want)
		}
	}
}
