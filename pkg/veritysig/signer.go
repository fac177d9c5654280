package veritysig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSignatureBytes is the largest signature sig.Verify parses, and the
// largest decoded signature Parse accepts. A detached signature with an
// RSA-4096 signer and two intermediate certificates is about 6 KiB; the cap
// leaves room for long chains while bounding the work an attacker's DER can
// cause (see package sig).
const MaxSignatureBytes = 64 << 10

// maxRootHashHex is the longest root hash accepted: 64 bytes (SHA-512), the
// kernel's HASH_MAX_DIGESTSIZE, as hex.
const maxRootHashHex = 128

// Signer describes the certificate that made a signature sig.Verify
// accepted, and the root version the signature carries.
type Signer struct {
	Subject           string // subject DN of the signer certificate, RFC 2253 style ("CN=...,O=...")
	FingerprintSHA256 string // SHA-256 of the signer certificate's DER, lowercase hex, no colons
	Issuer            string // issuer DN of the signer certificate, RFC 2253 style

	// Version is the value of the signed root version attribute
	// (sig.OIDRootVersion, "verinit sign --version") when HasVersion is
	// set; a signature without the attribute has HasVersion false and
	// Version 0.
	Version    uint64
	HasVersion bool
}

// String returns the quoted subject and the fingerprint, e.g.
// "CN=root signer" (sha256 3f5a…).
func (s *Signer) String() string {
	return strconv.Quote(s.Subject) + " (sha256 " + s.FingerprintSHA256 + ")"
}

// SignedText returns the text a signature over the root hash rootHashHex
// is made over: the hex lower-cased, as the kernel, veritysetup and
// systemd sign it. It checks that the hex is 1 to 64 bytes.
func SignedText(rootHashHex string) (string, error) {
	s := rootHashHex
	if s == "" {
		return "", errors.New("veritysig: root hash is empty")
	}
	if len(s) > maxRootHashHex || len(s)%2 != 0 {
		return "", fmt.Errorf("veritysig: root hash has %d hex digits, want an even number from 2 to %d", len(s), maxRootHashHex)
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return "", fmt.Errorf("veritysig: root hash %q is not hex (byte %d)", s, i)
		}
	}
	return strings.ToLower(s), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
