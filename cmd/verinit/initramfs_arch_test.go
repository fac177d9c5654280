package main

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/testkernel"
)

// TestInitramfsArch: the init is chosen for, and checked against, the
// architecture of the modules or --arch; every refusal is one line.
func TestInitramfsArch(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work) // bin/ of the "repository"
	arm64Init := writeELF(t, filepath.Join("bin", "linux-arm64", "init"), elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_EXEC)
	hostInit := writeELF(t, filepath.Join("bin", "init"), elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC)
	mods := filepath.Join(work, "lib", "modules", "6.1.0-test-arm64")
	writeELF(t, filepath.Join(mods, "kernel", "a.ko"), elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_REL)
	if err := os.WriteFile(filepath.Join(mods, "modules.dep"), []byte("kernel/a.ko:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "initrd")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		output string // substring of stdout and stderr
	}{
		{"the init for the modules", []string{"--modules-dir", mods}, 0, "uncompressed), init " + arm64Init + ", 0 modules for 6.1.0-test-arm64 (arm64)"},
		{"--arch agrees", []string{"--modules-dir", mods, "--arch", "aarch64"}, 0, "init " + arm64Init},
		{"the init beside verinit, when it fits", []string{"--no-modules", "--arch", "amd64"}, 0, "init " + hostInit + ","},
		{"no init for the target", []string{"--no-modules", "--arch", "riscv64"}, 1,
			"verinit initramfs: no init built for riscv64 (looked for "},
		{"--arch against the modules", []string{"--modules-dir", mods, "--arch", "riscv64"}, 1,
			"verinit initramfs: --arch riscv64, but the modules in " + mods + " are for arm64 (EM_AARCH64) (kernel/a.ko)\n"},
		{"nothing tells the architecture", []string{"--no-modules"}, 2, "no --init, and no modules to tell the target architecture: give --init or --arch"},
		{"--init against --arch", []string{"--no-modules", "--init", hostInit, "--arch", "arm"}, 1,
			"verinit initramfs: --init bin/init is built for x86-64 (EM_X86_64), but --arch is arm\n"},
		{"--init against the modules", []string{"--modules-dir", mods, "--init", hostInit}, 1,
			"verinit initramfs: initramfs: init bin/init is built for x86-64 (EM_X86_64), but the modules in " + mods + " are for arm64 (EM_AARCH64) (kernel/a.ko): pack the init built for arm64\n"},
		{"an unknown architecture", []string{"--no-modules", "--arch", "pdp11"}, 2, "--arch: dps: unknown architecture"},
		{"--host-only with --module", []string{"--modules-dir", mods, "--host-only", "--module", "a"}, 2,
			"verinit initramfs: --host-only chooses the modules: not with --no-modules or --module: usage\n"},
		{"--host-only without modules", []string{"--no-modules", "--arch", "amd64", "--host-only"}, 2, "--host-only chooses the modules: not with --no-modules"},
		{"--host-only-device not a block device", []string{"--modules-dir", mods, "--host-only-device", "/dev/zero"}, 1,
			"verinit initramfs: --host-only-device: hostonly: /dev/zero is not a block device\n"},
		{"--host-only-device missing", []string{"--modules-dir", mods, "--host-only-device", "/dev/no-such-disk"}, 1,
			"verinit initramfs: --host-only-device: hostonly: /dev/no-such-disk: no such file or directory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, code := run(t, append([]string{"initramfs", "-o", out, "--compression", "gzip"}, tc.args...)...)
			if code != tc.code || !strings.Contains(got, tc.output) || tc.code != 0 && strings.Count(got, "\n") != 1 {
				t.Errorf("exit %d, output %q; want exit %d and one line with %q", code, got, tc.code, tc.output)
			}
		})
	}
	// The refusal says where it looked, and why bin/init did not do.
	got, _ := run(t, "initramfs", "-o", out, "--no-modules", "--arch", "riscv64")
	for _, want := range []string{filepath.Join("bin", "linux-riscv64", "init"), "bin/init (for x86-64 (EM_X86_64))", "run make cross, or give --init"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// TestInitramfsDebianArm64 packs Debian's arm64 kernel package as a new
// user would, from the extracted package without depmod: with an init
// for arm64 it works, with one for x86-64 it is refused in one line naming
// both machines.
func TestInitramfsDebianArm64(t *testing.T) {
	mods := testkernel.Foreign(t, "arm64")
	dir := t.TempDir()
	arm64Init := writeELF(t, filepath.Join(dir, "arm64", "init"), elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_EXEC)
	amd64Init := writeELF(t, filepath.Join(dir, "amd64", "init"), elf.ELFCLASS64, elf.EM_X86_64, elf.ET_EXEC)
	out := filepath.Join(dir, "initrd")

	got, code := run(t, "initramfs", "-o", out, "--modules-dir", mods, "--init", arm64Init)
	if code != 0 || !strings.Contains(got, "(arm64; loaded at start 0, by device modalias ") || !strings.Contains(got, "aliases; dependencies and aliases computed from the modules, without modules.dep)") || strings.Contains(got, "not found") {
		t.Errorf("exit %d: %s", code, got)
	}
	got, code = run(t, "initramfs", "-o", out, "--modules-dir", mods, "--init", amd64Init)
	if code != 1 || strings.Count(got, "\n") != 1 ||
		!strings.Contains(got, "init "+amd64Init+" is built for x86-64 (EM_X86_64), but the modules in "+mods+" are for arm64 (EM_AARCH64)") {
		t.Errorf("an x86-64 init for arm64 modules: exit %d, %q", code, got)
	}
}

// writeELF writes the start of an ELF file for machine at p.
func writeELF(t *testing.T, p string, class elf.Class, machine elf.Machine, typ elf.Type) string {
	t.Helper()
	b := make([]byte, 64)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(b[16:], uint16(typ))
	binary.LittleEndian.PutUint16(b[18:], uint16(machine))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, "fake program"...), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
