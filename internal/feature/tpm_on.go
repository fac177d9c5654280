//go:build !verinit_notpm

package feature

// TPM says whether this init carries the TPM part.
const TPM = true
