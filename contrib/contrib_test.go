package contrib

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tools are the verinit binaries built from this tree for the tests.
type tools struct {
	verinit, init string
}

var built tools // set once by TestMain, read-only afterwards

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verinit-contrib-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built = tools{verinit: filepath.Join(dir, "verinit"), init: filepath.Join(dir, "init")}
	for _, b := range [][]string{{built.verinit, "./cmd/verinit"}, {built.init, "./cmd/init"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", b[0], b[1])
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", b[1], err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needTool returns the path of a program the test needs; a missing one
// fails the test (scripts/prereqs.sh installs them).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required (scripts/prereqs.sh installs it): %v", name, err)
	}
	return p
}

// run runs a command and returns its standard output; it fails the test
// with both outputs if the command fails.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// runErr runs a command and returns its combined output and error.
func runErr(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// readFile returns a file's contents as a string.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShellScripts checks every shell script of contrib with shellcheck
// (Buildroot's check-package runs it on board scripts too).
func TestShellScripts(t *testing.T) {
	shellcheck := needTool(t, "shellcheck")
	// The shell of each: from its #! line, or sh for a sourced snippet.
	scripts := map[string]string{
		"buildroot/board/common/post-image.sh":                           "bash",
		"buildroot/board/common/rootfs-overlay/etc/profile.d/verinit.sh": "sh",
		"rauc/verinit-mark-good":                                         "sh",
	}
	for s, shell := range scripts {
		t.Run(s, func(t *testing.T) {
			run(t, nil, shellcheck, "--shell="+shell, "--severity=style", s)
		})
	}
}
