package image

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
)

// elfProgram returns the start of an ELF file of this type for machine.
func elfProgram(class elf.Class, machine elf.Machine, typ elf.Type) []byte {
	b := make([]byte, 64)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(b[16:], uint16(typ))
	binary.LittleEndian.PutUint16(b[18:], uint16(machine))
	return b
}

func TestTreeArch(t *testing.T) {
	arm64 := elfProgram(elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_DYN)
	arm := elfProgram(elf.ELFCLASS32, elf.EM_ARM, elf.ET_EXEC)
	riscv := elfProgram(elf.ELFCLASS64, elf.EM_RISCV, elf.ET_EXEC)
	type node struct{ data, link string } // a file, or a symbolic link
	for _, tc := range []struct {
		name    string
		tree    map[string]node
		arch    dps.Arch
		from    string
		wantErr string
	}{
		{"merged /usr, absolute link to systemd", map[string]node{
			"bin": {link: "usr/bin"}, "sbin": {link: "usr/sbin"}, "lib": {link: "usr/lib"},
			"usr/sbin/init":           {link: "/lib/systemd/systemd"},
			"usr/lib/systemd/systemd": {data: string(arm64)},
			"usr/bin/sh":              {data: "#!/not/elf\n"},
		}, dps.ArchARM64, "sbin/init", ""},
		{"busybox", map[string]node{
			"bin/busybox": {data: string(arm)}, "bin/sh": {link: "busybox"}, "sbin/init": {link: "../bin/busybox"},
		}, dps.ArchARM, "sbin/init", ""},
		{"links that climb out stop at the root", map[string]node{
			"sbin/init": {link: "../../../../../bin/prog"}, "bin/prog": {data: string(riscv)},
		}, dps.ArchRISCV64, "sbin/init", ""},
		{"no init: the first program in usr/bin", map[string]node{
			"usr/bin/a-script": {data: "#!/bin/sh\n"}, "usr/bin/b.o": {data: string(elfProgram(elf.ELFCLASS32, elf.EM_ARM, elf.ET_REL))},
			"usr/bin/c": {data: string(riscv)},
		}, dps.ArchRISCV64, "usr/bin/c", ""},
		{"a link loop is no program", map[string]node{"sbin/init": {link: "init"}, "bin/x": {data: string(arm)}}, dps.ArchARM, "bin/x", ""},
		{"scripts only", map[string]node{"sbin/init": {data: "#!/bin/sh\n"}, "etc/hostname": {data: "box\n"}}, "", "", "no ELF program in the root file system"},
		{"a machine DPS does not know", map[string]node{"sbin/init": {data: string(elfProgram(elf.ELFCLASS64, elf.EM_SPARCV9, elf.ET_EXEC))}}, "", "",
			"image: sbin/init is built for EM_SPARCV9 (64-bit LSB), which has no Discoverable Partitions types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, n := range tc.tree {
				full := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if n.link != "" {
					err = os.Symlink(n.link, full)
				} else {
					err = os.WriteFile(full, []byte(n.data), 0o755)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			a, from, err := TreeArch(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("TreeArch = %q, %q, %v; want %q", a, from, err, tc.wantErr)
				}
				if tc.arch == "" && tc.name == "scripts only" && !errors.Is(err, ErrNoProgram) {
					t.Errorf("%v does not wrap ErrNoProgram", err)
				}
				return
			}
			if err != nil || a != tc.arch || from != tc.from {
				t.Errorf("TreeArch = %q, %q, %v; want %q from %s", a, from, err, tc.arch, tc.from)
			}
		})
	}
}
