// Package activate turns a verified-root configuration and the devices it
// names into a device-mapper device, refusing anything it cannot prove.
//
// plan.go is pure: it merges what the command line (or dm-verity.env)
// says with the superblock read from the hash device, and rejects
// disagreement. verity_linux.go reads the devices, checks the root hash
// against the top block of the hash tree before any table is loaded (the
// kernel accepts any root hash and fails only on reads), and creates the
// read-only dm-verity device.
package activate
