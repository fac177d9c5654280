package elfarch

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/verinit/verinit/pkg/dps"
)

// headerBytes is how much of the file Read needs: e_ident (16 bytes),
// e_type and e_machine, at the same offsets in 32- and 64-bit files.
const headerBytes = 20

// ErrNotELF means the file does not start with the ELF magic number.
var ErrNotELF = errors.New("elfarch: not an ELF file")

// FormatError reports an ELF identification this package cannot read.
type FormatError struct {
	Offset int64  // of the byte in the file
	Field  string // "class" or "data"
	Value  any
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("elfarch: ELF header at byte %d: invalid %s %v", e.Offset, e.Field, e.Value)
}

// Header is what an ELF file's identification and header say about the
// machine it is built for.
type Header struct {
	Class   elf.Class   // 32- or 64-bit
	Data    elf.Data    // byte order
	Type    elf.Type    // ET_REL for a kernel module, ET_EXEC or ET_DYN for a program
	Machine elf.Machine // e_machine
}

// Read reads the ELF header at the start of r. It returns an error wrapping
// [ErrNotELF] for a file that is not ELF, a *[FormatError] for an invalid
// class or byte order, and read errors (io.ErrUnexpectedEOF for a file
// shorter than the header) as they are.
func Read(r io.ReaderAt) (Header, error) {
	var b [headerBytes]byte
	n, err := r.ReadAt(b[:], 0)
	if n >= 4 && string(b[:4]) != elf.ELFMAG {
		return Header{}, ErrNotELF
	}
	if n < len(b) {
		if n < 4 && (err == nil || err == io.EOF) {
			return Header{}, ErrNotELF
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Header{}, fmt.Errorf("elfarch: read ELF header: %w", err)
	}
	return Parse(b[:])
}

// Parse parses the first bytes of an ELF file, as [Read] does.
func Parse(b []byte) (Header, error) {
	if len(b) < 4 || string(b[:4]) != elf.ELFMAG {
		return Header{}, ErrNotELF
	}
	if len(b) < headerBytes {
		return Header{}, fmt.Errorf("elfarch: ELF header: %d bytes, want %d: %w", len(b), headerBytes, io.ErrUnexpectedEOF)
	}
	h := Header{Class: elf.Class(b[elf.EI_CLASS]), Data: elf.Data(b[elf.EI_DATA])}
	if h.Class != elf.ELFCLASS32 && h.Class != elf.ELFCLASS64 {
		return Header{}, &FormatError{Offset: elf.EI_CLASS, Field: "class", Value: b[elf.EI_CLASS]}
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch h.Data {
	case elf.ELFDATA2LSB:
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return Header{}, &FormatError{Offset: elf.EI_DATA, Field: "data", Value: b[elf.EI_DATA]}
	}
	h.Type = elf.Type(bo.Uint16(b[16:18]))
	h.Machine = elf.Machine(bo.Uint16(b[18:20]))
	return h, nil
}

// machines maps e_machine, with the class and byte order where they tell
// architectures apart, to the DPS architecture. A zero class or data
// matches either.
var machines = [...]struct {
	machine elf.Machine
	class   elf.Class
	data    elf.Data
	arch    dps.Arch
}{
	{elf.EM_X86_64, elf.ELFCLASS64, 0, dps.ArchX86_64}, // x32 (32-bit EM_X86_64) is no DPS architecture
	{elf.EM_386, 0, 0, dps.ArchX86},
	{elf.EM_AARCH64, elf.ELFCLASS64, 0, dps.ArchARM64},
	{elf.EM_ARM, elf.ELFCLASS32, 0, dps.ArchARM},
	{elf.EM_RISCV, elf.ELFCLASS64, 0, dps.ArchRISCV64},
	{elf.EM_RISCV, elf.ELFCLASS32, 0, dps.ArchRISCV32},
	{elf.EM_LOONGARCH, elf.ELFCLASS64, 0, dps.ArchLoongArch64},
	{elf.EM_PPC64, 0, elf.ELFDATA2LSB, dps.ArchPPC64LE},
	{elf.EM_PPC64, 0, elf.ELFDATA2MSB, dps.ArchPPC64},
	{elf.EM_PPC, 0, 0, dps.ArchPPC},
	{elf.EM_S390, elf.ELFCLASS64, 0, dps.ArchS390X},
	{elf.EM_S390, elf.ELFCLASS32, 0, dps.ArchS390},
	{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB, dps.ArchMIPSLE},
	{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB, dps.ArchMIPS},
	{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB, dps.ArchMIPS64LE},
	{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB, dps.ArchMIPS64},
	{elf.EM_PARISC, 0, 0, dps.ArchPARISC},
	{elf.EM_IA_64, elf.ELFCLASS64, 0, dps.ArchIA64},
	{elf.EM_ALPHA, elf.ELFCLASS64, 0, dps.ArchAlpha},
}

// Arch returns the DPS architecture of h, or "" if DPS names none for
// its machine, class and byte order.
func (h Header) Arch() dps.Arch {
	for _, m := range machines {
		if m.machine == h.Machine && (m.class == 0 || m.class == h.Class) && (m.data == 0 || m.data == h.Data) {
			return m.arch
		}
	}
	return ""
}

// String describes h in one phrase for messages, such as "arm64
// (EM_AARCH64)" or, for a machine DPS names no architecture for,
// "EM_SPARCV9 (64-bit MSB)".
func (h Header) String() string {
	if a := h.Arch(); a != "" {
		return fmt.Sprintf("%s (%v)", a, h.Machine)
	}
	bits := "32-bit"
	if h.Class == elf.ELFCLASS64 {
		bits = "64-bit"
	}
	order := "LSB"
	if h.Data == elf.ELFDATA2MSB {
		order = "MSB"
	}
	return fmt.Sprintf("%v (%s %s)", h.Machine, bits, order)
}

// SameMachine reports whether code built for h and for o runs on the same
// CPU: the same machine, class and byte order.
func (h Header) SameMachine(o Header) bool {
	return h.Machine == o.Machine && h.Class == o.Class && h.Data == o.Data
}
