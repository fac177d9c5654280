//go:build verinit_nosig

package activate

import (
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/veritysig"
)

// Roots is empty in an init built without signature support: it reads no
// certificate and checks no signature. This file, not a test of
// feature.Sig, keeps package sig out: a constant lets the compiler drop
// code, but an import stays, and with it the package initializers of
// crypto/rsa and crypto/ecdsa, which reference every NIST curve.
type Roots []struct{}

func parseRoots([]byte) (Roots, error) { return nil, feature.ErrNoSig }

func (Roots) verify([]byte, string, time.Time, time.Time) (*veritysig.Signer, error) {
	return nil, feature.ErrNoSig
}
