// Package loadlist reads and writes the module load list: the file
// /lib/modules/verinit.load that the packer (pkg/initramfs) writes into the
// initramfs and the init reads to load kernel modules in an order decided at
// pack time, so nothing is resolved at boot.
//
// Format (version 1), one module per line:
//
//	# verinit load list v1: NAME PATH [DEP ...]
//	dm_mod /lib/modules/6.1.0-56-amd64/kernel/drivers/md/dm-mod.ko
//	dm_bufio /lib/modules/6.1.0-56-amd64/kernel/drivers/md/dm-bufio.ko dm_mod
//
// NAME is the normalised module name ('_', not '-'); PATH is the absolute,
// clean path of the uncompressed .ko inside the initramfs, whose base name is
// NAME.ko (with '-' allowed for '_'); each DEP names a module on an earlier
// line that must be loaded first. The packer lists only direct dependencies,
// so modules whose DEPs are all loaded may be loaded in parallel. Blank lines
// and lines starting with '#' are ignored; fields are separated by white
// space.
//
// The package is imported by the init and uses only the standard library.
package loadlist
