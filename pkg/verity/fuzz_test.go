package verity

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"reflect"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseSuperblock parses arbitrary bytes as a superblock. Valid
// superblocks must survive MarshalBinary unchanged (ParseSuperblock accepts
// exactly the encodings MarshalBinary produces) and describe valid Params.
//
// Seeds: testdata/fuzz/FuzzParseSuperblock (veritysetup superblocks, intact
// and damaged; see testdata/README.md) and our own encoding.
func FuzzParseSuperblock(f *testing.F) {
	f.Add(testSuperblock(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		sb, err := ParseSuperblock(b)
		if err != nil {
			checkErrorText(t, err)
			var fe *FormatError
			if sb != nil || !errors.As(err, &fe) {
				t.Fatalf("ParseSuperblock = %+v, %v; want nil and a *FormatError", sb, err)
			}
			if fe.Offset < 0 || fe.Offset > SuperblockSize {
				t.Fatalf("FormatError offset %d outside the superblock", fe.Offset)
			}
			return
		}
		enc, err := sb.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a parsed superblock: %v", err)
		}
		if !bytes.Equal(enc, b[:SuperblockSize]) {
			t.Fatalf("MarshalBinary(ParseSuperblock(b)) differs from b at byte %#x", firstDiff(enc, b))
		}
		sb2, err := ParseSuperblock(enc)
		if err != nil || !reflect.DeepEqual(sb, sb2) {
			t.Fatalf("re-parse = %+v, %v; want %+v", sb2, err, sb)
		}
		p := sb.Params(0)
		if err := p.Validate(); err != nil {
			t.Fatalf("Params of a valid superblock: %v", err)
		}
		if err := sb.CheckParams(p); err != nil {
			t.Fatalf("CheckParams(sb.Params()): %v", err)
		}
	})
}

// FuzzVerify checks a tree against data and a root hash, all derived from
// small inputs: the data device is data followed by zeros up to dataSize
// (at most maxFuzzDevice), params is decoded by decodeParams, and the hash
// device is the tree Format makes for them (empty if it cannot), then
// changed by patch, a list of extents (decodePatch) on either device, and
// cut or extended to hashSize unless it is 0; root, unless empty, replaces
// Format's root hash. Building the tree in the target keeps the inputs a
// few dozen bytes long (the minimiser is quadratic in their length) while
// every change the fuzzer makes lands in an otherwise valid tree.
//
// Verify must not panic and must allocate no more than a bound derived from
// the two device sizes; an unchanged tree must verify; a tree Verify
// accepts must be the one Format makes, with Format's root hash.
//
// Seeds: testdata/fuzz/FuzzVerify (veritysetup's option sets and root
// hashes, intact and damaged; see testdata/README.md) and the cases below.
func FuzzVerify(f *testing.F) {
	for _, p := range []Params{
		{HashType: 1, Algorithm: "sha256", DataBlockSize: 512, HashBlockSize: 512, DataBlocks: 20, Salt: []byte{1, 2}},
		{HashType: 0, Algorithm: "sha1", DataBlockSize: 512, HashBlockSize: 512, DataBlocks: 40, NoSuperblock: true, HashOffsetBytes: 1024},
		{HashType: 1, Algorithm: "sha512", DataBlockSize: 1024, HashBlockSize: 512, DataBlocks: 9},
	} {
		data := []byte("some data at the start, zeros after")
		size := uint32(p.DataBlocks) * p.DataBlockSize
		f.Add(data, size, encodeParams(p), []byte(nil), uint32(0), []byte(nil))
		f.Add(data, size, encodeParams(p), encodePatch(patchExt{dev: 0, off: 600, b: []byte{0xff}}, patchExt{dev: 1, off: 700, b: []byte{1}}), uint32(0), []byte(nil))
	}
	sample := [1]metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	f.Fuzz(func(t *testing.T, data []byte, dataSize uint32, params []byte, patch []byte, hashSize uint32, root []byte) {
		err := fuzzVerify(t, &sample, data, dataSize, params, patch, hashSize, root)
		if err != nil {
			checkErrorText(t, err)
		}
	})
}

