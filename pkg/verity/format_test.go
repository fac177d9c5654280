package verity

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/verinit/verinit/internal/devtest"
)

// TestFormatVerify formats and verifies trees for combinations of the
// parameters, with several goroutine counts that must all give the same
// bytes.
func TestFormatVerify(t *testing.T) {
	for _, ht := range []int{0, 1} {
		for _, alg := range []string{"sha1", "sha256", "sha512"} {
			for _, sizes := range [][2]uint32{{512, 512}, {4096, 512}, {512, 4096}, {4096, 4096}, {65536, 65536}} {
				for _, n := range []uint64{1, 2, 15, 16, 17, 257, 1000} {
					if sizes[0] == 65536 && n > 17 {
						continue // keep the test fast
					}
					p := Params{HashType: ht, Algorithm: alg, DataBlockSize: sizes[0], HashBlockSize: sizes[1], DataBlocks: n, Salt: []byte{1, 2, 3}, UUID: testUUID}
					if n%2 == 1 {
						p.Salt = nil
					}
					if n == 16 {
						p.NoSuperblock, p.HashOffsetBytes = true, uint64(sizes[1])
					}
					data := genData(n, int(n)*int(sizes[0]), int(sizes[0]))
					hash1, root1 := formatMem(t, data, p, 1)
					for _, w := range []int{2, 3, 0} {
						hash, root := formatMem(t, data, p, w)
						if !bytes.Equal(hash, hash1) || !bytes.Equal(root, root1) {
							t.Fatalf("%+v: Format with %d goroutines differs from 1", p, w)
						}
					}
					if err := Verify(bytes.NewReader(data), bytes.NewReader(hash1), p, root1, 2); err != nil {
						t.Fatalf("%+v: Verify: %v", p, err)
					}
					if len(hash1) == 0 && !p.NoSuperblock {
						t.Fatalf("%+v: nothing written", p)
					}
				}
			}
		}
	}
}

// TestFormatZeroBlocks checks that blocks of zeros are hashed like any
// other block: veritysetup has no shortcut for them.
func TestFormatZeroBlocks(t *testing.T) {
	p := stdParams(10)
	data := make([]byte, 10*4096)
	hash, _ := formatMem(t, data, p, 2)
	want := make([]byte, 32)
	newHasher(&p).sum(want, data[:4096])
	for i := range 10 {
		if got := hash[4096+32*i : 4096+32*i+32]; !bytes.Equal(got, want) {
			t.Fatalf("digest %d = %x, want %x", i, got, want)
		}
	}
}

// TestFormatOverwrites checks that Format gives the same bytes over an old
// hash device full of garbage: it writes every byte of the tree and zeros
// between the superblock and the tree. (veritysetup leaves that gap
// untouched.)
func TestFormatOverwrites(t *testing.T) {
	p := stdParams(300)
	data := genData(11, 300*4096, 4096)
	clean, root := formatMem(t, data, p, 2)
	dev := devtest.NewMemDev(bytes.Repeat([]byte{0xa5}, len(clean)))
	root2, err := Format(bytes.NewReader(data), dev, p, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dev.Bytes(), clean) || !bytes.Equal(root, root2) {
		t.Fatalf("Format over garbage differs first at byte %#x", firstDiff(dev.Bytes(), clean))
	}
}

type failWriter struct{ at int64 }

func (w failWriter) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > w.at {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

type shortWriter struct{}

func (shortWriter) WriteAt(p []byte, off int64) (int, error) { return len(p) / 2, nil }

type failReader struct {
	r  io.ReaderAt
	at int64
}

func (f failReader) ReadAt(p []byte, off int64) (int, error) {
	if off <= f.at && f.at < off+int64(len(p)) {
		return 0, errors.New("bad sector")
	}
	return f.r.ReadAt(p, off)
}

func TestFormatErrors(t *testing.T) {
	p := stdParams(1000)
	data := genData(12, 1000*4096, 4096)
	for _, tc := range []struct {
		name string
		data io.ReaderAt
		hash io.WriterAt
		p    Params
		text string
	}{
		{"invalid", bytes.NewReader(data), &memDev{}, Params{}, `verity: invalid parameters: unsupported hash algorithm ""`},
		{"short data", bytes.NewReader(data[:len(data)-4096]), &memDev{}, p, "verity: data device is shorter than 1000 blocks of 4096 bytes (4096000 bytes): unexpected EOF"},
		{"read error", failReader{bytes.NewReader(data), 700*4096 + 3}, &memDev{}, p, "verity: read data device at byte 0x"},
		{"write error in level 0", bytes.NewReader(data), failWriter{at: 6 * 4096}, p, "verity: write hash device at byte 0x"},
		{"write error in superblock", bytes.NewReader(data), failWriter{at: 512}, p, "verity: write hash device at byte 0x"},
		{"short write", bytes.NewReader(data), shortWriter{}, p, "short write"},
	} {
		for _, w := range []int{1, 2} {
			root, err := Format(tc.data, tc.hash, tc.p, w)
			if err == nil || root != nil || !bytes.Contains([]byte(err.Error()), []byte(tc.text)) {
				t.Errorf("%s: Format = %x, %v; want error containing %q", tc.name, root, err, tc.text)
			}
		}
	}
}
