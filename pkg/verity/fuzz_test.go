package verity

import (
	"bytes"
	"errors"
	"io"
	"os"
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

// FuzzVerify runs Verify on a data and a hash device made from bytes: each
// device is its bytes followed by zeros up to its size (at most
// maxFuzzDevice), so that sparse seeds stay small. params is decoded by
// decodeParams. Verify must not panic, must allocate no more than a bound
// derived from the two device sizes, and when it accepts a tree, Format must
// produce that tree and root hash again.
//
// Seeds: testdata/fuzz/FuzzVerify (veritysetup trees, intact and damaged;
// see testdata/README.md) and Format's trees below.
func FuzzVerify(f *testing.F) {
	for _, p := range []Params{
		{HashType: 1, Algorithm: "sha256", DataBlockSize: 512, HashBlockSize: 512, DataBlocks: 20, Salt: []byte{1, 2}},
		{HashType: 0, Algorithm: "sha1", DataBlockSize: 512, HashBlockSize: 512, DataBlocks: 40, NoSuperblock: true, HashOffsetBytes: 1024},
		{HashType: 1, Algorithm: "sha512", DataBlockSize: 1024, HashBlockSize: 512, DataBlocks: 9},
	} {
		data := make([]byte, int(p.DataBlocks)*int(p.DataBlockSize))
		copy(data, "some data at the start, zeros after")
		hash, root := formatMem(f, data, p, 1)
		f.Add(trimZeros(data), uint32(len(data)), trimZeros(hash), uint32(len(hash)), encodeParams(p), root)
	}
	sample := [1]metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	f.Fuzz(func(t *testing.T, data []byte, dataSize uint32, hash []byte, hashSize uint32, params []byte, root []byte) {
		dd := newZeroTail(data, dataSize)
		hd := newZeroTail(hash, hashSize)
		p := decodeParams(params)
		// runtime/metrics, unlike ReadMemStats, does not stop the world,
		// which would make each run 50 times slower. Large allocations,
		// the ones that matter here, are counted at once.
		before := heapAllocs(&sample)
		err := Verify(dd, hd, p, root, 2)
		if n, limit := heapAllocs(&sample)-before, 8<<20+4*(uint64(dd.size)+uint64(hd.size)); n > limit {
			t.Fatalf("Verify allocated %d bytes for devices of %d and %d bytes (limit %d)", n, dd.size, hd.size, limit)
		}
		if err != nil {
			checkErrorText(t, err)
			return
		}
		out := &memDev{}
		root2, err := Format(dd, out, p, 1)
		if err != nil {
			t.Fatalf("Format after a successful Verify: %v", err)
		}
		if !bytes.Equal(root2, root) {
			t.Fatalf("Format root %x, Verify accepted %x", root2, root)
		}
		levels, treeBytes, _ := p.TreeLayout()
		if len(levels) > 0 {
			start := int64(levels[len(levels)-1].OffsetBytes)
			want := make([]byte, treeBytes)
			if _, err := hd.ReadAt(want, start); err != nil {
				t.Fatal(err)
			}
			if got := out.b[start:]; !bytes.Equal(got, want) {
				t.Fatalf("Format's tree differs from the accepted one at byte %#x", start+int64(firstDiff(got, want)))
			}
		}
	})
}

// heapAllocs returns the bytes allocated on the heap so far.
func heapAllocs(s *[1]metrics.Sample) uint64 {
	metrics.Read(s[:])
	return s[0].Value.Uint64()
}

func checkErrorText(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "verity: ") {
		t.Fatalf("error text %q: want one line starting with \"verity: \"", msg)
	}
}

// maxFuzzDevice bounds the devices of FuzzVerify, so that runs stay fast.
const maxFuzzDevice = 4 << 20

// zeroTail is a device of size bytes: b, then zeros.
type zeroTail struct {
	b    []byte
	size int64
}

func newZeroTail(b []byte, size uint32) *zeroTail {
	if len(b) > maxFuzzDevice {
		b = b[:maxFuzzDevice]
	}
	s := min(int64(size), maxFuzzDevice)
	return &zeroTail{b: b, size: max(s, int64(len(b)))}
}

func (z *zeroTail) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if off >= z.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.size-off))
	clear(p[:n])
	if off < int64(len(z.b)) {
		copy(p[:n], z.b[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

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
		DataBlocks:      le64(h[5:]),
		HashOffsetBytes: le64(h[13:]),
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
	put64(b[5:], p.DataBlocks)
	put64(b[13:], p.HashOffsetBytes)
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
			return Verify(newZeroTail(a[0].([]byte), a[1].(uint32)), newZeroTail(a[2].([]byte), a[3].(uint32)), decodeParams(a[4].([]byte)), a[5].([]byte), 2)
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
