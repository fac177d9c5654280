package modules

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/elfarch"
)

// testObject describes a small kernel module for objectBytes.
type testObject struct {
	class   elf.Class   // default ELFCLASS64
	machine elf.Machine // default EM_X86_64
	typ     elf.Type    // default ET_REL
	modinfo []string    // records "key=value"
	crcs    []string    // exported, with a __crc_NAME symbol each (modversions)
	ksymtab []string    // __ksymtab_strings, NUL-separated
	undef   []string    // undefined global symbols
	weak    []string    // undefined weak symbols
	// versions are the __versions entries' names; "" means none
	versions []string
	noSymtab bool
}

// objectBytes writes o as a little-endian ELF relocatable object with the
// sections kmod reads.
func objectBytes(o testObject) []byte {
	if o.class == 0 {
		o.class = elf.ELFCLASS64
	}
	if o.machine == 0 {
		o.machine = elf.EM_X86_64
	}
	if o.typ == 0 {
		o.typ = elf.ET_REL
	}
	is64 := o.class == elf.ELFCLASS64
	le := binary.LittleEndian

	type section struct {
		name    string
		typ     elf.SectionType
		data    []byte
		link    uint32
		entsize uint64
	}
	var strtab bytes.Buffer
	strtab.WriteByte(0)
	addStr := func(s string) uint32 {
		off := uint32(strtab.Len())
		strtab.WriteString(s)
		strtab.WriteByte(0)
		return off
	}
	var sections []section
	sections = append(sections, section{}) // SHN_UNDEF
	sections = append(sections, section{name: ".modinfo", typ: elf.SHT_PROGBITS, data: []byte(strings.Join(o.modinfo, "\x00") + "\x00")})
	modinfoIdx := uint16(1)
	if o.ksymtab != nil {
		sections = append(sections, section{name: "__ksymtab_strings", typ: elf.SHT_PROGBITS, data: []byte(strings.Join(o.ksymtab, "\x00") + "\x00")})
	}
	if o.versions != nil {
		var v []byte
		crc := 4
		if is64 {
			crc = 8
		}
		for _, n := range o.versions {
			e := make([]byte, modversionBytes)
			copy(e[crc:], n)
			v = append(v, e...)
		}
		sections = append(sections, section{name: "__versions", typ: elf.SHT_PROGBITS, data: v})
	}
	if !o.noSymtab {
		var syms bytes.Buffer
		sym := func(name string, bind elf.SymBind, shndx uint16) {
			nameOff := addStr(name)
			info := byte(bind)<<4 | byte(elf.STT_NOTYPE)
			if is64 {
				binary.Write(&syms, le, elf.Sym64{Name: nameOff, Info: info, Shndx: shndx})
			} else {
				binary.Write(&syms, le, elf.Sym32{Name: nameOff, Info: info, Shndx: shndx})
			}
		}
		if is64 {
			binary.Write(&syms, le, elf.Sym64{})
		} else {
			binary.Write(&syms, le, elf.Sym32{})
		}
		for _, n := range o.crcs {
			sym("__crc_"+n, elf.STB_GLOBAL, modinfoIdx)
			sym(n, elf.STB_GLOBAL, modinfoIdx)
		}
		for _, n := range o.undef {
			sym(n, elf.STB_GLOBAL, uint16(elf.SHN_UNDEF))
		}
		for _, n := range o.weak {
			sym(n, elf.STB_WEAK, uint16(elf.SHN_UNDEF))
		}
		entsize := uint64(elf.Sym32Size)
		if is64 {
			entsize = elf.Sym64Size
		}
		strIdx := uint32(len(sections) + 1)
		sections = append(sections, section{name: ".symtab", typ: elf.SHT_SYMTAB, data: syms.Bytes(), link: strIdx, entsize: entsize})
		sections = append(sections, section{name: ".strtab", typ: elf.SHT_STRTAB, data: strtab.Bytes()})
	}
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	nameOffs := make([]uint32, len(sections)+1)
	for i, s := range sections {
		if s.name != "" {
			nameOffs[i] = uint32(shstr.Len())
			shstr.WriteString(s.name)
			shstr.WriteByte(0)
		}
	}
	nameOffs[len(sections)] = uint32(shstr.Len())
	shstr.WriteString(".shstrtab\x00")
	sections = append(sections, section{name: ".shstrtab", typ: elf.SHT_STRTAB, data: shstr.Bytes()})

	ehsize, shentsize := 52, 40
	if is64 {
		ehsize, shentsize = 64, 64
	}
	var body bytes.Buffer
	body.Write(make([]byte, ehsize))
	offs := make([]int, len(sections))
	for i, s := range sections {
		for body.Len()%8 != 0 {
			body.WriteByte(0)
		}
		offs[i] = body.Len()
		body.Write(s.data)
	}
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shoff := body.Len()
	for i, s := range sections {
		if is64 {
			binary.Write(&body, le, elf.Section64{Name: nameOffs[i], Type: uint32(s.typ), Off: uint64(offs[i]), Size: uint64(len(s.data)), Link: s.link, Addralign: 1, Entsize: s.entsize})
		} else {
			binary.Write(&body, le, elf.Section32{Name: nameOffs[i], Type: uint32(s.typ), Off: uint32(offs[i]), Size: uint32(len(s.data)), Link: s.link, Addralign: 1, Entsize: uint32(s.entsize)})
		}
	}
	b := body.Bytes()
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(o.class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	var hdr bytes.Buffer
	if is64 {
		binary.Write(&hdr, le, elf.Header64{Ident: ident, Type: uint16(o.typ), Machine: uint16(o.machine), Version: uint32(elf.EV_CURRENT),
			Shoff: uint64(shoff), Ehsize: uint16(ehsize), Shentsize: uint16(shentsize), Shnum: uint16(len(sections)), Shstrndx: uint16(len(sections) - 1)})
	} else {
		binary.Write(&hdr, le, elf.Header32{Ident: ident, Type: uint16(o.typ), Machine: uint16(o.machine), Version: uint32(elf.EV_CURRENT),
			Shoff: uint32(shoff), Ehsize: uint16(ehsize), Shentsize: uint16(shentsize), Shnum: uint16(len(sections)), Shstrndx: uint16(len(sections) - 1)})
	}
	copy(b, hdr.Bytes())
	return b
}

func TestReadObject(t *testing.T) {
	for _, tc := range []struct {
		name             string
		obj              testObject
		exports, needs   []string
		modinfo, wantErr string
	}{
		{
			name: "modversions: exports from __crc_ symbols",
			obj: testObject{modinfo: []string{"alias=virtio:d00000002v*", "depends=virtio"}, crcs: []string{"blk_a", "blk_b"},
				ksymtab: []string{"ignored"}, undef: []string{"virtqueue_kick", "printk"}, versions: []string{"module_layout", "printk"}},
			exports: []string{"blk_a", "blk_b"},
			needs:   []string{"virtqueue_kick", "printk", "module_layout"},
			modinfo: "alias=virtio:d00000002v*\x00depends=virtio\x00",
		},
		{
			name:    "no modversions: exports from __ksymtab_strings, namespaces too",
			obj:     testObject{class: elf.ELFCLASS32, machine: elf.EM_ARM, ksymtab: []string{"usb_stor_a", "USB_STORAGE", "", "usb_stor_b"}, undef: []string{"scsi_add_host"}, weak: []string{"maybe"}},
			exports: []string{"usb_stor_a", "USB_STORAGE", "usb_stor_b"},
			needs:   []string{"scsi_add_host", "maybe"},
		},
		{
			name:    "no .symtab: exports only, needs nothing",
			obj:     testObject{noSymtab: true, ksymtab: []string{"a"}, versions: []string{"module_layout"}},
			exports: []string{"a"},
		},
		{name: "not a module", obj: testObject{typ: elf.ET_EXEC}, wantErr: "want ET_REL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := readObject(bytes.NewReader(objectBytes(tc.obj)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("readObject: %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.exports, tc.exports) || !reflect.DeepEqual(o.needs, tc.needs) {
				t.Errorf("exports %q needs %q; want %q %q", o.exports, o.needs, tc.exports, tc.needs)
			}
			if tc.modinfo != "" && string(o.modinfo) != tc.modinfo {
				t.Errorf("modinfo %q, want %q", o.modinfo, tc.modinfo)
			}
			if want := (elfarch.Header{Class: o.header.Class, Data: elf.ELFDATA2LSB, Type: elf.ET_REL, Machine: o.header.Machine}); o.header != want || o.header.Class == 0 {
				t.Errorf("header %+v", o.header)
			}
		})
	}
	for _, bad := range [][]byte{nil, []byte("\x7fELF\x02\x01\x01"), []byte("#!/bin/sh\n"), objectBytes(testObject{})[:100]} {
		if _, err := readObject(bytes.NewReader(bad)); err == nil {
			t.Errorf("readObject(%q...) accepted", bad[:min(len(bad), 8)])
		}
	}
	if _, err := readObject(bytes.NewReader([]byte("MZ\x90\x00"))); !errors.Is(err, elfarch.ErrNotELF) {
		t.Errorf("readObject(PE): %v, want ErrNotELF", err)
	}
}
