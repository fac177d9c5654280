// Package initramfs builds the initramfs the verinit init boots from: a newc
// cpio archive (the format the kernel unpacks, see the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst), optionally
// compressed with gzip, zstd or xz.
//
// The archive holds the init at /init, the base directories and the
// /dev/console and /dev/null nodes, the kernel modules chosen by
// [modules.Resolve] (decompressed, under /lib/modules/RELEASE), the load list
// /lib/modules/verinit.load ([loadlist.Write]), /etc/initrd-release and
// any extra files. The same inputs give the same bytes: records are sorted by
// path with sequential inode numbers, owner 0:0 and one fixed mtime.
//
// This package is host-only: it links compression codecs and must never be
// imported by the init.
package initramfs
