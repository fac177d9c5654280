package elfarch

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
)

// header returns the first 20 bytes of an ELF file with these fields.
func header(class elf.Class, data elf.Data, typ elf.Type, machine elf.Machine) []byte {
	b := make([]byte, headerBytes)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(class), byte(data), byte(elf.EV_CURRENT)
	var bo binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	bo.PutUint16(b[16:], uint16(typ))
	bo.PutUint16(b[18:], uint16(machine))
	return b
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       []byte
		arch     dps.Arch
		str      string
		wantErr  error
		errField string
	}{
		{"amd64 module", header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_REL, elf.EM_X86_64), dps.ArchX86_64, "x86-64 (EM_X86_64)", nil, ""},
		{"arm64 init", header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_AARCH64), dps.ArchARM64, "arm64 (EM_AARCH64)", nil, ""},
		{"armhf module", header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_REL, elf.EM_ARM), dps.ArchARM, "arm (EM_ARM)", nil, ""},
		{"riscv64", header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_RISCV), dps.ArchRISCV64, "riscv64 (EM_RISCV)", nil, ""},
		{"riscv32", header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_RISCV), dps.ArchRISCV32, "riscv32 (EM_RISCV)", nil, ""},
		{"386", header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_386), dps.ArchX86, "x86 (EM_386)", nil, ""},
		{"ppc64le", header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_PPC64), dps.ArchPPC64LE, "ppc64-le (EM_PPC64)", nil, ""},
		{"ppc64 big endian", header(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ET_EXEC, elf.EM_PPC64), dps.ArchPPC64, "ppc64 (EM_PPC64)", nil, ""},
		{"s390x", header(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ET_REL, elf.EM_S390), dps.ArchS390X, "s390x (EM_S390)", nil, ""},
		{"mips little endian", header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_MIPS), dps.ArchMIPSLE, "mips-le (EM_MIPS)", nil, ""},
		{"x32 is no DPS architecture", header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_X86_64), "", "EM_X86_64 (32-bit LSB)", nil, ""},
		{"sparc64", header(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ET_EXEC, elf.EM_SPARCV9), "", "EM_SPARCV9 (64-bit MSB)", nil, ""},
		{"not ELF", []byte("#!/bin/sh\necho hello world\n"), "", "", ErrNotELF, ""},
		{"empty", nil, "", "", ErrNotELF, ""},
		{"magic only", []byte(elf.ELFMAG), "", "", io.ErrUnexpectedEOF, ""},
		{"bad class", func() []byte { b := header(3, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_ARM); return b }(), "", "", nil, "class"},
		{"bad data", header(elf.ELFCLASS32, 0, elf.ET_EXEC, elf.EM_ARM), "", "", nil, "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Parse(tc.in)
			var fe *FormatError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Parse: %v, want %v", err, tc.wantErr)
				}
				return
			case tc.errField != "":
				if !errors.As(err, &fe) || fe.Field != tc.errField {
					t.Fatalf("Parse: %v, want a FormatError on %s", err, tc.errField)
				}
				return
			case err != nil:
				t.Fatalf("Parse: %v", err)
			}
			if h.Arch() != tc.arch || h.String() != tc.str {
				t.Errorf("Arch, String = %q, %q; want %q, %q", h.Arch(), h.String(), tc.arch, tc.str)
			}
			// Read sees the same through a ReaderAt.
			if h2, err := Read(bytes.NewReader(tc.in)); err != nil || h2 != h {
				t.Errorf("Read = %+v, %v; Parse gave %+v", h2, err, h)
			}
		})
	}
}

// TestReadShort: a file cut inside the header is an unexpected EOF, one
// that is not ELF from its first bytes is ErrNotELF.
func TestReadShort(t *testing.T) {
	full := header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_AARCH64)
	for n := 0; n < len(full); n++ {
		_, err := Read(bytes.NewReader(full[:n]))
		want := io.ErrUnexpectedEOF
		if n < 4 {
			want = ErrNotELF
		}
		if !errors.Is(err, want) {
			t.Errorf("%d bytes: %v, want %v", n, err, want)
		}
	}
	if _, err := Read(bytes.NewReader([]byte("MZ"))); !errors.Is(err, ErrNotELF) {
		t.Errorf("2 bytes of a PE file: %v, want ErrNotELF", err)
	}
}

// TestSelf: the test binary is built for the architecture it runs on.
func TestSelf(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if h.Arch() != dps.NativeArch() || (h.Type != elf.ET_EXEC && h.Type != elf.ET_DYN) {
		t.Errorf("test binary: %v, type %v; want %s", h, h.Type, dps.NativeArch())
	}
}

func TestSameMachine(t *testing.T) {
	arm, _ := Parse(header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_REL, elf.EM_ARM))
	armExec, _ := Parse(header(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_ARM))
	arm64, _ := Parse(header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_EXEC, elf.EM_AARCH64))
	if !arm.SameMachine(armExec) || arm.SameMachine(arm64) {
		t.Errorf("SameMachine: arm module ~ arm program %v, arm ~ arm64 %v", arm.SameMachine(armExec), arm.SameMachine(arm64))
	}
}

// FuzzParse: any bytes give a header or an error, and an accepted header
// is described without panicking.
func FuzzParse(f *testing.F) {
	f.Add(header(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ET_REL, elf.EM_AARCH64))
	f.Add(header(elf.ELFCLASS32, elf.ELFDATA2MSB, elf.ET_EXEC, elf.EM_MIPS))
	f.Add([]byte(elf.ELFMAG))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		_ = h.String()
		if h2, err := Read(bytes.NewReader(b)); err != nil || h2 != h {
			t.Fatalf("Read = %+v, %v; Parse gave %+v", h2, err, h)
		}
	})
}
