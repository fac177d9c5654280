package activate

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/verity"
)

// veritysetupFormat makes a tree with the real veritysetup.
func veritysetupFormat(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("veritysetup", append([]string{"format"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("veritysetup format (install cryptsetup-bin): %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no root hash in %s", out)
	}
	return string(m[1])
}

func randomFile(t testing.TB, size int) string {
	t.Helper()
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t testing.TB, p string) (*os.File, int64) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	return f, st.Size()
}

func TestPrepare(t *testing.T) {
	data := randomFile(t, 1<<20)
	hash := filepath.Join(t.TempDir(), "hash")
	root := veritysetupFormat(t, data, hash, "--salt=abcd")
	df, dsize := open(t, data)
	hf, _ := open(t, hash)
	cfg := func(rootHash string, o config.VerityOptions) *config.Verity {
		if o.Mode == "" {
			o.Mode = config.ModeRestart
		}
		return &config.Verity{RootHash: rootHash, Options: o}
	}

	p, err := Prepare(cfg(root, config.VerityOptions{}), df, dsize, "data", hf, "hash", Trust{})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	_, params, sectors, err := p.Table("254:1", "254:2")
	if err != nil {
		t.Fatal(err)
	}
	want := "1 254:1 254:2 4096 4096 256 1 sha256 " + root + " abcd 1 restart_on_corruption"
	if params != want || sectors != 2048 {
		t.Errorf("table %q %d\nwant  %q 2048", params, sectors, want)
	}

	wrong := strings.Repeat("0", 64)
	if _, err := Prepare(cfg(wrong, config.VerityOptions{}), df, dsize, "data", hf, "hash", Trust{}); !errors.Is(err, verity.ErrRootHashMismatch) || !strings.HasPrefix(err.Error(), "hash: verity: root hash mismatch") {
		t.Errorf("wrong root hash: %v", err)
	}
	_, err = Prepare(cfg(root, config.VerityOptions{Mode: config.ModeRestart, Algorithm: "sha512"}), df, dsize, "data", hf, "hash", Trust{})
	if err == nil || err.Error() != "verity: hash=sha512 was given, but the superblock says sha256" {
		t.Errorf("disagreeing option: %v", err)
	}
	_, err = Prepare(cfg(root, config.VerityOptions{}), df, 4096, "data", hf, "hash", Trust{})
	if err == nil || err.Error() != "verity: 256 data blocks of 4096 bytes need 1048576 bytes, but the data device has 4096" {
		t.Errorf("short data device: %v", err)
	}
}

func TestPrepareNoSuperblock(t *testing.T) {
	data := randomFile(t, 1<<20)
	hash := filepath.Join(t.TempDir(), "hash")
	root := veritysetupFormat(t, data, hash, "--no-superblock", "--salt=-", "--hash=sha512", "--data-block-size=1024")
	df, dsize := open(t, data)
	hf, _ := open(t, hash)
	o := config.VerityOptions{NoSuperblock: true, Mode: config.ModeEIO, Algorithm: "sha512", DataBlockSize: 1024}
	if _, err := Prepare(&config.Verity{RootHash: root, Options: o}, df, dsize, "data", hf, "hash", Trust{}); err == nil ||
		err.Error() != "verity: without a superblock the salt must be given (salt=HEX or salt=-)" {
		t.Errorf("no salt: %v", err)
	}
	o.SaltSet = true // salt=-: none
	p, err := Prepare(&config.Verity{RootHash: root, Options: o}, df, dsize, "data", hf, "hash", Trust{})
	if err != nil {
		t.Fatal(err)
	}
	if _, params, _, _ := p.Table("a", "b"); params != "1 a b 1024 4096 1024 0 sha512 "+root+" -" {
		t.Errorf("table %q", params)
	}
}

func TestPrepareAppended(t *testing.T) {
	dir := t.TempDir()
	// Random bytes do not compress: the image spans many blocks.
	b, err := os.ReadFile(randomFile(t, 200<<10))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "img")
	if out, err := exec.Command("mksquashfs", dir, img, "-noappend", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs (install squashfs-tools): %v\n%s", err, out)
	}
	st, _ := os.Stat(img)
	off := st.Size() // mksquashfs pads to 4 KiB
	root := veritysetupFormat(t, img, img, "--hash-offset="+itoa(off), "--data-blocks="+itoa(off/4096))
	f, size := open(t, img)
	p, err := Prepare(&config.Verity{RootHash: root, HashOffsetFromFS: true, Options: config.VerityOptions{}}, f, size, "img", f, "img", Trust{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HashOffset != uint64(off) {
		t.Errorf("hash offset %d, want %d", p.HashOffset, off)
	}
	// A bad sector under the appended superblock is reported with its
	// offset, not taken for a missing superblock.
	bad := &failAt{r: f, off: off}
	_, err = Prepare(&config.Verity{RootHash: root, HashOffsetFromFS: true, Options: config.VerityOptions{}}, bad, size, "img", bad, "img", Trust{})
	if want := "verity: hash tree appended to img: read superblock at byte " + "0x" + strconv.FormatInt(off, 16) + ": " + errEIO.Error(); err == nil || err.Error() != want {
		t.Errorf("I/O error under the superblock:\n got %v\nwant %s", err, want)
	}
	if !errors.Is(err, errEIO) {
		t.Errorf("errors.Is(err, errEIO) = false: %v", err)
	}
}

var errEIO = errors.New("input/output error")

// failAt fails every read that covers byte off, as a bad sector does.
type failAt struct {
	r   io.ReaderAt
	off int64
}

func (f *failAt) ReadAt(p []byte, off int64) (int, error) {
	if off <= f.off && f.off < off+int64(len(p)) {
		return 0, errEIO
	}
	return f.r.ReadAt(p, off)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDERLength(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		n    int
		ok   bool
		name string
	}{
		{[]byte{0x30, 0x05}, 7, true, "short form"},
		{[]byte{0x30, 0x82, 0x02, 0x7d}, 4 + 0x27d, true, "two length bytes"},
		{[]byte{0x30, 0x80}, 0, false, "indefinite length"},
		{[]byte{0x31, 0x05}, 0, false, "not a SEQUENCE"},
		{[]byte{0x30, 0x84, 1, 2, 3, 4}, 0, false, "four length bytes"},
		{[]byte{0x30}, 0, false, "truncated"},
	} {
		if n, ok := derLength(tc.in); n != tc.n || ok != tc.ok {
			t.Errorf("%s: derLength = %d, %v; want %d, %v", tc.name, n, ok, tc.n, tc.ok)
		}
	}
}
