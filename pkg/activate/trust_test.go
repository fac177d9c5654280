package activate

import (
	"errors"
	"io/fs"
	"reflect"
	"testing"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/rootdev"
)

// fakeSources serves GatherTrust from memory and records what it asked.
type fakeSources struct {
	files     map[string][]byte
	certs     []string
	part      []byte // the DER at the start of any partition
	partErr   error
	veritySig []byte // nil: no root-verity-sig partition
	asked     []string
}

func (f *fakeSources) File(path string, max int) ([]byte, error) {
	f.asked = append(f.asked, "file "+path)
	b, ok := f.files[path]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	if len(b) > max {
		return nil, errors.New(path + ": larger than expected")
	}
	return b, nil
}

func (f *fakeSources) Certificates() ([]string, error) { return f.certs, nil }

func (f *fakeSources) PartitionDER(spec rootdev.Spec) (string, []byte, error) {
	f.asked = append(f.asked, "partition "+spec.Raw)
	return "/dev/vdb1", f.part, f.partErr
}

func (f *fakeSources) SignedRootHash(part rootdev.Match) (string, string, []byte, error) {
	f.asked = append(f.asked, "signed root hash "+part.Value)
	return "/dev/vda4", "feed", []byte("der"), nil
}

func (f *fakeSources) VeritySig(data rootdev.Match, rootHash string) (string, []byte, bool, error) {
	f.asked = append(f.asked, "verity-sig "+rootHash)
	if f.veritySig == nil {
		return "", nil, false, nil
	}
	return "/dev/vda3", f.veritySig, true, nil
}

// TestUnsignedTrust: what an init without signature support trusts:
// the root hash as given, and nothing that asks for a signature.
func TestUnsignedTrust(t *testing.T) {
	inline := config.SigSource{Inline: []byte("der"), From: "verinit.roothashsig"}
	for _, tc := range []struct {
		name    string
		v       config.Verity
		p       config.Policy
		wantErr string
	}{
		{"no signature, none required", config.Verity{RootHash: "ab"}, config.Policy{Verity: config.Required}, ""},
		{"a policy requiring one", config.Verity{RootHash: "ab"}, config.Policy{Signature: config.Required},
			"verity: this init was built without signature support (build tag verinit_nosig): the policy requires a signed root hash"},
		{"one on the command line", config.Verity{RootHash: "ab", Sig: inline}, config.Policy{},
			"verity: verinit.roothashsig: this init was built without signature support (build tag verinit_nosig)"},
		{"the kernel's check", config.Verity{RootHash: "ab", KernelSig: true}, config.Policy{},
			"verity: verinit.verity_sig=kernel: this init was built without signature support (build tag verinit_nosig)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := UnsignedTrust(&tc.v, tc.p)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, feature.ErrNoSig) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || tr.Sig != nil || tr.Roots != nil || tr.RootHash != "" || !reflect.DeepEqual(tr.Policy, tc.p) {
				t.Errorf("UnsignedTrust = %+v, %v; want the policy alone", tr, err)
			}
		})
	}
}
