package activate

import (
	"errors"
	"fmt"
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/veritysig"
)

// Trust is what a root-hash signature is checked against.
type Trust struct {
	Sig     []byte // the DER signature, nil when none was found
	SigFrom string // where it came from, for messages and status
	// RootHash is the root hash that came with the signature
	// (verinit.roothash_sig=), "" otherwise.
	RootHash string
	Roots    Roots         // the certificates packed into the initramfs
	Policy   config.Policy // what the table must keep; its Signature says whether one is required
	// BuiltAt is when the initramfs was built: a clock before it is
	// wrong, and certificate validity periods are then not checked.
	BuiltAt time.Time
	Now     time.Time
}

// ErrNoSignature is returned when a signature is required and none was found.
var ErrNoSignature = errors.New("verity: a signed root hash is required, but no signature was found")

// checkSignature verifies t.Sig over the root hash text. Without a
// signature it returns nil (nothing to record) unless one is required.
func checkSignature(rootHashHex string, t Trust) (*veritysig.Signer, error) {
	if t.Sig == nil {
		if t.Policy.Signature == config.Required {
			return nil, ErrNoSignature
		}
		return nil, nil
	}
	if !feature.Sig { // UnsignedTrust gathers none
		return nil, fmt.Errorf("verity: signature from %s: %w", t.SigFrom, feature.ErrNoSig)
	}
	if len(t.Roots) == 0 {
		return nil, fmt.Errorf("verity: signature from %s: no certificates are packed in the initramfs (verinit initramfs --cert)", t.SigFrom)
	}
	s, err := t.Roots.verify(t.Sig, rootHashHex, t.BuiltAt, t.Now)
	if err != nil {
		return nil, fmt.Errorf("verity: signature from %s: %w", t.SigFrom, err)
	}
	return s, nil
}
