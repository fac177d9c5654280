// Package elfarch tells which architecture an ELF file is built for, from
// its identification bytes and header (System V gABI, "ELF Header":
// e_ident[EI_CLASS], e_ident[EI_DATA], e_type and e_machine).
//
// The packer uses it to check that the init it packs runs on the kernel
// whose modules it packs (both are ELF files), to choose the default module
// set for that kernel, and to tell a root file system's architecture from
// its programs. Architectures are named as the Discoverable Partitions
// Specification names them ([dps.Arch]): "x86-64", "arm64", "arm",
// "riscv64", ...
//
// It reads only the first 20 bytes of a file (never section or program
// headers), so it cannot be made to allocate or read more. It is host-side
// code: the init does not import it.
package elfarch
