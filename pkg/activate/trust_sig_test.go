//go:build !verinit_nosig

package activate

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/rootdev"
)

func TestGatherTrust(t *testing.T) {
	w, err := policyWorldOnce()
	if err != nil {
		t.Fatal(err)
	}
	pem := []byte(w.pem)
	root := w.images[0].rootHash
	part, err := rootdev.ParseSpec("PARTLABEL=sig")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		sig      config.SigSource
		src      fakeSources
		from     string // "" when no signature is found
		source   config.Source
		rootHash string // Trust.RootHash
		wantErr  string
		asked    string
	}{
		{name: "inline", sig: config.SigSource{Inline: []byte("der"), From: "verinit.roothashsig"}, from: "verinit.roothashsig=base64:..."},
		{name: "a file in the initramfs", sig: config.SigSource{Path: "/sig.p7s", From: "root-hash-signature"},
			src: fakeSources{files: map[string][]byte{"/sig.p7s": []byte("der")}}, from: "root-hash-signature=/sig.p7s", asked: "file /sig.p7s"},
		{name: "a missing file", sig: config.SigSource{Path: "/nope", From: "verinit.roothashsig"}, wantErr: "open /nope: file does not exist"},
		{name: "a partition", sig: config.SigSource{Part: part, From: "verinit.roothashsig"}, src: fakeSources{part: []byte("der")},
			from: "verinit.roothashsig=PARTLABEL=sig (/dev/vdb1)", asked: "partition PARTLABEL=sig"},
		{name: "beside dm-verity.env", src: fakeSources{files: map[string][]byte{config.VeritySigEnvPath: []byte("der")}, veritySig: []byte("other")},
			from: config.VeritySigEnvPath, asked: "file " + config.VeritySigEnvPath},
		{name: "the DPS root-verity-sig partition", src: fakeSources{veritySig: []byte("der")},
			from: "root-verity-sig partition /dev/vda3", asked: "file " + config.VeritySigEnvPath + ", verity-sig " + root},
		{name: "none", asked: "file " + config.VeritySigEnvPath + ", verity-sig " + root},
		{name: "the root hash from the signature partition", source: config.FromSignature, from: "verinit.roothash_sig=PARTLABEL=sig (/dev/vda4)",
			asked: "signed root hash sig", rootHash: "feed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			src.certs = []string{"/etc/verinit/certs/00-a.pem"}
			if src.files == nil {
				src.files = map[string][]byte{}
			}
			src.files["/etc/verinit/certs/00-a.pem"] = pem
			v := &config.Verity{RootHash: root, Sig: tc.sig, Source: tc.source, RootHashFrom: part}
			tr, err := GatherTrust(v, config.Policy{Signature: config.Required}, rootdev.Match{}, rootdev.Match{Value: "sig"}, &src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Roots) != 1 || tr.Policy.Signature != config.Required {
				t.Errorf("roots %d, policy %v", len(tr.Roots), tr.Policy)
			}
			if tr.RootHash != tc.rootHash {
				t.Errorf("root hash %q, want %q", tr.RootHash, tc.rootHash)
			}
			if tr.SigFrom != tc.from || (tc.from != "" && string(tr.Sig) != "der") || (tc.from == "" && tr.Sig != nil) {
				t.Errorf("signature %q from %q, want der from %q", tr.Sig, tr.SigFrom, tc.from)
			}
			asked := strings.Join(src.asked[1:], ", ") // after the certificate
			if asked != tc.asked {
				t.Errorf("asked %q, want %q", asked, tc.asked)
			}
		})
	}
}
