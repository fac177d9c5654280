package sig

import (
	"bytes"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/alloctest"
)

// wideBER returns a definite-length SEQUENCE of n two-byte NULLs.
func wideBER(n int) []byte {
	l := 2 * n
	b := []byte{0x30, 0x82, byte(l >> 8), byte(l)}
	return append(b, bytes.Repeat([]byte{0x05, 0x00}, n)...)
}

// deepBER returns an OCTET STRING of payload bytes under depth definite-length
// SEQUENCEs: the shape the library's BER-to-DER conversion copies most.
func deepBER(depth, payload int) []byte {
	b := append([]byte{0x04, 0x82, byte(payload >> 8), byte(payload)}, make([]byte, payload)...)
	for range depth {
		l := len(b)
		b = append([]byte{0x30, 0x82, byte(l >> 8), byte(l)}, b...)
	}
	return b
}

// indefiniteBER returns an OCTET STRING of payload bytes under depth
// indefinite-length SEQUENCEs, which Verify re-encodes as DER.
func indefiniteBER(depth, payload int) []byte {
	b := bytes.Repeat([]byte{0x30, 0x80}, depth)
	b = append(b, 0x04, 0x82, byte(payload>>8), byte(payload))
	b = append(b, make([]byte, payload)...)
	return append(b, make([]byte, 2*depth)...)
}

// TestAllocationBounded checks that hostile input of any size makes Verify
// allocate a bounded amount: oversized input is
// refused before parsing, input within the limits costs at most one copy
// (the BER to DER re-encoding) and the parsed certificates, and a real
// signature, chain included, costs under 16 KB; a hostile seed at most 64
// KiB per unit of public-key work.
func TestAllocationBounded(t *testing.T) {
	roots := fuzzRoots(t)
	for name, der := range readCorpus(t, "FuzzVerify") {
		t.Run("Verify/seed "+name, func(t *testing.T) {
			limit := uint64(16 << 10)
			if strings.HasPrefix(name, "hostile-") {
				// Public-key work allocates too (TestVerifyWorkBounded).
				w := &verifyWork{}
				verify(w, der, testRootHash, roots, VerifyOptions{})
				limit = uint64(64<<10) * uint64(w.units+1)
			}
			if got := alloctest.Bytes(func() { Verify(der, testRootHash, roots, VerifyOptions{}) }); got > limit {
				t.Errorf("Verify allocated %d bytes for a signature of %d bytes, limit %d", got, len(der), limit)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		in    []byte
		limit uint64
	}{
		{"1 MiB of zeros", make([]byte, 1<<20), 4 << 10},
		{"64 MiB of zeros", make([]byte, 64<<20), 4 << 10},
		{"64 KiB nested 16,000 deep", nestedBER(16383), 16 << 10},
		{"64 KiB of 32,000 NULLs", wideBER(32000), 16 << 10},
		{"4,000 NULLs (under the element limit)", wideBER(4000), 64 << 10},
		{"31 levels of nesting", nestedBER(31), 16 << 10},
		{"64 KiB under 31 levels of nesting", deepBER(31, 65000-4*31), 16 << 10},
		{"64 KiB under 31 indefinite levels (re-encoded once)", indefiniteBER(31, 65000-4*31), 160 << 10},
	} {
		t.Run("Verify/"+tc.name, func(t *testing.T) {
			if got := alloctest.Bytes(func() { Verify(tc.in, testRootHash, roots, VerifyOptions{}) }); got > tc.limit {
				t.Errorf("Verify allocated %d bytes for %d bytes of input, limit %d", got, len(tc.in), tc.limit)
			}
		})
	}
}
