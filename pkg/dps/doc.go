// Package dps implements the parts of the UAPI.2 Discoverable Partitions
// Specification (DPS) that an init needs to find a verified root on GPT
// disks: the partition type UUIDs, the attribute flags, the pairing of a
// data partition with its dm-verity partition through the root hash, and the
// choice of a root partition when the kernel command line names none.
//
// It implements §2 (type UUIDs), §3 (attribute flags), §4.2 and §4.3 (root
// selection and root-hash pairing) and the rules of §6.3 of the shared DPS
// reference notes (dps.md). Where the notes, the specification
// (uapi-group/specifications specs/discoverable_partitions_specification.md)
// and systemd differ, the comments say which one is followed and why; the
// systemd sources checked are src/shared/dissect-image.c (dissect_image),
// src/udev/udev-builtin-blkid.c (find_gpt_root),
// src/fundamental/string-util-fundamental.c (strverscmp_improved) and
// src/shared/gpt.c, and the type table is tested against the output of
// systemd-id128 show and against the table in the specification
// (testdata/README.md).
//
// The package is pure: it works on tables already read by package gpt,
// never opens devices, never logs and never panics on input. It imports only
// the standard library (no encoding/json, no net) and package gpt, so that
// it can be linked into the static /init. Its package-level values are
// read-only lookup tables and sentinel errors.
//
// Verity signature partitions (root-verity-sig) are located by
// FindVeritySig, but their JSON content is not parsed here.
package dps
