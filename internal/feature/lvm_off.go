//go:build verinit_nolvm

package feature

// LVM says whether this init carries the LVM part.
const LVM = false
