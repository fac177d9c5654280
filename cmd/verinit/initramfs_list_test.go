package main

import (
	"bytes"
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitramfsList packs an archive with each compression and lists it
// back with --list.
func TestInitramfsList(t *testing.T) {
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	writeELF(t, initBin, elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC) // an init as far as verinit looks
	for _, method := range []string{"gzip", "zstd", "xz", "none"} {
		t.Run(method, func(t *testing.T) {
			out := filepath.Join(dir, "initrd."+method)
			var stdout, stderr bytes.Buffer
			if code := dispatch([]string{"initramfs", "-o", out, "--init", initBin, "--no-modules", "--compression", method}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			stdout.Reset()
			if code := dispatch([]string{"initramfs", "--list", out}, &stdout, &stderr); code != 0 {
				t.Fatalf("--list: exit %d: %s", code, stderr.String())
			}
			got := stdout.String()
			for _, want := range []string{
				"drwxr-xr-x         0 \"/dev\"\n",
				"crw-------       5,1 \"/dev/console\"\n",
				"-rwxr-xr-x        76 \"/init\"\n",
				"drwxrwxrwt         0 \"/tmp\"\n",
				out + ": " + method + ", 14 entries, ",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("--list output lacks %q:\n%s", want, got)
				}
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"initramfs", "--list", initBin}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "neither a newc archive nor gzip, zstd or xz") {
		t.Errorf("--list of a non-archive: exit %d, %s", code, stderr.String())
	}
	if code := dispatch([]string{"initramfs", "--list", initBin, "-o", "x"}, &stdout, &stderr); code != 2 {
		t.Errorf("--list with -o: exit %d, want 2", code)
	}
}
