// Package lvm finds LVM2 physical volumes, picks the current volume group
// metadata and plans the device-mapper tables that activate linear and
// striped logical volumes, without running lvm2.
//
// It implements the shared LVM2 reference notes (lvm2.md): the label and
// PV header (§1, §2), the metadata area header and its circular text
// buffer (§3), the metadata text and the fields of a volume group (§4),
// the choice among metadata copies (§5), the dm name, UUID and table
// (§6), and the refusals of §7. Where the notes and lvm2's sources
// differ, the comments follow lvm2 (lib/label/label.c,
// lib/format_text/*.c, libdm/libdm-config.c, lib/activate/dev_manager.c,
// lib/striped/striped.c), and the oracle tests compare the results with
// what lvm2 2.03 reports for the same devices.
//
// The flow is ScanPV for every candidate device, Assemble over the PVs
// found, then VG.Plan for the logical volume to activate. A Plan names
// devices by PV UUID; Target.Params and Plan.Table render it with the
// caller's map from PV UUID to "MAJOR:MINOR".
//
// Only linear and striped LVs are planned. Everything else is refused
// with a reason: other segment types (thin, raid, mirror, cache, snapshot,
// vdo, integrity, writecache, error, zero, ...), stacked segments, hidden
// LVs, snapshot origins, pvmove in progress, activation-skip LVs unless
// asked, and exported, clustered, shared (lvmlockd), partial or foreign
// (system ID) volume groups. LVs on missing PVs give ErrMissingPV, which a
// caller waiting for devices may retry.
//
// Where lvm2 is lax about input that it never writes, this package is
// stricter: a label must start with "LABELONE" (lvm2 also takes a sector
// whose type field alone reads "LVM2 001", without checking its sector
// number or checksum), integers must fit the field (lvm2 truncates them to
// 32 bits), duplicate keys, bare strings, floats and octal-looking
// integers are errors in the metadata text, two LVs may not map the same
// physical extent, and a VG whose newest copies differ is refused rather
// than resolved by scan order.
//
// The package is pure: it reads from an io.ReaderAt whose size the caller
// gives, never opens paths, never logs and never panics on input. Every
// allocation driven by on-disk values is bounded by a named limit
// (MaxMetadataBytes and the parser's node, depth and string limits) and
// by the device size. A scanned PV keeps each copy's parsed VG and the
// text's size and SHA-256 (what Assemble compares copies by), not the
// text, so a caller scanning many devices holds no text (pkg/rootdev
// bounds their number and total text). It uses the standard library
// only. Its FormatError renders through internal/formaterr, in the same
// shape as the other parsers' errors. There is no package state.
package lvm
