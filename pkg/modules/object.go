package modules

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/elfarch"
)

// Caps on what readObject takes from one module's sections, besides
// maxModinfoBytes: the largest module of Debian 6.1 (amdgpu) has about
// 60,000 symbols, and modversions entries are 64 bytes each.
const (
	maxObjectSymbols      = 1 << 20
	maxKsymtabStringBytes = 4 << 20
	maxVersionsBytes      = 4 << 20
	modversionBytes       = 64 // struct modversion_info: crc, name[64 - sizeof(crc)]
)

// object is what depmod reads from a module's ELF object (kmod's
// libkmod-elf.c): its header, its .modinfo, the symbols it exports and
// the symbols it needs from the kernel or from other modules.
type object struct {
	header  elfarch.Header
	modinfo []byte
	exports []string
	needs   []string
}

// readObject reads a kernel module, an ELF relocatable object, from r as
// kmod does for depmod:
//
//   - exports are the names of the "__crc_NAME" symbols (modversions),
//     else the strings of the __ksymtab_strings section (kmod_elf_get_symbols);
//   - needs are the named undefined symbols of .symtab, weak ones included,
//     and the names in __versions that .symtab does not list, such as
//     module_layout (kmod_elf_get_dependency_symbols).
//
// A module without .symtab exports only what __ksymtab_strings lists and
// needs nothing, as with kmod.
func readObject(r io.ReaderAt) (object, error) {
	var o object
	h, err := elfarch.Read(r)
	if err != nil {
		return o, err
	}
	o.header = h
	f, err := elf.NewFile(r)
	if err != nil {
		return o, err
	}
	defer f.Close()
	if f.Type != elf.ET_REL {
		return o, fmt.Errorf("ELF type %v, want ET_REL (a kernel module)", f.Type)
	}
	if o.modinfo, err = sectionData(f, ".modinfo", maxModinfoBytes); err != nil {
		return o, err
	}

	syms, err := f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return o, fmt.Errorf(".symtab: %w", err)
	}
	if len(syms) > maxObjectSymbols {
		return o, fmt.Errorf(".symtab: %d symbols; at most %d allowed", len(syms), maxObjectSymbols)
	}
	// SPARC's global register symbols are undefined without being needed.
	const sttRegister = 13
	sparc := f.Machine == elf.EM_SPARC || f.Machine == elf.EM_SPARCV9
	undefined := make(map[string]bool)
	for _, s := range syms {
		if name, ok := strings.CutPrefix(s.Name, "__crc_"); ok {
			o.exports = append(o.exports, name)
		}
		if s.Section != elf.SHN_UNDEF || s.Name == "" || sparc && elf.ST_TYPE(s.Info) == sttRegister {
			continue
		}
		if !undefined[s.Name] {
			undefined[s.Name] = true
			o.needs = append(o.needs, s.Name)
		}
	}
	if len(o.exports) == 0 {
		strs, err := sectionData(f, "__ksymtab_strings", maxKsymtabStringBytes)
		if err != nil {
			return o, err
		}
		for _, s := range bytes.Split(strs, []byte{0}) {
			if len(s) > 0 {
				o.exports = append(o.exports, string(s))
			}
		}
	}
	if syms == nil {
		return o, nil // kmod needs .symtab for the needed symbols at all
	}
	versions, err := sectionData(f, "__versions", maxVersionsBytes)
	if err != nil {
		return o, err
	}
	if len(versions)%modversionBytes != 0 {
		return o, nil // kmod ignores a malformed __versions
	}
	crcBytes := 4
	if f.Class == elf.ELFCLASS64 {
		crcBytes = 8
	}
	for i := 0; i+modversionBytes <= len(versions); i += modversionBytes {
		name := versions[i+crcBytes : i+modversionBytes]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		if s := string(name); s != "" && !undefined[s] {
			undefined[s] = true
			o.needs = append(o.needs, s)
		}
	}
	return o, nil
}

// sectionData returns the contents of the named section, nil if there is
// none, or an error if it is larger than max bytes.
func sectionData(f *elf.File, name string, max uint64) ([]byte, error) {
	s := f.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Size > max {
		return nil, fmt.Errorf("section %s: %d bytes; at most %d allowed", name, s.Size, max)
	}
	b, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("section %s: %w", name, err)
	}
	return b, nil
}
