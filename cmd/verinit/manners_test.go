package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/ptytest"
	"github.com/verinit/verinit/pkg/config/keys"
)

// decode runs a command and decodes its stdout as JSON into a map.
func decode(t *testing.T, wantCode int, args ...string) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch(args, &stdout, &stderr); code != wantCode {
		t.Fatalf("%s: exit %d, want %d: %s", strings.Join(args, " "), code, wantCode, stderr.String())
	}
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return m
}

func hasFields(t *testing.T, what string, m map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Errorf("%s: JSON lacks %q: %v", what, f, m)
		}
	}
}

// TestReadCommandsTakeJSON: every command that reports takes --json and
// prints one JSON object with its fields.
func TestReadCommandsTakeJSON(t *testing.T) {
	data := testData(t, 64<<10)
	hash := filepath.Join(t.TempDir(), "hash")
	f := decode(t, 0, "verity", "format", data, hash, "--json", "--salt", "-")
	hasFields(t, "verity format", f, "root_hash", "data_blocks", "hash_algorithm", "salt", "uuid")
	root, _ := f["root_hash"].(string)

	v := decode(t, 0, "verity", "verify", data, hash, root, "--json")
	hasFields(t, "verity verify", v, "data", "hash", "root_hash", "data_blocks")
	if v["ok"] != true || v["data_blocks"] != 16.0 {
		t.Errorf("verity verify: %v", v)
	}
	d := decode(t, 0, "verity", "dump", hash, "--json")
	hasFields(t, "verity dump", d, "data_blocks", "hash_block_size", "hash_algorithm", "uuid")

	ver := decode(t, 0, "version", "--json")
	hasFields(t, "version", ver, "version", "go_version", "os", "arch")
	if ver["version"] != version {
		t.Errorf("version: %v", ver)
	}

	notPV := filepath.Join(t.TempDir(), "zeros")
	if err := os.WriteFile(notPV, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	l := decode(t, 0, "lvm", "dump", "--json", notPV)
	hasFields(t, "lvm dump", l, "pvs", "volume_groups")
	if pvs, _ := l["pvs"].([]any); len(pvs) != 1 {
		t.Errorf("lvm dump: pvs %v", l["pvs"])
	} else if pv, _ := pvs[0].(map[string]any); pv["device"] != notPV || pv["error"] == "" {
		t.Errorf("lvm dump: pv %v", pv)
	}

	i := decode(t, 1, "inspect", "--json", notPV)
	hasFields(t, "inspect", i, "disks", "cmdline", "error")

	dir := t.TempDir()
	initBin, initrd := filepath.Join(dir, "init"), filepath.Join(dir, "initrd")
	writeELF(t, initBin, elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC)
	r := decode(t, 0, "initramfs", "--json", "-o", initrd, "--init", initBin, "--no-modules", "--compression", "zstd")
	hasFields(t, "initramfs", r, "archive", "bytes", "compression", "uncompressed_bytes", "entries", "modules")
	if r["archive"] != initrd || r["compression"] != "zstd" {
		t.Errorf("initramfs: %v", r)
	}
	ls := decode(t, 0, "initramfs", "--list", initrd, "--json")
	hasFields(t, "initramfs --list", ls, "archive", "compression", "uncompressed_bytes", "entries")
	found := false
	for _, e := range ls["entries"].([]any) {
		e := e.(map[string]any)
		if e["name"] == "/init" && e["mode"] == "-rwxr-xr-x" && e["size"] == 76.0 {
			found = true
		}
	}
	if !found || ls["compression"] != "zstd" {
		t.Errorf("initramfs --list: no /init entry, or not zstd: %v", ls)
	}
}

// TestVerifyJSONOnCorruption: a bad block still gives the JSON report
// (ok false, the error), the error on stderr and exit status 1.
func TestVerifyJSONOnCorruption(t *testing.T) {
	data := testData(t, 64<<10)
	hash := filepath.Join(t.TempDir(), "hash")
	root := decode(t, 0, "verity", "format", data, hash, "--json")["root_hash"].(string)
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b[5*4096+1] ^= 1
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"verity", "verify", "--json", data, hash, root}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d", code)
	}
	var v verifyResult
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.OK || !strings.Contains(v.Error, "data block 5") || !strings.Contains(stderr.String(), v.Error) {
		t.Errorf("result %+v, stderr %q", v, stderr.String())
	}
}

// reportCommands are the commands that print a report, and must take
// --json (man, completion and sign print other things).
var reportCommands = []string{"initramfs", "verity format", "verity verify", "verity dump", "inspect", "disk create", "lvm dump", "version"}

func TestReportCommandsHaveJSONFlag(t *testing.T) {
	for _, c := range commands() {
		fs, err := flagsOf(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reportCommands {
			if c.name == r && fs.Lookup("json") == nil {
				t.Errorf("%s has no --json", c.name)
			}
		}
	}
}

var escape = regexp.MustCompile("\x1b")

// onTTY runs a command with stderr on a pseudo-terminal and returns
// what it wrote there.
func onTTY(t *testing.T, args ...string) (stdout, tty string) {
	t.Helper()
	master, slave, err := ptytest.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once slave is closed
		got <- b
	}()
	var out bytes.Buffer
	code := dispatch(args, &out, slave)
	slave.Close()
	b := <-got
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, b)
	}
	return out.String(), string(b)
}

