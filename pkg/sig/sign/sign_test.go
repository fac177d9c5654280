package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/veritysig"
)

const (
	testRootHash  = "4392c5d6ff5bd6c3c0f2a8f5ae2a4c4b1e3e3f6c2b9d0a7e8f1c2d3e4f5a6b7c"
	otherRootHash = "0b2c9a1e7d5f3b8c6a4e2d0f9b7c5a3e1d8f6b4c2a0e9d7f5b3c1a8e6d4f2b0a"
)

// ident is a certificate and its key.
type ident struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ec":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue makes a certificate for a fresh key of the given kind, signed by
// parent (self-signed when parent is nil).
func issue(t *testing.T, kind, cn string, isCA bool, parent *ident) *ident {
	t.Helper()
	key := newKey(t, kind)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ident{c, key}
}

func writePEM(t *testing.T, path string, certs ...*x509.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// openssl runs the openssl binary; a missing binary fails the test.
func openssl(dir string, args ...string) (string, error) {
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestRootHashVerifiedByOpenSSL signs with RootHash and checks that
// "openssl cms -verify" and "openssl smime -verify" accept the result over
// the root hash file, with only the root as CA file, for a self-signed
// signer and for root → intermediate → leaf, with and without a root
// version, and refuse it over another root hash; that the structure is
// the one the kernel parses (SHA-256, no signed attributes or with the
// version the standard ones, rsaEncryption for RSA); and that the init's
// Verify accepts it and reads the version.
func TestRootHashVerifiedByOpenSSL(t *testing.T) {
	for _, kind := range []string{"rsa", "ec"} {
		root := issue(t, kind, "sign test "+kind+" root", true, nil)
		ca := issue(t, kind, "sign test "+kind+" CA", true, nil)
		inter := issue(t, kind, "sign test "+kind+" intermediate", true, ca)
		leaf := issue(t, kind, "sign test "+kind+" leaf", false, inter)
		for _, tc := range []struct {
			name   string
			signer *ident
			inter  []*x509.Certificate
			ca     *ident
			opts   Options
		}{
			{"self-signed", root, nil, root, Options{}},
			{"chain", leaf, []*x509.Certificate{inter.cert}, ca, Options{}},
			{"self-signed, version 7", root, nil, root, Options{Version: 7, HasVersion: true}},
			{"chain, version 2^64-1", leaf, []*x509.Certificate{inter.cert}, ca, Options{Version: 1<<64 - 1, HasVersion: true}},
			{"chain, version 0", leaf, []*x509.Certificate{inter.cert}, ca, Options{HasVersion: true}},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				opts := tc.opts
				opts.Intermediates = tc.inter
				der, err := RootHash(strings.ToUpper(testRootHash), tc.signer.key, tc.signer.cert, opts)
				if err != nil {
					t.Fatalf("RootHash: %v", err)
				}
				dir := t.TempDir()
				for name, content := range map[string][]byte{"sig.p7s": der, "hash.txt": []byte(testRootHash), "other.txt": []byte(otherRootHash)} {
					if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				writePEM(t, filepath.Join(dir, "ca.pem"), tc.ca.cert)
				for _, tool := range []string{"cms", "smime"} {
					if out, err := openssl(dir, tool, "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s", "-content", "hash.txt", "-CAfile", "ca.pem", "-out", "/dev/null"); err != nil {
						t.Errorf("openssl %s -verify: %v: %s", tool, err, out)
					}
					if _, err := openssl(dir, tool, "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s", "-content", "other.txt", "-CAfile", "ca.pem", "-out", "/dev/null"); err == nil {
						t.Errorf("openssl %s -verify accepted the signature over the other root hash", tool)
					}
				}
				printed, err := openssl(dir, "cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.p7s")
				if err != nil {
					t.Fatalf("openssl cms -print: %v: %s", err, printed)
				}
				wantAlg := "signatureAlgorithm: \n          algorithm: rsaEncryption (1.2.840.113549.1.1.1)"
				if kind == "ec" {
					wantAlg = "signatureAlgorithm: \n          algorithm: ecdsa-with-SHA256 (1.2.840.10045.4.3.2)"
				}
				wants := []string{"eContent: <ABSENT>", "signedAttrs:\n          <ABSENT>", "algorithm: sha256 (2.16.840.1.101.3.4.2.1)", wantAlg}
				if opts.HasVersion {
					// openssl prints the attribute's type and its INTEGER.
					wants = []string{"eContent: <ABSENT>", "object: contentType", "object: signingTime", "object: messageDigest",
						"object: undefined (" + sig.OIDRootVersion + ") set: INTEGER:" + fmt.Sprint(opts.Version) + " ",
						"algorithm: sha256 (2.16.840.1.101.3.4.2.1)", wantAlg}
				}
				flat := strings.Join(strings.Fields(printed), " ") + " "
				for _, want := range wants {
					if !strings.Contains(printed, want) && !strings.Contains(flat, want) {
						t.Errorf("openssl cms -print lacks %q:\n%s", want, printed)
					}
				}
				trusted, err := sig.ParseCertificate(tc.ca.cert.Raw)
				if err != nil {
					t.Fatal(err)
				}
				s, err := sig.Verify(der, testRootHash, []*sig.Certificate{trusted}, sig.VerifyOptions{})
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if s.Subject != tc.signer.cert.Subject.String() {
					t.Errorf("Verify names signer %q, want %q", s.Subject, tc.signer.cert.Subject)
				}
				if s.HasVersion != opts.HasVersion || s.Version != opts.Version {
					t.Errorf("Verify reads version %d (%v), want %d (%v)", s.Version, s.HasVersion, opts.Version, opts.HasVersion)
				}
			})
		}
	}
}

func TestRootHashErrors(t *testing.T) {
	rsaRoot, ecRoot := issue(t, "rsa", "rsa root", true, nil), issue(t, "ec", "ec root", true, nil)
	rogue := issue(t, "rsa", "rogue", true, nil)
	ed := issue(t, "ed25519", "ed", true, nil)
	for _, tc := range []struct {
		name string
		sign func() ([]byte, error)
		want string
	}{
		{"key of another certificate", func() ([]byte, error) { return RootHash(testRootHash, rogue.key, rsaRoot.cert, Options{}) },
			`sign: the key does not belong to certificate "CN=rsa root"`},
		{"EC key, RSA certificate", func() ([]byte, error) { return RootHash(testRootHash, ecRoot.key, rsaRoot.cert, Options{}) },
			`sign: the key does not belong to certificate "CN=rsa root"`},
		{"Ed25519 certificate", func() ([]byte, error) { return RootHash(testRootHash, ed.key, ed.cert, Options{}) },
			"sign: Ed25519 keys are not supported, want RSA or ECDSA"},
		{"nil certificate", func() ([]byte, error) { return RootHash(testRootHash, rsaRoot.key, nil, Options{}) },
			"sign: key and certificate are required"},
		{"bad root hash", func() ([]byte, error) { return RootHash("xyz!", rsaRoot.key, rsaRoot.cert, Options{}) },
			`sign: root hash "xyz!" is not 1 to 64 bytes of hex`},
		{"nil intermediate", func() ([]byte, error) {
			return RootHash(testRootHash, rsaRoot.key, rsaRoot.cert, Options{Intermediates: []*x509.Certificate{nil}})
		},
			"sign: intermediate certificate 0 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := tc.sign()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("RootHash = %d bytes, %v; want error %s", len(der), err, tc.want)
			}
		})
	}
}

