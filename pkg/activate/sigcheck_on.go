//go:build !verinit_nosig

package activate

import (
	"time"

	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/veritysig"
)

// Roots are the certificates packed into the initramfs, which a signature
// must chain to.
type Roots []*sig.Certificate

// parseRoots reads the certificates of a packed PEM file.
func parseRoots(pem []byte) (Roots, error) { return sig.ParseCertificates(pem) }

// verify checks der, a signature over the root hash rootHashHex, against
// r; builtAt and now set the certificate validity rule
// (sig.VerifyOptions).
func (r Roots) verify(der []byte, rootHashHex string, builtAt, now time.Time) (*veritysig.Signer, error) {
	return sig.Verify(der, rootHashHex, r, sig.VerifyOptions{Now: now, MinPlausibleTime: builtAt})
}
