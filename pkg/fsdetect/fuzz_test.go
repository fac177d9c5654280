package fsdetect

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// extentImage is a device of size bytes that is zero except for its
// extents; later extents win where they overlap.
type extentImage struct {
	size int64
	ext  []extent
}

// extent is a run of bytes at a byte offset.
type extent struct {
	off  int64
	data []byte
}

// maxExtents bounds decodeExtents, so that reads stay cheap.
const maxExtents = 256

// decodeExtents parses repeated records of uvarint offset, uvarint length and
// that many bytes. It stops at the first malformed record.
func decodeExtents(b []byte) []extent {
	var ext []extent
	for len(b) > 0 && len(ext) < maxExtents {
		off, n1 := binary.Uvarint(b)
		if n1 <= 0 || off > math.MaxInt64 {
			break
		}
		l, n2 := binary.Uvarint(b[n1:])
		if n2 <= 0 || l > uint64(len(b)-n1-n2) {
			break
		}
		b = b[n1+n2:]
		ext = append(ext, extent{off: int64(off), data: b[:l]})
		b = b[l:]
	}
	return ext
}

// encodeExtents encodes the non-zero runs of data, joining runs separated by
// fewer than 16 zero bytes.
func encodeExtents(data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); {
		if data[i] == 0 {
			i++
			continue
		}
		j, zeros := i, 0
		for k := i; k < len(data) && zeros < 16; k++ {
			if data[k] == 0 {
				zeros++
			} else {
				zeros, j = 0, k+1
			}
		}
		out = binary.AppendUvarint(out, uint64(i))
		out = binary.AppendUvarint(out, uint64(j-i))
		out = append(out, data[i:j]...)
		i = j
	}
	return out
}

// ReadAt implements io.ReaderAt.
func (e *extentImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("extentImage: negative offset")
	}
	if off >= e.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > e.size-off {
		n = int(e.size - off)
	}
	clear(p[:n])
	end := off + int64(n)
	for _, x := range e.ext {
		xend := x.off + int64(len(x.data))
		if xend < x.off {
			xend = math.MaxInt64
		}
		if lo, hi := max(off, x.off), min(end, xend); lo < hi {
			copy(p[lo-off:hi-off], x.data[lo-x.off:])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// FuzzProbe probes an extent image (see decodeExtents) of size bytes. The
// extent encoding keeps seeds small, which keeps the fuzzer's minimisation
// fast. Seeds: testdata/fuzz/FuzzProbe, the first 4 KiB of real images (see
// testdata/README.md).
func FuzzProbe(f *testing.F) {
	f.Add([]byte{}, int64(0))
	f.Add(encodeExtents([]byte("hsqs")), int64(4096))
	f.Fuzz(func(t *testing.T, extents []byte, size int64) {
		info, err := Probe(&extentImage{size: size, ext: decodeExtents(extents)}, size)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error text %q: want one non-empty line", msg)
			}
			if info != (Info{}) {
				t.Fatalf("Probe returned %+v with error %v", info, err)
			}
			return
		}
		checkInfo(t, info)
	})
}

func checkInfo(t *testing.T, info Info) {
	t.Helper()
	if info.Type.KernelName() == "" {
		t.Fatalf("unknown type %q", info.Type)
	}
	if info.UUID != "" && (len(info.UUID) != 36 || strings.ToLower(info.UUID) != info.UUID) {
		t.Fatalf("bad UUID %q", info.UUID)
	}
	if len(info.Label) > 16 || strings.ContainsRune(info.Label, 0) || strings.TrimRight(info.Label, " \t\n\v\f\r") != info.Label {
		t.Fatalf("bad label %q", info.Label)
	}
	if info.Type == Squashfs && (info.UUID != "" || info.Label != "") {
		t.Fatalf("squashfs with UUID or label: %+v", info)
	}
}

// TestFuzzSeeds probes every committed seed: "<image>-ok" must be detected
// with the type the name starts with, "*-bad" must give a *FormatError.
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzProbe", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 9 {
		t.Fatalf("found %d seeds in testdata/fuzz/FuzzProbe, want at least 9", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			extents, size := parseSeed(t, b)
			info, err := Probe(&extentImage{size: size, ext: decodeExtents(extents)}, size)
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil || !strings.HasPrefix(name, string(info.Type)+"-") {
					t.Fatalf("Probe = %+v, %v", info, err)
				}
				checkInfo(t, info)
			case strings.HasSuffix(name, "-bad"):
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("Probe = %+v, %v; want a *FormatError", info, err)
				}
			default:
				t.Fatalf("seed name %q must end in -ok or -bad", name)
			}
		})
	}
}

func parseSeed(t *testing.T, b []byte) ([]byte, int64) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasPrefix(lines[2], "int64(") {
		t.Fatalf("not a FuzzProbe corpus file")
	}
	data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	size, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(lines[2], "int64("), ")"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(data), size
}

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzProbe from real images")

// TestGenerateFuzzSeeds writes the committed FuzzProbe seeds: the non-zero
// runs of the first 4 KiB of each image in images, with the image size.
// Run it with
//
//	go test ./pkg/fsdetect -run TestGenerateFuzzSeeds -genseeds
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("generator; run with -genseeds to rewrite testdata/fuzz/FuzzProbe")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzProbe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, img []byte) {
		ext := encodeExtents(img[:min(len(img), headBytes)])
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nint64(%d)\n", ext, len(img))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, len(seed))
	}
	for _, im := range images {
		_, b := buildImage(t, im)
		write(im.name+"-ok", b)
		switch im.name {
		case "ext4":
			b[1024+0x78] ^= 1
			write("ext4-badcsum-bad", b)
		case "erofs":
			b[1024+64] ^= 1
			write("erofs-badcsum-bad", b)
		}
	}
}