func TestVeritySigJSON(t *testing.T) {
	root := issue(t, "ec", "json root", true, nil)
	der, err := RootHash(testRootHash, root.key, root.cert, Options{})
	if err != nil {
		t.Fatal(err)
	}
	part, err := VeritySigJSON(testRootHash, root.cert, der)
	if err != nil {
		t.Fatal(err)
	}
	v, err := veritysig.Parse(part)
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := sig.ParseCertificate(root.cert.Raw)
	s, err := sig.Verify(v.Signature, v.RootHash, []*sig.Certificate{trusted}, sig.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.CertificateFingerprint != s.FingerprintSHA256 || !bytes.Contains(part, []byte(base64.StdEncoding.EncodeToString(der))) {
		t.Errorf("partition %.120q… does not carry the signature and its signer's fingerprint %s", part, s.FingerprintSHA256)
	}
}

func TestParseCertificates(t *testing.T) {
	root := issue(t, "rsa", "pem root", true, nil)
	ca := issue(t, "ec", "pem CA", true, nil)
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "two.pem"), root.cert, ca.cert)
	two, _ := os.ReadFile(filepath.Join(dir, "two.pem"))
	got, err := ParseCertificates(append([]byte("# comment\n"), two...))
	if err != nil || len(got) != 2 || !got[0].Equal(root.cert) || !got[1].Equal(ca.cert) {
		t.Fatalf("ParseCertificates = %d certificates, %v", len(got), err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0}})
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"private key packed by mistake", append(append([]byte{}, two...), keyPEM...), `sign: PEM block 3 is a "PRIVATE KEY", want only CERTIFICATE blocks`},
		{"empty", nil, "sign: no PEM CERTIFICATE block found"},
		{"bad certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "sign: PEM certificate 1: x509: malformed certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseCertificates(tc.in); err == nil || err.Error() != tc.want {
				t.Fatalf("ParseCertificates error = %v, want %s", err, tc.want)
			}
		})
	}
}
