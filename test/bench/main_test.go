//go:build vm

// Package bench is `make bench` (docs/bench.md): BenchmarkTable boots one
// verified root under QEMU TCG with verinit, Debian's initramfs-tools,
// dracut and a trivial floor /init (./floor), through the harness of the
// VM tests (internal/vmtest). Run with: make bench.
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// shared is the run's harness, with verinit and its init built into
// its bin/.
var shared *vmtest.Harness

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "verinit-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		h, err := vmtest.New(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
		bin := filepath.Join(dir, "bin")
		for _, b := range []struct {
			env  []string
			args []string
		}{
			{nil, []string{"build", "-o", filepath.Join(bin, "verinit"), "./cmd/verinit"}},
			{[]string{"CGO_ENABLED=0"}, []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(bin, "init"), "./cmd/init"}},
		} {
			if err := vmtest.RunEnv(repoRoot(), b.env, "go", b.args...); err != nil {
				fmt.Fprintf(os.Stderr, "bench: %v\n", err)
				return 1
			}
		}
		shared = h
		return m.Run()
	}()
	os.Exit(code)
}

// leanTags drop the optional parts of the init (internal/feature) that
// keep it comparable with test/sizefloor, which checks signatures.
const leanTags = "verinit_nolvm,verinit_notpm"

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}
