// Package image writes A/B disk images for a verified root: a GPT with, for
// each slot, a Discoverable Partitions root partition holding a read-only
// file system image and a root-verity partition holding its dm-verity hash
// tree, the two paired through the root hash as DPS prescribes (the data
// partition's UUID is the first 128 bits of the root hash, the verity
// partition's the last 128 bits; see dps.PairUUIDs).
//
// It is host-only code: it uses github.com/diskfs/go-diskfs to write the
// partition table and runs mksquashfs or mkfs.erofs (BuildFS). Neither the
// static /init nor any package it imports may import this package.
//
// The partition table is written by go-diskfs, which handles 512- and
// 4096-byte logical sectors (primary header at LBA 1, a 128-entry array of
// 16 KiB, that is 32 or 4 blocks, first usable LBA 34 or 6, backup array
// and header at the end of the disk). Create rewrites the protective MBR
// record afterwards, because go-diskfs leaves its CHS fields zero and
// truncates its size field instead of saturating it at 0xFFFFFFFF on disks
// of more than 2^32 blocks, and, when the destination can be read back,
// reads the result with package gpt and compares it with the Layout.
package image
