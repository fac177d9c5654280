// Package fuzzseed reads and writes the one-[]byte files of a go test
// -fuzz corpus ("go test fuzz v1" then one []byte literal), for the tests
// that make seeds from real tools and check what they decode to.
package fuzzseed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Write writes b as the seed testdata/fuzz/TARGET/NAME of the package
// under test.
func Write(t testing.TB, target, name string, b []byte) {
	t.Helper()
	WriteIn(t, filepath.Join("testdata", "fuzz", target), name, b)
}

// WriteIn writes b as the seed NAME of the corpus directory dir, for
// seeds one package makes for another's fuzz target.
func WriteIn(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Read returns the []byte of a one-value corpus file, failing the test
// on any other file.
func Read(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lit, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "go test fuzz v1\n[]byte(")
	lit, ok2 := strings.CutSuffix(lit, ")")
	s, err := strconv.Unquote(lit)
	if !ok || !ok2 || err != nil {
		t.Fatalf("%s: not a one-value []byte corpus file", file)
	}
	return []byte(s)
}
