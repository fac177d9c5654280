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
// Module names are the file's base name without ".ko" and its compression
// suffix, with '-' replaced by '_' as modprobe does ([Name]).
//
// [Resolve] turns requested names into a [Plan]: the modules to pack, in load
// order, each with its direct dependencies. The packer writes the plan into
// the initramfs as a load list, whose format lives in the subpackage loadlist
// so that the init imports only that.
//
// The package uses only the standard library and does no I/O of its own
// except [LoadDB] and [FindRelease], which read from an [io/fs.FS] given by
// the caller.
package modules
