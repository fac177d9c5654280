// Package modules reads the kernel module metadata that depmod writes and
// plans which modules an initramfs packs and in which order the init loads
// them.
//
// Formats implemented (all line-oriented text; see depmod(8), modules.dep(5)
// and modprobe.d(5) from kmod):
//
//   - modules.dep: "PATH: DEP DEP ...", PATH and DEP relative to the modules
//     directory (/lib/modules/RELEASE). depmod lists the full dependency
//     closure of PATH, not only its direct dependencies. See [ParseDep].
//   - modules.softdep: "softdep NAME pre: A B post: C". Words before the
//     first "pre:" or "post:" are ignored, as kmod does. See [ParseSoftdep].
//   - modules.builtin: one PATH per line of a module compiled into the
//     kernel. See [ParseBuiltin].
//   - modules.alias: "alias PATTERN NAME", PATTERN a shell glob. See
//     [ParseAlias].
//
// Without those files (a Buildroot or Yocto staging tree before depmod, an
// extracted kernel package), [Scan] computes what depmod would write from
// the modules themselves, as kmod 30's tools/depmod.c and
// libkmod/libkmod-elf.c do: dependencies from the symbols each module
// exports and leaves undefined (ELF .symtab, __ksymtab_strings,
// __versions), aliases and softdeps from its .modinfo section
// ([ParseModinfo]: NUL-separated "key=value" records).
//
// Module names are the file's base name without ".ko" and its compression
// suffix, with '-' replaced by '_' as modprobe does ([Name]).
//
// [Resolve] turns requested names into a [Plan]: the modules to pack, in load
// order, each with its direct dependencies. The packer writes the plan into
// the initramfs as a load list, whose format lives in the subpackage loadlist
// so that the init imports only that.
//
// The package does no I/O of its own except [LoadDB], [Scan], [Machine]
// and [FindRelease], which read from an [io/fs.FS] given by the caller
// (and module files through the caller's [ReadFunc], which decompresses
// them). It is host-side code: the init imports only loadlist.
package modules
