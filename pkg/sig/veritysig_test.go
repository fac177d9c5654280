package sig

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/veritysig"
)

// TestVeritySigJSON writes a root-verity-sig partition (package
// veritysig) with a real signature, checks the exact text against
// systemd-repart's format, reads it back and verifies the signature it
// carries.
func TestVeritySigJSON(t *testing.T) {
	for _, k := range []keyType{rsaKey, ecKey} {
		p := testPKI(t, k)
		t.Run(string(k), func(t *testing.T) {
			der := librarySign(t, testRootHash, p.leaf, p.inter.cert)
			part, err := veritysig.Marshal(strings.ToUpper(testRootHash), fingerprint(p.leaf.cert), der)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"rootHash":"` + testRootHash + `","certificateFingerprint":"` + fingerprint(p.leaf.cert) +
				`","signature":"` + base64.StdEncoding.EncodeToString(der) + `"}`
			if len(part)%4096 != 0 || !bytes.HasPrefix(part, []byte(want)) || bytes.ContainsFunc(part[len(want):], func(r rune) bool { return r != 0 }) {
				t.Fatalf("Marshal =\n%q\nwant %q and NULs to a multiple of 4096 bytes", part, want)
			}
			v, err := veritysig.Parse(part)
			if err != nil {
				t.Fatal(err)
			}
			s, err := verifyBoth(t, v.Signature, v.RootHash, []*x509.Certificate{p.ca.cert}, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if v.CertificateFingerprint != s.FingerprintSHA256 {
				t.Errorf("certificateFingerprint %s, signer %s", v.CertificateFingerprint, s.FingerprintSHA256)
			}

			noCert, err := veritysig.Marshal(testRootHash, "", der)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"rootHash":"` + testRootHash + `","signature":"`; !bytes.HasPrefix(noCert, []byte(want)) {
				t.Errorf("Marshal without certificate = %.80q…, want prefix %q", noCert, want)
			}
		})
	}
}
