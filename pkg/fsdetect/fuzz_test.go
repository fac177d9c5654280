package fsdetect

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/extentimage"
)

// extentImage and extent are the shared sparse-image seed encoding.
type (
	extent      = extentimage.Extent
	extentImage = extentimage.Image
)

var decodeExtents = extentimage.Decode

// encodeExtents encodes an image starting at byte 0.
func encodeExtents(data []byte) []byte { return extentimage.Encode(extent{Off: 0, Data: data}) }

// FuzzProbe probes an extent image (see decodeExtents) of size bytes. The
// extent encoding keeps seeds small, which keeps the fuzzer's minimisation
// fast. Seeds: testdata/fuzz/FuzzProbe, the first 4 KiB of real images (see
// testdata/README.md).
func FuzzProbe(f *testing.F) {
	f.Add([]byte{}, int64(0))
	f.Add(encodeExtents([]byte("hsqs")), int64(4096))
	f.Fuzz(func(t *testing.T, extents []byte, size int64) {
		info, err := Probe(&extentImage{Size: size, Extents: decodeExtents(extents)}, size)
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
			info, err := Probe(&extentImage{Size: size, Extents: decodeExtents(extents)}, size)
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
