package verity

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// This file checks Format, Verify and ParseSuperblock against the
// veritysetup binary (cryptsetup-bin), in both directions. veritysetup must
// be installed: a missing binary fails the tests.

// interopCase is a veritysetup option set, as Params.
type interopCase struct {
	name      string
	p         Params
	dataBytes int  // size of the data file (>= DataBlocks*DataBlockSize)
	sameFile  bool // the tree goes into the data file at p.HashOffsetBytes
}

func interopCases() []interopCase {
	salt16 := []byte("another salt 16b")
	with := func(n uint64, f func(p *Params)) Params {
		p := stdParams(n)
		f(&p)
		return p
	}
	return []interopCase{
		{name: "default", p: stdParams(1000), dataBytes: 1000 * 4096},
		{name: "salt16", p: with(1000, func(p *Params) { p.Salt = salt16 }), dataBytes: 1000 * 4096},
		{name: "nosalt", p: with(1000, func(p *Params) { p.Salt = nil }), dataBytes: 1000 * 4096},
		{name: "sha1", p: with(1000, func(p *Params) { p.Algorithm = "sha1" }), dataBytes: 1000 * 4096},
		{name: "sha512", p: with(1000, func(p *Params) { p.Algorithm = "sha512" }), dataBytes: 1000 * 4096},
		{name: "sha512-hb512", p: with(700, func(p *Params) { p.Algorithm = "sha512"; p.HashBlockSize = 512 }), dataBytes: 700 * 4096},
		{name: "1k-1k", p: with(3001, func(p *Params) { p.DataBlockSize, p.HashBlockSize = 1024, 1024 }), dataBytes: 3001 * 1024},
		{name: "4k-512", p: with(777, func(p *Params) { p.HashBlockSize = 512 }), dataBytes: 777 * 4096},
		{name: "512-4k", p: with(4099, func(p *Params) { p.DataBlockSize = 512 }), dataBytes: 4099 * 512},
		{name: "full-levels", p: stdParams(256), dataBytes: 256 * 4096},
		{name: "one-block", p: stdParams(1), dataBytes: 4096},
		{name: "two-blocks", p: stdParams(2), dataBytes: 2 * 4096},
		{name: "data-blocks-short", p: stdParams(333), dataBytes: 1000 * 4096},
		{name: "format0", p: with(1000, func(p *Params) { p.HashType = 0 }), dataBytes: 1000 * 4096},
		{name: "format0-sha1", p: with(1000, func(p *Params) { p.HashType = 0; p.Algorithm = "sha1"; p.Salt = salt16 }), dataBytes: 1000 * 4096},
		{name: "format0-sha1-hb512", p: with(500, func(p *Params) { p.HashType = 0; p.Algorithm = "sha1"; p.HashBlockSize = 512 }), dataBytes: 500 * 4096},
		{name: "nosb", p: with(1000, func(p *Params) { p.NoSuperblock = true }), dataBytes: 1000 * 4096},
		{name: "nosb-offset", p: with(1000, func(p *Params) { p.NoSuperblock = true; p.HashOffsetBytes = 8192 }), dataBytes: 1000 * 4096},
		{name: "sb-offset", p: with(1000, func(p *Params) { p.HashOffsetBytes = 3 * 512 }), dataBytes: 1000 * 4096},
		{name: "same-file", p: with(600, func(p *Params) { p.HashOffsetBytes = 600 * 4096 }), dataBytes: 600 * 4096, sameFile: true},
		{name: "same-file-unaligned", p: with(1001, func(p *Params) { p.DataBlockSize = 1024; p.HashOffsetBytes = 1001 * 1024 }), dataBytes: 1001 * 1024, sameFile: true},
		{name: "same-file-nosb", p: with(600, func(p *Params) { p.NoSuperblock = true; p.HashOffsetBytes = 600 * 4096 }), dataBytes: 600 * 4096, sameFile: true},
	}
}

// vsArgs returns the veritysetup options that describe p.
func vsArgs(p Params, withDataBlocks bool) []string {
	salt := "-"
	if len(p.Salt) > 0 {
		salt = hex.EncodeToString(p.Salt)
	}
	a := []string{
		"--format=" + strconv.Itoa(p.HashType),
		"--hash=" + p.Algorithm,
		"--data-block-size=" + strconv.FormatUint(uint64(p.DataBlockSize), 10),
		"--hash-block-size=" + strconv.FormatUint(uint64(p.HashBlockSize), 10),
		"--salt=" + salt,
	}
	if withDataBlocks {
		a = append(a, "--data-blocks="+strconv.FormatUint(p.DataBlocks, 10))
	}
	if p.HashOffsetBytes != 0 {
		a = append(a, "--hash-offset="+strconv.FormatUint(p.HashOffsetBytes, 10))
	}
	if p.NoSuperblock {
		a = append(a, "--no-superblock")
	} else {
		a = append(a, "--uuid="+uuidString(p.UUID))
	}
	return a
}

