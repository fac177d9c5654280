package fec

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/devtest"
	"github.com/verinit/verinit/pkg/verity"
)

// This file checks Encode against the veritysetup binary (cryptsetup-bin):
// veritysetup format --fec-device writes the parity, and Encode must
// write the same bytes from the data and hash devices that veritysetup
// left. veritysetup must be installed; a missing binary fails the tests.

// Fixed so that the runs are reproducible; neither is covered by the parity.
const (
	testSalt = "5ecc8487ba7c6e4f0b5b2a6d1c0e3f9a8d7c6b5a4f3e2d1c0b9a8f7e6d5cd983"
	testUUID = "8a678132-d493-401d-a0f6-903006c0a5d8"
)

// veritysetup is the veritysetup binary, as devtest finds it.
var veritysetup = devtest.Veritysetup

// runVS runs veritysetup and returns its standard output and error, and
// the error of the run.
func runVS(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(veritysetup(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// mustVS runs veritysetup and fails the test if it fails.
func mustVS(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := runVS(t, args...)
	if err != nil {
		t.Fatalf("veritysetup %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// dumpField returns the value of a "Label:<spaces>\t<value>" line of
// veritysetup's output.
func dumpField(out, label string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == label {
			v = strings.TrimSpace(v)
			v, _ = strings.CutSuffix(v, " [bytes]") // cryptsetup 2.8 and later
			return v
		}
	}
	return ""
}

// A vsCase is a veritysetup format command line with FEC.
type vsCase struct {
	name       string
	blocks     int   // data blocks
	bs         int   // block size, 0 for veritysetup's default (4096)
	roots      int   // --fec-roots, 0 to leave it out (2)
	dataExtra  int   // bytes in the data file after the data blocks (then --data-blocks is given)
	sameFile   bool  // the tree goes into the data file at hashOffset
	hashOffset int64 // --hash-offset
	noSB       bool  // --no-superblock
	// fecOn is where the parity goes: "" a file of its own, "hash" the
	// hash file, "data" the data file (with sameFile, both).
	fecOn        string
	fecOffset    int64 // --fec-offset
	fecAfterTree bool  // add the end of the tree to fecOffset
	hashSize     int   // if > 0, the hash file is made beforehand with this many random bytes
}

func vsCases() []vsCase {
	return []vsCase{
		{name: "1MiB", blocks: 256},
		{name: "1MiB-roots24", blocks: 256, roots: 24},
		{name: "odd-777-roots3", blocks: 777, roots: 3},
		{name: "odd-4099-1k-roots9", blocks: 4099, bs: 1024, roots: 9},
		{name: "odd-3001-512-roots17", blocks: 3001, bs: 512, roots: 17},
		{name: "one-block", blocks: 1},
		{name: "two-blocks-roots24", blocks: 2, roots: 24},
		{name: "whole-round", blocks: 250}, // 250 data + 3 tree blocks = 253 = 255-2
		{name: "whole-round-plus-one", blocks: 251},
		{name: "data-blocks", blocks: 500, dataExtra: 100*4096 + 123},
		{name: "fec-offset", blocks: 1000, roots: 4, fecOffset: 8192},
		{name: "fec-offset-512-aligned", blocks: 1000, fecOffset: 3 * 512},
		{name: "no-superblock", blocks: 1000, noSB: true},
		{name: "hash-offset", blocks: 1000, hashOffset: 8192 + 512},
		{name: "hash-device-larger", blocks: 1000, roots: 5, hashSize: 20*4096 + 100},
		{name: "same-file", blocks: 600, sameFile: true, hashOffset: 600 * 4096},
		{name: "same-file-gap-roots24", blocks: 600, roots: 24, sameFile: true, hashOffset: 604*4096 + 1024},
		{name: "same-file-nosb", blocks: 600, sameFile: true, noSB: true, hashOffset: 600 * 4096},
		{name: "fec-on-hash", blocks: 1000, fecOn: "hash", fecAfterTree: true},
		// The gap between the tree and the parity is beyond the end of the
		// hash file until veritysetup writes the first round's parity; it
		// reads hash blocks 10 and 11 only after that, as zeros.
		{name: "fec-on-hash-gap", blocks: 1000, fecOn: "hash", fecAfterTree: true, fecOffset: 8192},
		{name: "fec-on-hash-metadata", blocks: 1000, roots: 7, fecOn: "hash", hashSize: 64 << 10, fecOffset: 64 << 10},
		{name: "fec-on-data", blocks: 1000, roots: 3, fecOn: "data", fecOffset: 1000*4096 + 8192},
		// The tree ends at block 3099; the data file's random bytes from
		// there to the parity at block 4000 are covered too.
		{name: "all-in-one", blocks: 3000, bs: 1024, roots: 11, dataExtra: 1000 * 1024, sameFile: true, hashOffset: 3000 * 1024, fecOn: "data", fecOffset: 4000 * 1024},
	}
}

// verityParams returns the verity.Params of tc, to get the tree's size and
// the kernel's FEC arguments from pkg/verity.
func (tc vsCase) verityParams() verity.Params {
	bs := uint32(blockSizeOf(Params{BlockSize: tc.bs}))
	return verity.Params{
		HashType: 1, Algorithm: "sha256", DataBlockSize: bs, HashBlockSize: bs,
		DataBlocks: uint64(tc.blocks), Salt: []byte("x"), // the tree's size does not depend on the salt
		HashOffsetBytes: uint64(tc.hashOffset), NoSuperblock: tc.noSB,
	}
}

// treeEnd returns the byte offset of the end of tc's tree on the hash
// device.
func (tc vsCase) treeEnd(t *testing.T) int64 {
	vp := tc.verityParams()
	levels, treeBytes, err := vp.TreeLayout()
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) == 0 {
		return 0
	}
	return int64(levels[len(levels)-1].OffsetBytes + treeBytes) // the top level comes first
}

// TestVeritysetupFEC runs veritysetup format --fec-device for each case and
// requires Encode to write the same parity from the devices veritysetup
// left, at the same offset; and checks ParityBlocks against veritysetup's
// "FEC blocks:" and Blocks against pkg/verity's kernel arguments.
func TestVeritysetupFEC(t *testing.T) {
	veritysetup(t)
	for i, tc := range vsCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Params{Roots: tc.roots, BlockSize: tc.bs}.normalize()
			if err != nil {
				t.Fatal(err)
			}
			bs := p.BlockSize
			dir := t.TempDir()
			dataPath := filepath.Join(dir, "data")
			hashPath, fecPath := filepath.Join(dir, "hash"), filepath.Join(dir, "fec")
			if tc.sameFile {
				hashPath = dataPath
			}
			switch tc.fecOn {
			case "hash":
				fecPath = hashPath
			case "data":
				fecPath = dataPath
			}
			fecOffset := tc.fecOffset
			if tc.fecAfterTree {
				fecOffset += tc.treeEnd(t)
			}
			data := genData(uint64(i), tc.blocks*bs+tc.dataExtra, bs)
			writeFile(t, dataPath, data)
			if tc.hashSize > 0 {
				writeFile(t, hashPath, randBytes(uint64(i), tc.hashSize))
			}

			args := []string{"format", dataPath, hashPath, "--salt=" + testSalt, "--fec-device=" + fecPath}
			if !tc.noSB {
				args = append(args, "--uuid="+testUUID)
			}
			if tc.bs != 0 {
				args = append(args, "--data-block-size="+strconv.Itoa(bs), "--hash-block-size="+strconv.Itoa(bs))
			}
			if tc.roots != 0 {
				args = append(args, "--fec-roots="+strconv.Itoa(tc.roots))
			}
			if tc.dataExtra != 0 || tc.sameFile {
				args = append(args, "--data-blocks="+strconv.Itoa(tc.blocks))
			}
			if tc.hashOffset != 0 {
				args = append(args, "--hash-offset="+strconv.FormatInt(tc.hashOffset, 10))
			}
			if tc.noSB {
				args = append(args, "--no-superblock")
			}
			if fecOffset != 0 {
				args = append(args, "--fec-offset="+strconv.FormatInt(fecOffset, 10))
			}
			out := mustVS(t, args...)

			// The layout veritysetup used: the hash device's size when the
			// parity is elsewhere, else the parity's offset.
			hashStart := (tc.hashOffset + 512 + int64(bs) - 1) / int64(bs)
			if tc.noSB {
				hashStart = tc.hashOffset / int64(bs)
			}
			fecOnHash := fecPath == hashPath
			hashEnd := fecOffset
			if !fecOnHash {
				hashEnd = fileSize(t, hashPath)
				if tc.hashSize == 0 && !tc.sameFile && tc.blocks > 1 {
					// A new hash file ends with the tree. (With one data
					// block there is no tree, and the superblock, written
					// a block at a time after the parity, makes the file.)
					if want := tc.treeEnd(t); hashEnd != want {
						t.Fatalf("hash file has %d bytes, want %d", hashEnd, want)
					}
				}
			}
			l := Layout{DataBlocks: uint64(tc.blocks), HashStartBlock: uint64(hashStart), HashEndBytes: uint64(hashEnd)}
			blocks, err := p.Blocks(l)
			if err != nil {
				t.Fatal(err)
			}
			parityBlocks, err := p.ParityBlocks(blocks)
			if err != nil {
				t.Fatal(err)
			}
			if got := dumpField(out, "FEC blocks"); got != strconv.FormatUint(parityBlocks, 10) {
				t.Errorf("veritysetup says FEC blocks: %s, ParityBlocks says %d", got, parityBlocks)
			}
			if fecOffset%int64(bs) == 0 {
				vp := tc.verityParams()
				words, err := vp.FECArgs("/dev/fec", p.Roots, uint64(fecOffset), uint64(fileSize(t, hashPath)), fecOnHash)
				if err != nil {
					t.Fatal(err)
				}
				if words[5] != strconv.FormatUint(blocks, 10) {
					t.Errorf("pkg/verity's FECArgs has fec_blocks %s, Blocks says %d", words[5], blocks)
				}
			}

			// Encode from the same devices.
			dataFile, hashFile := openFile(t, dataPath), openFile(t, hashPath)
			in, n, err := p.Input(dataFile, hashFile, l)
			if err != nil {
				t.Fatal(err)
			}
			ours := &memDev{}
			if err := Encode(context.Background(), in, n, p, ours, fecOffset, 3); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			parityBytes := int64(parityBlocks) * int64(bs)
			if int64(len(ours.Bytes())) != fecOffset+parityBytes {
				t.Fatalf("Encode wrote up to byte %d, want %d", len(ours.Bytes()), fecOffset+parityBytes)
			}
			vs := readFile(t, fecPath)
			if size := int64(len(vs)); size != fecOffset+parityBytes {
				t.Fatalf("veritysetup's FEC device has %d bytes, want %d (parity at %d)", size, fecOffset+parityBytes, fecOffset)
			}
			if err := compareParity(ours.Bytes()[fecOffset:], vs[fecOffset:], p); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// compareParity returns nil if got and want are equal, else an error that
// says where the first difference is, in parity terms.
func compareParity(got, want []byte, p Params) error {
	i := firstDiff(got, want)
	if i < 0 {
		return nil
	}
	p, _ = p.normalize()
	round := i / (p.BlockSize * p.Roots)
	b := i % (p.BlockSize * p.Roots) / p.Roots
	different := 0
	for k := range min(len(got), len(want)) {
		if got[k] != want[k] {
			different++
		}
	}
	return fmt.Errorf("parity differs from veritysetup's (%d vs %d bytes, %d bytes differ) first at byte %#x: round %d, codeword for block byte %d, parity byte %d: got %#02x, want %#02x",
		len(got), len(want), different, i, round, b, i%p.Roots, at(got, i), at(want, i))
}

func at(b []byte, i int) int {
	if i < len(b) {
		return int(b[i])
	}
	return -1
}

// TestVeritysetupShortDevice covers the parity on the hash device past a
// gap after the tree, when the gap does not exist yet: veritysetup fails if
// it reads the gap before it has written parity past it, and Encode fails
// on such a hash device. Extended beforehand (with zeros), the hash device
// gives the same parity with both.
func TestVeritysetupShortDevice(t *testing.T) {
	veritysetup(t)
	dir := t.TempDir()
	dataPath, hashPath := filepath.Join(dir, "data"), filepath.Join(dir, "hash")
	writeFile(t, dataPath, genData(1, 256*4096, 4096))
	// 256 blocks: the tree is in blocks 1 to 3; the parity goes to block 8.
	const fecOffset = 8 * 4096
	args := []string{"format", dataPath, hashPath, "--salt=" + testSalt, "--uuid=" + testUUID}
	withFEC := append(args[:len(args):len(args)], "--fec-device="+hashPath, "--fec-offset="+strconv.Itoa(fecOffset))
	_, stderr, err := runVS(t, withFEC...)
	if err == nil || !strings.Contains(stderr, "Failed to read RS block") {
		t.Fatalf("veritysetup format with a gap before the parity: %v, %s", err, stderr)
	}

	// The hash device as veritysetup has it when it computes the parity.
	if err := os.Remove(hashPath); err != nil {
		t.Fatal(err)
	}
	mustVS(t, args...)
	if size := fileSize(t, hashPath); size != 4*4096 {
		t.Fatalf("hash file has %d bytes, want %d", size, 4*4096)
	}
	var p Params
	l := Layout{DataBlocks: 256, HashStartBlock: 1, HashEndBytes: fecOffset}
	encode := func() (*memDev, error) {
		in, n, err := p.Input(openFile(t, dataPath), openFile(t, hashPath), l)
		if err != nil {
			t.Fatal(err)
		}
		out := &memDev{}
		return out, Encode(context.Background(), in, n, p, out, fecOffset, 2)
	}
	_, err = encode()
	if err == nil || err.Error() != "fec: read input block 259: hash device at byte 0x4000: unexpected EOF" {
		t.Fatalf("Encode with a gap before the parity: %v", err)
	}

	if err := os.Truncate(hashPath, fecOffset); err != nil {
		t.Fatal(err)
	}
	mustVS(t, withFEC...)
	ours, err := encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := compareParity(ours.Bytes()[fecOffset:], readFile(t, hashPath)[fecOffset:], p); err != nil {
		t.Fatal(err)
	}
}

// TestVeritysetupVerifyRepairs gives veritysetup verify our parity for a
// tree that veritysetup made, after damaging three data bytes in three
// blocks: veritysetup finds the damage, decodes every codeword with our
// parity and counts three repairable errors (VERITY_activate in
// lib/verity/verity.c then reports success). As a control, parity of
// zeros must not pass. This shows that veritysetup can use the parity; it
// does not prove it right: libfec's decoder also accepts, with no
// correction, codewords whose syndromes are not all zero when the
// Berlekamp-Massey locator comes out as 1 (as for a generator that shares
// all but one root with the right one). TestVeritysetupFEC compares bytes.
func TestVeritysetupVerifyRepairs(t *testing.T) {
	veritysetup(t)
	for _, roots := range []int{2, 24} {
		t.Run("roots"+strconv.Itoa(roots), func(t *testing.T) {
			dir := t.TempDir()
			dataPath, hashPath, fecPath := filepath.Join(dir, "data"), filepath.Join(dir, "hash"), filepath.Join(dir, "fec")
			const blocks = 700
			data := genData(uint64(roots), blocks*4096, 4096)
			writeFile(t, dataPath, data)
			rootsArg := "--fec-roots=" + strconv.Itoa(roots)
			out := mustVS(t, "format", dataPath, hashPath, "--salt="+testSalt, "--uuid="+testUUID)
			root := dumpField(out, "Root hash")

			p := Params{Roots: roots}
			in, n, err := p.Input(openFile(t, dataPath), openFile(t, hashPath),
				Layout{DataBlocks: blocks, HashStartBlock: 1, HashEndBytes: uint64(fileSize(t, hashPath))})
			if err != nil {
				t.Fatal(err)
			}
			fec := &memDev{}
			if err := Encode(context.Background(), in, n, p, fec, 0, 2); err != nil {
				t.Fatal(err)
			}
			writeFile(t, fecPath, fec.Bytes())

			for _, off := range []int{2*4096 + 17, 300*4096 + 4000, 699*4096 + 1} {
				data[off] ^= 0x5a
			}
			writeFile(t, dataPath, data)
			verify := []string{"verify", dataPath, hashPath, root, "--fec-device=" + fecPath, rootsArg}
			_, stderr, err := runVS(t, verify...)
			if err != nil || !strings.Contains(stderr, "Found 3 repairable errors with FEC device.") {
				t.Fatalf("veritysetup verify with our parity: %v\n%s", err, stderr)
			}

			writeFile(t, fecPath, make([]byte, len(fec.Bytes())))
			if _, stderr, err := runVS(t, verify...); err == nil {
				t.Fatalf("veritysetup verify passed with parity of zeros:\n%s", stderr)
			}
		})
	}
}

// randBytes returns n pseudo-random bytes from seed.
func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), 'r', 'a', 'n', 'd'})
	_, _ = r.Read(b)
	return b
}

func fileSize(t testing.TB, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func openFile(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

var (
	writeFile = devtest.WriteFile
	readFile  = devtest.ReadFile
)
