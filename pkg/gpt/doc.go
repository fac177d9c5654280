// Package gpt reads and validates GUID Partition Tables.
//
// It implements the on-disk format and the validation rules of §1 of the
// shared DPS reference notes (dps.md, "GPT on-disk essentials"): the protective MBR
// (§1.2), the header and its CRCs (§1.3), partition entries (§1.4), the GUID
// byte order (§1.5) and the extra bounds for hostile images (§1.6). Where the
// notes and the Linux kernel (block/partitions/efi.c) differ, the kernel's
// behaviour is what the comments describe.
//
// The package is a pure parser: it reads from an io.ReaderAt whose size the
// caller gives, never opens paths, never logs and never panics on input.
// Every allocation driven by on-disk values is bounded by a named constant
// and by the device size.
//
// Read is stricter than the kernel on purpose: a table the kernel would use
// may be rejected here (zero or duplicate unique GUIDs, overlapping
// partitions, an entry array that overlaps the usable range), but a table
// accepted here is one the kernel accepts too, provided the protective MBR is
// valid (see Table.ProtectiveMBR) and the primary header is intact (see
// Table.FromBackup). The kernel creates partition devices only for entries
// below its per-disk limit (efi_partition stops at state->limit-1, that is
// at most DISK_MAX_PARTS-1 = 255 entries, fewer on disks with a small minor
// count), so a partition with a high Number may have no device node.
package gpt