// TestProgressOnlyOnTerminal: long work shows progress when stderr is a
// terminal, and nothing when it is not (the tests' own stderr is a
// buffer, as in a pipe). No escape sequences either way, NO_COLOR or
// not.
func TestProgressOnlyOnTerminal(t *testing.T) {
	t.Setenv("TERM", "xterm")
	data := testData(t, 1<<20)
	hash := filepath.Join(t.TempDir(), "hash")
	for _, noColor := range []string{"", "1"} {
		t.Setenv("NO_COLOR", noColor)
		stdout, tty := onTTY(t, "verity", "format", data, hash)
		if !strings.HasSuffix(tty, "\rverity format, hashed: 1.0 MiB of 1.0 MiB (100%)\n") {
			t.Errorf("NO_COLOR=%q: progress %q", noColor, tty)
		}
		if escape.MatchString(stdout + tty) {
			t.Errorf("NO_COLOR=%q: escape sequences in %q %q", noColor, stdout, tty)
		}
		root := rootHashRE.FindStringSubmatch(stdout)
		if root == nil {
			t.Fatalf("no root hash in %q", stdout)
		}
		if _, tty := onTTY(t, "verity", "verify", data, hash, root[1]); !strings.HasSuffix(tty, "(100%)\n") {
			t.Errorf("verify progress %q", tty)
		}
	}
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	if err := os.WriteFile(initBin, make([]byte, 3<<20), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, tty := onTTY(t, "initramfs", "-o", filepath.Join(dir, "initrd"), "--init", initBin, "--no-modules", "--compression", "none"); !regexp.MustCompile(`^(\rinitramfs, written: [0-9.]+ [KM]?i?B *)+\n$`).MatchString(tty) {
		t.Errorf("initramfs progress %q", tty)
	}
	t.Setenv("TERM", "dumb")
	if _, tty := onTTY(t, "verity", "format", data, hash); tty != "" {
		t.Errorf("TERM=dumb: progress %q", tty)
	}
	t.Setenv("TERM", "xterm")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"verity", "format", data, hash}, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("not a terminal: exit %d, stderr %q", code, stderr.String())
	}
	// A pipe is an *os.File, but not a terminal.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	code := dispatch([]string{"verity", "format", data, hash}, &stdout, w)
	w.Close()
	piped, _ := io.ReadAll(r)
	r.Close()
	if code != 0 || len(piped) != 0 {
		t.Errorf("pipe: exit %d, stderr %q", code, piped)
	}
}

var updateREADME = flag.Bool("update", false, "rewrite README's generated parts (command-line table, command synopsis)")

// TestREADME: README's kernel command-line table is package keys' table,
// and its command synopsis is the command table's (go test ./cmd/verinit
// -run TestREADME -update rewrites both).
func TestREADME(t *testing.T) {
	var table strings.Builder
	table.WriteString("| key | meaning |\n| --- | --- |\n")
	for _, k := range keys.Table() {
		table.WriteString("| " + k.Term + " | " + k.Doc + " |\n")
	}
	var compat strings.Builder
	compat.WriteString("| systemd | where | verinit |\n| --- | --- | --- |\n")
	for _, r := range keys.SystemdVerity() {
		name, where := "`"+r.Name+"=`", "command line"
		switch r.Kind {
		case keys.VerityOption:
			name, where = "`"+r.Name+"`", "`systemd.verity_root_options=`, veritytab"
		case keys.VeritytabOnly:
			name, where = "`"+r.Name+"`", "veritytab"
		}
		compat.WriteString("| " + name + " | " + where + " | " + r.Verinit + " |\n")
	}
	var synopsis strings.Builder
	synopsis.WriteString("```\n")
	for _, c := range commands() {
		fs, err := flagsOf(c)
		if err != nil {
			t.Fatal(err)
		}
		synopsis.WriteString(fullSynopsis(c, fs, 96, "                  ") + "\n")
	}
	synopsis.WriteString("verinit --help, verinit help COMMAND, verinit COMMAND --help\n```\n")
	const path = "../../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := readme
	for _, part := range []struct{ name, start, end, want string }{
		{"kernel command-line table (edit pkg/config/keys)", "| key | meaning |\n", "\n\n", table.String()},
		{"systemd compatibility table (edit pkg/config/keys/systemd.go)", "| systemd | where | verinit |\n", "\n\n", compat.String()},
		{"command synopsis (edit the table in cmd/verinit/main.go)", "## The `verinit` command\n\n```\n", "```\n", synopsis.String()},
	} {
		i := bytes.Index(out, []byte(part.start))
		if i < 0 {
			t.Errorf("README.md: no %q", part.start)
			continue
		}
		if !strings.HasPrefix(part.start, "|") {
			i += len(part.start) - len("```\n")
		}
		j := bytes.Index(out[i+len("```\n"):], []byte(part.end))
		if j < 0 {
			t.Errorf("README.md: %s does not end", part.name)
			continue
		}
		j += i + len("```\n") + len(part.end)
		if strings.HasPrefix(part.start, "|") {
			j -= 1 // keep the blank line
		}
		if string(out[i:j]) == part.want {
			continue
		}
		if !*updateREADME {
			t.Errorf("README.md's %s differs from the code: run go test ./cmd/verinit -run TestREADME -update\nREADME:\n%s\ncode:\n%s", part.name, out[i:j], part.want)
			continue
		}
		out = append(append(append([]byte(nil), out[:i]...), part.want...), out[j:]...)
	}
	if *updateREADME && !bytes.Equal(out, readme) {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
