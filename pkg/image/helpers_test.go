package image

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needTool returns the path of an external program the test needs. A
// missing tool fails the test: the cross-checks are the point.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required for this test (scripts/prereqs.sh installs it): %v", name, err)
	}
	return p
}

// makeRootfs writes a small root file system tree and returns its path.
// One file is 300 KiB of pseudo-random bytes, so that the image spans many
// verity blocks and does not compress away.
func makeRootfs(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "etc", "sbin", "dev", "proc", "sys"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "os-release"), []byte("ID=verinit-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 300<<10)
	rand.NewChaCha8([32]byte{1}).Read(blob)
	if err := os.WriteFile(filepath.Join(dir, "bin", "blob"), blob, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../bin/blob", filepath.Join(dir, "sbin", "init")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildImage makes a file system image of the given type from a new tree.
func buildImage(t testing.TB, fs string) string {
	t.Helper()
	needTool(t, fsTools[fs].prog)
	out := filepath.Join(t.TempDir(), "root."+fs)
	if err := BuildFS(makeRootfs(t), fs, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// memDisk is a sparse in-memory device: only the chunks written are
// stored, so disks of any size cost what is written.
type memDisk struct {
	chunks map[int64][]byte
	size   int64 // one past the last byte written
}

const memChunk = 64 << 10

func newMemDisk() *memDisk { return &memDisk{chunks: map[int64][]byte{}} }

func (m *memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("memDisk: negative offset")
	}
	n := len(p)
	for len(p) > 0 {
		c, o := off/memChunk, off%memChunk
		b := m.chunks[c]
		if b == nil {
			b = make([]byte, memChunk)
			m.chunks[c] = b
		}
		k := copy(b[o:], p)
		p, off = p[k:], off+int64(k)
	}
	m.size = max(m.size, off)
	return n, nil
}

func (m *memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("memDisk: negative offset")
	}
	if off >= m.size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > m.size-off {
		p = p[:m.size-off]
	}
	n := 0
	for n < len(p) {
		c, o := off/memChunk, off%memChunk
		var k int
		if b := m.chunks[c]; b != nil {
			k = copy(p[n:], b[o:])
		} else {
			k = min(len(p)-n, int(memChunk-o))
			clear(p[n : n+k])
		}
		n, off = n+k, off+int64(k)
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// writeOnly hides everything but WriteAt.
type writeOnly struct{ w io.WriterAt }

func (w writeOnly) WriteAt(p []byte, off int64) (int, error) { return w.w.WriteAt(p, off) }

// overlay reads r, except that the bytes in [off, off+len(b)) read as b.
type overlay struct {
	r   io.ReaderAt
	off int64
	b   []byte
}

func (o overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.r.ReadAt(p, off)
	for i := range p[:n] {
		if j := off + int64(i) - o.off; j >= 0 && j < int64(len(o.b)) {
			p[i] = o.b[j]
		}
	}
	return n, err
}
