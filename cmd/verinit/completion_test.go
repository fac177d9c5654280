package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// completion writes verinit completion SHELL to a file.
func completion(t *testing.T, shell string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"completion", shell}, &stdout, &stderr); code != 0 {
		t.Fatalf("verinit completion %s: exit %d: %s", shell, code, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "verinit."+shell)
	if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompletionSyntax(t *testing.T) {
	for _, c := range [][]string{
		{"bash", "bash", "-n"},
		{"zsh", "zsh", "-n"},
		{"fish", "fish", "--no-execute"},
	} {
		script := completion(t, c[0])
		if out, err := exec.Command(c[1], append(c[2:], script)...).CombinedOutput(); err != nil || len(out) != 0 {
			t.Errorf("%s: %v\n%s", strings.Join(c[1:], " "), err, out)
		}
	}
	var stderr bytes.Buffer
	if code := dispatch([]string{"completion", "tcsh"}, &stderr, &stderr); code != 2 {
		t.Errorf("completion tcsh: exit %d", code)
	}
}

// TestBashCompletion sources the script and asks it, as bash would.
func TestBashCompletion(t *testing.T) {
	script := completion(t, "bash")
	dir := t.TempDir()
	for _, f := range []string{"rootfs.img", "root.hash"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		line   string // the words so far; the last is completed
		want   string // COMPREPLY, sorted, space-separated
		subset bool   // want lists some of COMPREPLY
	}{
		{"verinit ver", "verity version", false},
		{"verinit ", "completion disk initramfs inspect lvm man sign tpm verity version", false},
		{"verinit tpm ", "predict", false},
		{"verinit verity ", "dump format verify", false},
		{"verinit verity f", "format", false},
		{"verinit verity format --hash-", "--hash-block-size --hash-offset", false},
		{"verinit verity format data.img --hash-o", "--hash-offset", false},
		{"verinit disk create out.img --ro", "--rootfs", false},
		{"verinit disk create out.img --rootfs roo", "root.hash rootfs.img", false},
		{"verinit disk create out.img -rootfs roo", "root.hash rootfs.img", false},
		{"verinit initramfs -", "--cert --compression --file --init --kernel-release --module --modules-dir --no-modules --policy -o", true},
		{"verinit inspect r", "root.hash rootfs.img", false},
		{"verinit completion ", "bash fish zsh", false},
		{"verinit completion z", "zsh", false},
		{"verinit completion zsh ", "", false},
		{"verinit lvm d", "dump", false},
		{"verinit frob ", "", false},
	} {
		words := strings.Split(tc.line, " ")
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := `source "$1"; COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _verinit; printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '`
		cmd := exec.Command("bash", "-c", prog, "bash", script)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		got := strings.TrimSpace(string(out))
		if !tc.subset && got != tc.want {
			t.Errorf("%q: COMPREPLY %q, want %q", tc.line, got, tc.want)
		}
		for _, f := range strings.Fields(tc.want) {
			if tc.subset && !strings.Contains(" "+got+" ", " "+f+" ") {
				t.Errorf("%q: COMPREPLY %q lacks %s", tc.line, got, f)
			}
		}
	}
}

// TestFishCompletion asks fish itself (complete -C) what it completes.
func TestFishCompletion(t *testing.T) {
	script := completion(t, "fish")
	for _, tc := range []struct{ line, want string }{
		{"verinit ver", "verity version"},
		{"verinit verity ", "dump format verify"},
		{"verinit verity format --hash-o", "--hash-offset"},
		{"verinit lvm ", "dump"},
		{"verinit completion ", "bash fish zsh"},
	} {
		prog := `source $argv[1]; complete -C '` + tc.line + `' | string replace -r '\t.*' '' | sort | string join ' '; true`
		out, err := exec.Command("fish", "-c", prog, script).Output()
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%q: fish completes %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestZshCompletionFunction loads the function in zsh and checks that
// it defines _verinit and describes every command (zsh's completion
// widgets need a terminal, so only the definition is checked).
func TestZshCompletionFunction(t *testing.T) {
	script := completion(t, "zsh")
	out, err := exec.Command("zsh", "-f", "-c", `source "$1" 2>/dev/null; whence -w _verinit; functions _verinit`, "zsh", script).Output()
	if err != nil {
		t.Fatalf("zsh: %v", err)
	}
	if !strings.HasPrefix(string(out), "_verinit: function\n") {
		t.Fatalf("zsh: %q", strings.SplitN(string(out), "\n", 2)[0])
	}
	for _, c := range commands() {
		w := strings.Fields(c.name)
		if !strings.Contains(string(out), w[len(w)-1]+":") {
			t.Errorf("zsh: %s not described", c.name)
		}
	}
}
