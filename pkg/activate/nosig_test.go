//go:build verinit_nosig

package activate

import (
	"errors"
	"testing"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/rootdev"
)

// TestGatherTrustNotBuilt: an init built without signature support reads
// no certificate and looks for no signature, even where one lies; it
// refuses a policy that requires one.
func TestGatherTrustNotBuilt(t *testing.T) {
	src := fakeSources{certs: []string{"/etc/verinit/certs/00-a.pem"}, veritySig: []byte("der"),
		files: map[string][]byte{"/etc/verinit/certs/00-a.pem": []byte("pem"), config.VeritySigEnvPath: []byte("der")}}
	v := &config.Verity{RootHash: "ab"}
	tr, err := GatherTrust(v, config.Policy{}, rootdev.Match{}, rootdev.Match{}, &src)
	if err != nil || tr.Sig != nil || tr.Roots != nil || len(src.asked) != 0 {
		t.Errorf("GatherTrust = %+v, %v, asked %q; want no signature and nothing asked", tr, err, src.asked)
	}
	if _, err := GatherTrust(v, config.Policy{Signature: config.Required}, rootdev.Match{}, rootdev.Match{}, &src); !errors.Is(err, feature.ErrNoSig) {
		t.Errorf("under signature=required: %v, want %v", err, feature.ErrNoSig)
	}
	if _, err := checkSignature("ab", Trust{Sig: []byte("der"), SigFrom: "x"}); !errors.Is(err, feature.ErrNoSig) {
		t.Errorf("checkSignature with a signature: %v, want %v", err, feature.ErrNoSig)
	}
}