// fuzzVerify is the body of FuzzVerify; it returns Verify's error after
// checking the invariants.
func fuzzVerify(t *testing.T, sample *[1]metrics.Sample, data []byte, dataSize uint32, params []byte, patch []byte, hashSize uint32, root []byte) error {
	p := decodeParams(params)
	size := min(max(int64(dataSize), int64(len(data))), maxFuzzDevice)
	d := make([]byte, size)
	copy(d, data)

	// The tree, if Format can make one that fits in maxFuzzDevice.
	var hash, good []byte
	if end, ok := fuzzHashEnd(p); ok && end <= maxFuzzDevice {
		out := &memDev{}
		if r, err := Format(bytes.NewReader(d), out, p, 1); err == nil {
			hash, good = out.Bytes(), r
		} else if errors.Is(err, ErrInvalidParams) {
			t.Fatalf("Format rejects parameters Validate accepts: %v", err)
		}
	}
	changed := false
	for _, e := range decodePatch(patch) {
		changed = true
		dev := &hash
		if e.dev == 1 {
			dev = &d
		}
		if e.off >= maxFuzzDevice {
			continue
		}
		if need := e.off + len(e.b); need > len(*dev) {
			if e.dev == 1 {
				e.b = e.b[:max(0, len(*dev)-e.off)] // the data device keeps its size
			} else {
				*dev = append(*dev, make([]byte, min(need, maxFuzzDevice)-len(*dev))...)
			}
		}
		for i, c := range e.b {
			if e.off+i < len(*dev) {
				(*dev)[e.off+i] ^= c
			}
		}
	}
	if hashSize != 0 {
		changed = true
		n := min(int(hashSize), maxFuzzDevice)
		if n <= len(hash) {
			hash = hash[:n]
		} else {
			hash = append(hash, make([]byte, n-len(hash))...)
		}
	}
	r := good
	if len(root) > 0 {
		changed = changed || !bytes.Equal(root, good)
		r = root
	}

	dd, hd := bytes.NewReader(d), bytes.NewReader(hash)
	before := heapAllocs(sample)
	err := Verify(dd, hd, p, r, 2)
	// runtime/metrics, unlike ReadMemStats, does not stop the world, which
	// would make each run 50 times slower. Large allocations, the ones that
	// matter here, are counted at once.
	if n, limit := heapAllocs(sample)-before, uint64(8<<20+4*(len(d)+len(hash))); n > limit {
		t.Fatalf("Verify allocated %d bytes for devices of %d and %d bytes (limit %d)", n, len(d), len(hash), limit)
	}
	if err != nil {
		if good != nil && !changed {
			t.Fatalf("Verify rejects Format's tree: %v", err)
		}
		return err
	}
	if good == nil {
		t.Fatalf("Verify accepted a tree for %+v that Format could not make", p)
	}
	if !bytes.Equal(r, good) {
		t.Fatalf("Verify accepted root hash %x, Format made %x", r, good)
	}
	// Format the accepted data again: the accepted tree must be its tree.
	out := &memDev{}
	if _, err := Format(bytes.NewReader(d), out, p, 1); err != nil {
		t.Fatalf("Format of accepted data: %v", err)
	}
	levels, treeBytes, _ := p.TreeLayout()
	if len(levels) > 0 {
		start := int(levels[len(levels)-1].OffsetBytes)
		if !bytes.Equal(out.Bytes()[start:], hash[start:start+int(treeBytes)]) {
			t.Fatalf("the accepted tree is not the one Format makes")
		}
	}
	return nil
}

// fuzzHashEnd returns the end of what Format writes for p, or false if p is
// invalid.
func fuzzHashEnd(p Params) (int64, bool) {
	levels, treeBytes, err := p.TreeLayout()
	if err != nil {
		return 0, false
	}
	hb := uint64(p.HashBlockSize)
	switch {
	case len(levels) > 0:
		return int64(levels[len(levels)-1].OffsetBytes + treeBytes), true
	case p.NoSuperblock:
		return 0, true
	}
	return int64((p.HashOffsetBytes/hb + 1) * hb), true
}

// heapAllocs returns the bytes allocated on the heap so far.
func heapAllocs(s *[1]metrics.Sample) uint64 {
	metrics.Read(s[:])
	return s[0].Value.Uint64()
}

// A patchExt XORs b into a device at off: dev 0 is the hash device, 1 the
// data device.
type patchExt struct {
	dev, off int
	b        []byte
}

// maxPatches bounds decodePatch, so that runs stay cheap.
const maxPatches = 16

// decodePatch decodes repeated records of uvarint (offset<<1 | device),
// uvarint length and that many bytes, up to maxPatches; it stops at the
// first incomplete record.
func decodePatch(b []byte) []patchExt {
	var out []patchExt
	for len(out) < maxPatches && len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			break
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			break
		}
		b = b[n:]
		out = append(out, patchExt{dev: int(v & 1), off: int(min(v>>1, maxFuzzDevice)), b: b[:l]})
		b = b[l:]
	}
	return out
}

func encodePatch(exts ...patchExt) []byte {
	var b []byte
	for _, e := range exts {
		b = binary.AppendUvarint(b, uint64(e.off)<<1|uint64(e.dev))
		b = binary.AppendUvarint(b, uint64(len(e.b)))
		b = append(b, e.b...)
	}
	return b
}

func checkErrorText(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "verity: ") {
		t.Fatalf("error text %q: want one line starting with \"verity: \"", msg)
	}
}

// maxFuzzDevice bounds the devices of FuzzVerify, so that runs stay fast.
// It is far above the smallest valid tree: 512 bytes of data and a 512-byte
// superblock.
const maxFuzzDevice = 256 << 10

