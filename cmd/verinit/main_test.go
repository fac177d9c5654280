package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDispatchExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"no args is misuse", nil, 2, "", "Usage: verinit COMMAND"},
		{"help", []string{"--help"}, 0, "initramfs", ""},
		{"version", []string{"version"}, 0, "dev", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"initramfs help", []string{"initramfs", "--help"}, 0, "--kernel-release REL", ""},
		{"help initramfs", []string{"help", "initramfs"}, 0, "Usage: verinit initramfs -o FILE", ""},
		{"help verity", []string{"help", "verity"}, 0, "verinit verity verify DATA HASH ROOTHASH", ""},
		{"help verity dump", []string{"help", "verity", "dump"}, 0, "--hash-offset offset", ""},
		{"verity alone", []string{"verity"}, 2, "", "verinit verity format DATA HASH"},
		{"unknown verity command", []string{"verity", "frob"}, 2, "", `verinit verity: unknown command "frob"`},
		{"help for an unknown verity command", []string{"help", "verity", "frob"}, 2, "", `verinit verity: unknown command "frob"`},
		{"verity help", []string{"verity", "help"}, 0, "verinit verity dump HASH", ""},
		{"initramfs without -o", []string{"initramfs"}, 2, "", "Usage: verinit initramfs"},
		{"initramfs bad flag", []string{"initramfs", "--nope"}, 2, "", "flag provided but not defined"},
		{"initramfs bad file", []string{"initramfs", "-o", "x", "--no-modules", "--file", "a"}, 2, "", `--file "a": want SRC:/ABSOLUTE/DST`},
		{"initramfs bad policy", []string{"initramfs", "-o", "x", "--no-modules", "--policy", "verity=maybe"}, 2, "", "--policy: policy line 1: verity=maybe: want required or optional"},
		{"initramfs missing init", []string{"initramfs", "-o", filepath.Join(t.TempDir(), "x"), "--no-modules", "--init", "/nonexistent/init"}, 1, "", "verinit initramfs: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			}
		})
	}
}

// TestInitramfsReproducible packs twice and checks the bytes agree, and
// that the system cpio lists the init and the load list.
func TestInitramfsReproducible(t *testing.T) {
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	writeELF(t, initBin, elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC) // an init as far as verinit looks
	var outs [][]byte
	for i := range 2 {
		out := filepath.Join(dir, "initrd"+string(rune('0'+i)))
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"initramfs", "-o", out, "--init", initBin, "--no-modules", "--compression", "none"}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two runs gave different archives")
	}
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = bytes.NewReader(outs[0])
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -it: %v", err)
	}
	for _, want := range []string{"init", "dev/console", "lib/modules/verinit.load", "etc/initrd-release"} {
		if !strings.Contains("\n"+string(list), "\n"+want+"\n") {
			t.Errorf("archive lacks %s:\n%s", want, list)
		}
	}
}

// TestInitramfsKernelUnpacks: a compression the kernel cannot unpack is
// refused when packing, judged from the kernel's configuration beside its
// modules, else from its release.
func TestInitramfsKernelUnpacks(t *testing.T) {
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	writeELF(t, initBin, elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC) // an init as far as verinit looks
	mods := filepath.Join(dir, "lib", "modules", "6.6.0-custom")
	if err := os.MkdirAll(filepath.Join(mods, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"modules.dep":   "",
		"build/.config": "CONFIG_RD_GZIP=y\n# CONFIG_RD_ZSTD is not set\n",
	} {
		if err := os.WriteFile(filepath.Join(mods, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string // in stderr; "" for success
	}{
		{[]string{"--modules-dir", mods}, "kernel 6.6.0-custom cannot unpack a zstd archive: its configuration does not set CONFIG_RD_ZSTD=y; give --compression gzip"},
		{[]string{"--modules-dir", mods, "--compression", "gzip"}, ""},
		{[]string{"--no-modules", "--kernel-release", "5.4.0-150-generic"}, "kernel 5.4.0-150-generic cannot unpack a zstd archive: CONFIG_RD_ZSTD is in Linux 5.9 and later"},
		{[]string{"--no-modules"}, ""},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"initramfs", "-o", filepath.Join(dir, "initrd"), "--init", initBin}, tc.args...)
		code := dispatch(args, &stdout, &stderr)
		if tc.want == "" && code != 0 || tc.want != "" && (code != 1 || !strings.Contains(stderr.String(), tc.want)) {
			t.Errorf("%q: exit %d, stderr %q; want %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
