package verity

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzParseSuperblock and FuzzVerify with veritysetup")

// TestGenerateFuzzSeeds writes the committed seeds of FuzzParseSuperblock
// and FuzzVerify from trees made by veritysetup format. Run it with
//
//	go test ./pkg/verity -run TestGenerateFuzzSeeds -genseeds
//
// testdata/README.md lists the seeds.
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("generator; run with -genseeds to rewrite testdata/fuzz")
	}
	dir := t.TempDir()
	write := func(target, name, content string) {
		d := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), []byte("go test fuzz v1\n"+content), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s/%s: %d bytes", target, name, len(content))
	}
	// vsFormat runs veritysetup format on data and returns the hash device
	// and the root hash.
	vsFormat := func(name string, data []byte, p Params) ([]byte, []byte) {
		df, hf := filepath.Join(dir, name+".data"), filepath.Join(dir, name+".hash")
		writeFile(t, df, data)
		out := runVS(t, append([]string{"format", df, hf}, vsArgs(p, true)...)...)
		return readFile(t, hf), mustHex(t, dumpFields(out)["Root hash"])
	}

	// FuzzParseSuperblock: superblocks of the interop option sets, then
	// damaged copies of the default one.
	var std []byte
	for i, c := range interopCases() {
		if c.p.NoSuperblock || c.sameFile || c.p.DataBlocks > 1000 {
			continue
		}
		data := genData(uint64(i), int(c.p.DataBlocks)*int(c.p.DataBlockSize), int(c.p.DataBlockSize))
		hash, _ := vsFormat("sb-"+c.name, data, c.p)
		sb := hash[c.p.HashOffsetBytes : c.p.HashOffsetBytes+SuperblockSize]
		if c.name == "default" {
			std = sb
		}
		write("FuzzParseSuperblock", "vs-"+c.name+"-ok", fmt.Sprintf("[]byte(%q)\n", sb))
	}
	big := stdParams(8)
	big.Salt = make([]byte, 256)
	for i := range big.Salt {
		big.Salt[i] = byte(i)
	}
	hash, _ := vsFormat("sb-salt256", make([]byte, 8*4096), big)
	write("FuzzParseSuperblock", "vs-salt256-ok", fmt.Sprintf("[]byte(%q)\n", hash[:SuperblockSize]))
	for _, m := range []struct {
		name string
		mut  func(b []byte)
	}{
		{"nosig-bad", func(b []byte) { b[0] = 'V' }},
		{"version2-bad", func(b []byte) { b[8] = 2 }},
		{"hashtype2-bad", func(b []byte) { b[12] = 2 }},
		{"uppercase-alg-bad", func(b []byte) { copy(b[32:], "SHA256") }},
		{"blocksize-bad", func(b []byte) { binary.LittleEndian.PutUint32(b[64:], 4097) }},
		{"nodatablocks-bad", func(b []byte) { binary.LittleEndian.PutUint64(b[72:], 0) }},
		{"saltsize-bad", func(b []byte) { binary.LittleEndian.PutUint16(b[80:], 300) }},
		{"pad2-bad", func(b []byte) { b[500] = 1 }},
	} {
		b := append([]byte(nil), std...)
		m.mut(b)
		write("FuzzParseSuperblock", "vs-default-"+m.name, fmt.Sprintf("[]byte(%q)\n", b))
	}

	// FuzzVerify: veritysetup's option sets and root hashes for small
	// trees of 512-byte blocks over data that is zero except for a short
	// text in block 0; FuzzVerify builds the tree with Format, so an "-ok"
	// seed also checks that Format's root hash is veritysetup's.
	verifySeed := func(name string, data []byte, p Params, patch []byte, hashSize int, root []byte) {
		write("FuzzVerify", name, fmt.Sprintf("[]byte(%q)\nuint32(%d)\n[]byte(%q)\n[]byte(%q)\nuint32(%d)\n[]byte(%q)\n",
			trimZeros(data), len(data), encodeParams(p), patch, hashSize, root))
	}
	small := func(n uint64, f func(p *Params)) (Params, []byte) {
		p := Params{HashType: 1, Algorithm: "sha256", DataBlockSize: 512, HashBlockSize: 512, DataBlocks: n, Salt: []byte{0x5e, 0xcc, 0x84, 0x87}, UUID: testUUID}
		f(&p)
		data := make([]byte, int(n)*512)
		copy(data, "verinit fuzz seed: data block 0")
		return p, data
	}
	none := func(*Params) {}
	p, data := small(20, none)
	hash, root := vsFormat("v-sha256", data, p)
	p.UUID = [16]byte{} // FuzzVerify's parameters have none
	verifySeed("vs-sha256-ok", data, p, nil, 0, root)
	verifySeed("vs-sha256-data-bad", data, p, encodePatch(patchExt{dev: 1, off: 3, b: []byte{1}}), 0, root)
	verifySeed("vs-sha256-level0-bad", data, p, encodePatch(patchExt{dev: 0, off: 3*512 + 7, b: []byte{1}}), 0, root)
	verifySeed("vs-sha256-superblock-bad", data, p, encodePatch(patchExt{dev: 0, off: 88, b: []byte{1}}), 0, root)
	verifySeed("vs-sha256-short-bad", data, p, nil, len(hash)-1, root)
	r := append([]byte(nil), root...)
	r[0] ^= 1
	verifySeed("vs-sha256-root-bad", data, p, nil, 0, r)

	for _, s := range []struct {
		name string
		n    uint64
		f    func(p *Params)
	}{
		{"vs-format0-sha1-nosb-ok", 40, func(p *Params) { p.HashType, p.Algorithm, p.NoSuperblock = 0, "sha1", true }},
		{"vs-sha512-offset-ok", 20, func(p *Params) { p.Algorithm, p.HashOffsetBytes, p.Salt = "sha512", 1024, nil }},
		{"vs-1k-4k-ok", 200, func(p *Params) { p.DataBlockSize, p.HashBlockSize = 1024, 4096 }},
		{"vs-one-block-ok", 1, none},
		{"vs-one-level-ok", 16, none},
	} {
		p, data := small(s.n, s.f)
		if s.name == "vs-1k-4k-ok" {
			data = make([]byte, int(s.n)*1024)
			copy(data, "verinit fuzz seed: data block 0")
		}
		_, root := vsFormat(s.name, data, p)
		p.UUID = [16]byte{}
		verifySeed(s.name, data, p, nil, 0, root)
	}
}
