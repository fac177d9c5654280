package sig

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignVerifiedByOpenSSL signs with Sign and checks that "openssl cms
// -verify" and "openssl smime -verify" accept the result over the root hash
// file, with only the root as CA file (no -purpose any), for a self-signed
// signer and for root → intermediate → leaf; and that the structure is the
// one the kernel parses: SHA-256, no signed attributes, rsaEncryption for
// RSA.
func TestSignVerifiedByOpenSSL(t *testing.T) {
	for _, k := range []keyType{rsaKey, ecKey} {
		p := testPKI(t, k)
		for _, tc := range []struct {
			name   string
			signer *ident
			inter  []*x509.Certificate
			ca     *ident
		}{
			{"self-signed", p.root, nil, p.root},
			{"chain", p.leaf, []*x509.Certificate{p.inter.cert}, p.ca},
		} {
			t.Run(string(k)+"/"+tc.name, func(t *testing.T) {
				// Upper case in, lower case signed.
				der, err := Sign(strings.ToUpper(testRootHash), tc.signer.key, tc.signer.cert, tc.inter...)
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				dir := t.TempDir()
				sigF := filepath.Join(dir, "sig.p7s")
				if err := os.WriteFile(sigF, der, 0o644); err != nil {
					t.Fatal(err)
				}
				for _, tool := range []string{"cms", "smime"} {
					openssl(t, dir, tool, "-verify", "-binary", "-inform", "DER", "-in", sigF,
						"-content", p.hashF, "-CAfile", tc.ca.certPath, "-out", filepath.Join(dir, "out"))
					if _, err := opensslErr(dir, tool, "-verify", "-binary", "-inform", "DER", "-in", sigF,
						"-content", p.otherF, "-CAfile", tc.ca.certPath, "-out", filepath.Join(dir, "out")); err == nil {
						t.Errorf("openssl %s -verify accepted the signature over the other root hash", tool)
					}
				}
				printed := string(openssl(t, dir, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sigF))
				for _, want := range []string{"eContent: <ABSENT>", "signedAttrs:\n          <ABSENT>", "algorithm: sha256 (2.16.840.1.101.3.4.2.1)"} {
					if !strings.Contains(printed, want) {
						t.Errorf("openssl cms -print lacks %q:\n%s", want, printed)
					}
				}
				wantAlg := "signatureAlgorithm: \n          algorithm: rsaEncryption (1.2.840.113549.1.1.1)"
				if k == ecKey {
					wantAlg = "signatureAlgorithm: \n          algorithm: ecdsa-with-SHA256 (1.2.840.10045.4.3.2)"
				}
				if !strings.Contains(printed, wantAlg) {
					t.Errorf("openssl cms -print lacks %q:\n%s", wantAlg, printed)
				}
				s, err := Verify(der, testRootHash, []*x509.Certificate{tc.ca.cert}, VerifyOptions{})
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if want := describe(tc.signer.cert); *s != *want {
					t.Errorf("Verify = %+v, want %+v", s, want)
				}
			})
		}
	}
}

func TestSignErrors(t *testing.T) {
	rsaP, ecP := testPKI(t, rsaKey), testPKI(t, ecKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ed"}},
		&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ed"}}, edKey.Public(), edKey)
	if err != nil {
		t.Fatal(err)
	}
	edCert, err := x509.ParseCertificate(edDER)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sign func() ([]byte, error)
		want string
	}{
		{"key of another certificate", func() ([]byte, error) { return Sign(testRootHash, rsaP.rogue.key, rsaP.root.cert) },
			`sig: sign: the key does not belong to certificate "CN=verinit test rsa root signer"`},
		{"EC key, RSA certificate", func() ([]byte, error) { return Sign(testRootHash, ecP.root.key, rsaP.root.cert) },
			`sig: sign: the key does not belong to certificate "CN=verinit test rsa root signer"`},
		{"Ed25519 key", func() ([]byte, error) { return Sign(testRootHash, edKey, rsaP.root.cert) },
			`sig: sign: the key does not belong to certificate "CN=verinit test rsa root signer"`},
		{"Ed25519 certificate", func() ([]byte, error) { return Sign(testRootHash, edKey, edCert) },
			"sig: sign: Ed25519 keys are not supported, want RSA or ECDSA"},
		{"nil certificate", func() ([]byte, error) { return Sign(testRootHash, rsaP.root.key, nil) },
			"sig: sign: key and certificate are required"},
		{"bad root hash", func() ([]byte, error) { return Sign("xyz!", rsaP.root.key, rsaP.root.cert) },
			`sig: root hash "xyz!" is not hex (byte 0)`},
		{"nil intermediate", func() ([]byte, error) { return Sign(testRootHash, rsaP.leaf.key, rsaP.leaf.cert, nil) },
			"sig: sign: intermediate certificate 0 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := tc.sign()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Sign = %d bytes, %v; want error %s", len(der), err, tc.want)
			}
		})
	}
}