// TestInteropFormat formats the same data with veritysetup and with Format
// and requires the same root hash and byte-identical hash devices; then
// checks each tree with the other tool's verify, and veritysetup's
// superblock with ParseSuperblock and veritysetup dump.
func TestInteropFormat(t *testing.T) {
	veritysetup(t)
	for i, tc := range interopCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			data := genData(uint64(i), tc.dataBytes, int(p.DataBlockSize))
			dataFile := filepath.Join(dir, "data")
			vsHash := filepath.Join(dir, "vs.hash")
			ourHash := filepath.Join(dir, "our.hash")
			writeFile(t, dataFile, data)
			if tc.sameFile {
				vsHash = filepath.Join(dir, "vs.img")
				ourHash = filepath.Join(dir, "our.img")
				writeFile(t, vsHash, data)
				writeFile(t, ourHash, data)
			}

			// veritysetup format.
			vsData := dataFile
			if tc.sameFile {
				vsData = vsHash
			}
			out := runVS(t, append([]string{"format", vsData, vsHash}, vsArgs(p, true)...)...)
			fields := dumpFields(out)
			vsRoot := mustHex(t, fields["Root hash"])

			// Format, with an odd number of goroutines.
			f, err := os.OpenFile(ourHash, os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			var src = bytes.NewReader(data)
			root, err := Format(src, f, p, 3)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if !bytes.Equal(root, vsRoot) {
				t.Fatalf("root hash %x, veritysetup %x", root, vsRoot)
			}
			vsb, ourb := readFile(t, vsHash), readFile(t, ourHash)
			if !bytes.Equal(vsb, ourb) {
				t.Fatalf("hash device differs from veritysetup's (%d vs %d bytes) first at byte %#x", len(ourb), len(vsb), firstDiff(ourb, vsb))
			}

			// veritysetup verify of our tree, with everything explicit
			// when there is no superblock.
			ourData := dataFile
			if tc.sameFile {
				ourData = ourHash
			}
			args := []string{"verify", ourData, ourHash, hex.EncodeToString(root)}
			if p.NoSuperblock {
				args = append(args, vsArgs(p, true)...)
			} else if p.HashOffsetBytes != 0 {
				args = append(args, "--hash-offset="+strconv.FormatUint(p.HashOffsetBytes, 10))
			}
			runVS(t, args...)

			// Verify of veritysetup's tree.
			for _, w := range []int{1, 2} {
				if err := Verify(bytes.NewReader(data), bytes.NewReader(vsb), p, vsRoot, w); err != nil {
					t.Fatalf("Verify(workers=%d) of veritysetup's tree: %v", w, err)
				}
			}
			if p.NoSuperblock {
				return
			}

			// The superblock, against Params and veritysetup dump.
			off := p.HashOffsetBytes
			sb, err := ParseSuperblock(vsb[off:])
			if err != nil {
				t.Fatalf("ParseSuperblock: %v", err)
			}
			if err := sb.CheckParams(p); err != nil {
				t.Fatalf("CheckParams: %v", err)
			}
			if got := sb.Params(off); !paramsEqual(got, p) {
				t.Fatalf("Superblock.Params = %+v, want %+v", got, p)
			}
			dargs := []string{"dump", vsHash}
			if off != 0 {
				dargs = append(dargs, "--hash-offset="+strconv.FormatUint(off, 10))
			}
			dump := dumpFields(runVS(t, dargs...))
			_, treeBytes, err := p.TreeLayout()
			if err != nil {
				t.Fatal(err)
			}
			salt := "-"
			if len(sb.Salt) > 0 {
				salt = hex.EncodeToString(sb.Salt)
			}
			want := map[string]string{
				"UUID":            uuidString(sb.UUID),
				"Hash type":       strconv.FormatUint(uint64(sb.HashType), 10),
				"Data blocks":     strconv.FormatUint(sb.DataBlocks, 10),
				"Data block size": strconv.FormatUint(uint64(sb.DataBlockSize), 10),
				"Hash blocks":     strconv.FormatUint(treeBytes/uint64(sb.HashBlockSize), 10),
				"Hash block size": strconv.FormatUint(uint64(sb.HashBlockSize), 10),
				"Hash algorithm":  sb.Algorithm,
				"Salt":            salt,
			}
			if off == 0 {
				// VERITY_dump prints it only for hash offset 0: the tree
				// start plus the tree, with a " [bytes]" suffix.
				size := uint64(p.HashBlockSize) + treeBytes // the tree starts at block 1
				want["Hash device size"] = strconv.FormatUint(size, 10) + " [bytes]"
			}
			for k, v := range want {
				if dump[k] != v {
					t.Errorf("veritysetup dump %q = %q, ParseSuperblock gives %q", k, dump[k], v)
				}
			}
		})
	}
}

// TestInteropCorruption checks that veritysetup verify and Verify agree
// that a damaged tree is damaged.
func TestInteropCorruption(t *testing.T) {
	dir := t.TempDir()
	p := stdParams(1000)
	data := genData(42, 1000*4096, 4096)
	hash, root := formatMem(t, data, p, 2)
	levels, _, err := p.TreeLayout()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mutData bool
		off     int
	}{
		{"data-block-500", true, 500*4096 + 17},
		{"level0-block-3", false, int(levels[0].OffsetBytes) + 3*4096 + 5},
		{"top-block", false, int(levels[1].OffsetBytes) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, h := bytes.Clone(data), bytes.Clone(hash)
			if tc.mutData {
				d[tc.off] ^= 0x80
			} else {
				h[tc.off] ^= 0x80
			}
			df, hf := filepath.Join(dir, tc.name+".data"), filepath.Join(dir, tc.name+".hash")
			writeFile(t, df, d)
			writeFile(t, hf, h)
			cmdErr := runVSErr(t, "verify", df, hf, hex.EncodeToString(root))
			if cmdErr == nil {
				t.Fatal("veritysetup verify accepted the damaged tree")
			}
			if err := Verify(bytes.NewReader(d), bytes.NewReader(h), p, root, 2); err == nil {
				t.Fatal("Verify accepted the damaged tree")
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func paramsEqual(a, b Params) bool {
	return a.HashType == b.HashType && a.Algorithm == b.Algorithm &&
		a.DataBlockSize == b.DataBlockSize && a.HashBlockSize == b.HashBlockSize &&
		a.DataBlocks == b.DataBlocks && bytes.Equal(a.Salt, b.Salt) &&
		a.HashOffsetBytes == b.HashOffsetBytes && a.NoSuperblock == b.NoSuperblock && a.UUID == b.UUID
}
