//go:build verinit_nosig

package feature

// Sig says whether this init checks root-hash signatures.
const Sig = false
