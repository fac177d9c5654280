// Package devtest holds what the tests of the block-format packages share:
// an in-memory device, file helpers that fail the test on error, and the
// veritysetup binary they compare with.
package devtest

import (
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// MemDev is an in-memory device: an io.ReaderAt and io.WriterAt that grows
// on writes, like a sparse file. Like an *os.File it allows parallel calls.
type MemDev struct {
	mu sync.Mutex
	b  []byte
}

// NewMemDev returns a device holding b.
func NewMemDev(b []byte) *MemDev { return &MemDev{b: b} }

// Bytes returns the device's content (not a copy).
func (m *MemDev) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.b
}

func (m *MemDev) ReadAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *MemDev) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if end := off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	return copy(m.b[off:], p), nil
}

// WriteFile writes b to name, failing t on error.
func WriteFile(t testing.TB, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadFile reads name, failing t on error.
func ReadFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Veritysetup returns the path of the veritysetup binary, failing the test
// when it is missing: the comparison with it is the point of such tests.
func Veritysetup(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("veritysetup"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/veritysetup", "/sbin/veritysetup"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("veritysetup not found in PATH, /usr/sbin or /sbin: scripts/prereqs.sh installs it (Debian package cryptsetup-bin)")
	return ""
}