// decodeParams turns fuzz bytes into Params: hash type, algorithm
// (sha1/sha256/sha512/md5), data and hash block size shifts (512 << n, up to
// 128 KiB so that invalid sizes occur), flags (bit 0: no superblock), data
// blocks (8 bytes LE), hash offset (8 bytes LE), then the salt. Missing
// bytes read as zeros.
func decodeParams(b []byte) Params {
	var h [21]byte
	n := copy(h[:], b)
	algs := [...]string{"sha1", "sha256", "sha512", "md5"}
	p := Params{
		HashType:        int(h[0] % 3),
		Algorithm:       algs[h[1]%4],
		DataBlockSize:   512 << (h[2] % 9),
		HashBlockSize:   512 << (h[3] % 9),
		NoSuperblock:    h[4]&1 != 0,
		DataBlocks:      binary.LittleEndian.Uint64(h[5:]),
		HashOffsetBytes: binary.LittleEndian.Uint64(h[13:]),
	}
	if n == len(h) && len(b) > n {
		p.Salt = b[n:]
	}
	return p
}

func encodeParams(p Params) []byte {
	b := make([]byte, 21, 21+len(p.Salt))
	b[0] = byte(p.HashType)
	b[1] = map[string]byte{"sha1": 0, "sha256": 1, "sha512": 2}[p.Algorithm]
	shift := func(n uint32) byte {
		s := byte(0)
		for 512<<s < n {
			s++
		}
		return s
	}
	b[2], b[3] = shift(p.DataBlockSize), shift(p.HashBlockSize)
	if p.NoSuperblock {
		b[4] = 1
	}
	binary.LittleEndian.PutUint64(b[5:], p.DataBlocks)
	binary.LittleEndian.PutUint64(b[13:], p.HashOffsetBytes)
	return append(b, p.Salt...)
}

func trimZeros(b []byte) []byte { return bytes.TrimRight(b, "\x00") }

// TestFuzzParams checks that encodeParams and decodeParams agree, so that
// the seeds describe the trees they were made from.
func TestFuzzParams(t *testing.T) {
	for _, c := range interopCases() {
		p := c.p
		p.UUID = [16]byte{}
		if got := decodeParams(encodeParams(p)); !paramsEqual(got, p) {
			t.Fatalf("decodeParams(encodeParams(%+v)) = %+v", p, got)
		}
	}
}

// TestFuzzSeeds runs every committed seed as a regression test and checks
// the outcome its name promises: "-ok" must parse or verify, "-bad" must
// fail (with ErrNoSuperblock when the name has "-nosig-").
func TestFuzzSeeds(t *testing.T) {
	for _, target := range []struct {
		name string
		min  int
		run  func(t *testing.T, args []any) error
	}{
		{"FuzzParseSuperblock", 10, func(t *testing.T, a []any) error {
			_, err := ParseSuperblock(a[0].([]byte))
			return err
		}},
		{"FuzzVerify", 6, func(t *testing.T, a []any) error {
			var sample [1]metrics.Sample
			sample[0].Name = "/gc/heap/allocs:bytes"
			return fuzzVerify(t, &sample, a[0].([]byte), a[1].(uint32), a[2].([]byte), a[3].([]byte), a[4].(uint32), a[5].([]byte))
		}},
	} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target.name, "*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < target.min {
			t.Fatalf("found %d seeds in testdata/fuzz/%s, want at least %d", len(files), target.name, target.min)
		}
		for _, file := range files {
			name := filepath.Base(file)
			t.Run(target.name+"/"+name, func(t *testing.T) {
				err := target.run(t, parseCorpusFile(t, readFile(t, file)))
				switch {
				case strings.HasSuffix(name, "-ok"):
					if err != nil {
						t.Fatalf("got %v, want success", err)
					}
				case strings.HasSuffix(name, "-bad"):
					if err == nil {
						t.Fatal("got success, want an error")
					}
					if strings.Contains(name, "-nosig-") && !errors.Is(err, ErrNoSuperblock) {
						t.Fatalf("error %v does not match ErrNoSuperblock", err)
					}
				default:
					t.Fatalf("seed name %q must end in -ok or -bad", name)
				}
			})
		}
	}
}

// parseCorpusFile decodes a "go test fuzz v1" file of []byte and uint32
// arguments.
func parseCorpusFile(t *testing.T, b []byte) []any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("not a corpus file")
	}
	var args []any
	for _, line := range lines[1:] {
		typ, val, ok := strings.Cut(line, "(")
		if !ok || !strings.HasSuffix(val, ")") {
			t.Fatalf("line %.40q: want type(value)", line)
		}
		val = val[:len(val)-1]
		switch typ {
		case "[]byte":
			s, err := strconv.Unquote(val)
			if err != nil {
				t.Fatalf("line %.40q: %v", line, err)
			}
			args = append(args, []byte(s))
		case "uint32":
			v, err := strconv.ParseUint(val, 0, 32)
			if err != nil {
				t.Fatalf("line %.40q: %v", line, err)
			}
			args = append(args, uint32(v))
		default:
			t.Fatalf("line %.40q: unexpected type %s", line, typ)
		}
	}
	return args
}
