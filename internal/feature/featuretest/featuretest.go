// Package featuretest builds the init without optional parts
// (internal/feature), for tests of what the host tool does with such an
// init.
package featuretest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Init builds cmd/init for this machine with the build tags (comma
// separated) into a new temporary directory and returns its path.
func Init(t testing.TB, tags string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "init")
	cmd := exec.Command("go", "build", "-tags", tags, "-trimpath", "-ldflags=-s -w", "-o", out, "github.com/verinit/verinit/cmd/init")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s ./cmd/init: %v\n%s", tags, err, b)
	}
	return out
}
