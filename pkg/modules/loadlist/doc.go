// Package loadlist reads and writes the module load list: the file
// /lib/modules/verinit.load that the packer (pkg/initramfs) writes into the
// initramfs and the init reads to load kernel modules in an order, and on
// occasions, decided at pack time, so nothing is resolved at boot.
//
// Format (version 2):
//
//	# verinit load list: module NAME CLASS PATH [DEP ...] | alias PATTERN NAME
//	verinit-load 2
//	module dm_mod dm /lib/modules/6.1.0-56-amd64/kernel/drivers/md/dm-mod.ko
//	module dm_bufio dep /lib/modules/6.1.0-56-amd64/kernel/drivers/md/dm-bufio.ko dm_mod
//	module virtio_blk storage /lib/modules/6.1.0-56-amd64/kernel/drivers/block/virtio_blk.ko virtio
//	alias virtio:d00000002v* virtio_blk
//	alias devname:mapper/control dm_mod
//
// The version line comes first (comments and blank lines aside). NAME is the
// normalised module name ('_', not '-'); CLASS says when the init loads the
// module for its own sake: start (at once), storage (when a device's
// modalias matches one of its aliases), dm (before device-mapper devices are
// made), fs (when the root's file system is known) or dep (only as a
// dependency). PATH is the absolute, clean path of the uncompressed .ko
// inside the initramfs, whose base name is NAME.ko (with '-' allowed for
// '_'); each DEP names a module on an earlier line that must be loaded
// first. The packer lists only direct dependencies, so modules whose DEPs
// are all loaded may be loaded in parallel.
//
// Alias lines follow the module lines: PATTERN is a glob of modules.alias,
// normalised ('_' for '-' outside brackets), that the module on an earlier
// line provides; the packer keeps only the aliases of packed modules that
// the init may look up. Blank lines and lines starting with '#' are
// ignored; fields are separated by white space.
//
// The package is imported by the init and uses only the standard library
// and pkg/modalias.
package loadlist
