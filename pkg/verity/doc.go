// Package verity reads, writes and checks dm-verity hash trees in the format
// of veritysetup (cryptsetup) and builds the kernel's dm-verity table.
//
// It implements §1 (kernel table line), §3 (hash tree format) and §4
// (veritysetup superblock) of the shared verity reference notes
// (verity.md). Where the notes and the sources differ, the comments follow
// cryptsetup's lib/verity/verity.c and verity_hash.c and the kernel's
// drivers/md/dm-verity-target.c, and the tests check the result against the
// veritysetup binary.
//
// The /init side needs only ParseSuperblock, Superblock.CheckParams,
// Params.Validate, Params.KernelTable, CheckRootHash and the Parse helpers;
// the host side adds Format and Verify. There is no package state and no
// init-time registration, so the linker drops whatever a binary does not
// call.
//
// The package is pure: it works on io.ReaderAt and io.WriterAt, never opens
// paths, never logs and never panics on input. Sizes read from a superblock
// or given in Params are checked (in uint64, against overflow) before they
// are used, and Verify allocates nothing for the tree before it has read
// the last byte of the data and of the tree.
package verity
