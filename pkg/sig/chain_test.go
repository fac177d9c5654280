package sig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serials numbers the certificates goCert makes.
var serials atomic.Int64

// goCert makes a certificate for key from tmpl (subject cn), issued by
// parent (self-signed when nil), with Go.
func goCert(t testing.TB, cn string, key crypto.Signer, parent *ident, edit func(*x509.Certificate)) *ident {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000 + serials.Add(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	if edit != nil {
		edit(tmpl)
	}
	if tmpl.SubjectKeyId == nil {
		tmpl.SubjectKeyId = keyID(key.Public())
	}
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseCertificate(der)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	return &ident{name: cn, cert: c, sc: sc, key: key}
}

// testKeys returns a few keys, made once per test binary (RSA keys are
// slow to make).
func testKeys(t *testing.T) map[string]crypto.Signer {
	t.Helper()
	m, err := makeTestKeys()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var makeTestKeys = sync.OnceValues(func() (map[string]crypto.Signer, error) {
	m := map[string]crypto.Signer{}
	for _, n := range []string{"ec1", "ec2", "ec3", "ec4", "ec5"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		m[n] = k
	}
	k384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	m["p384"], m["rsa"], m["ed"] = k384, rk, ek
	return m, nil
})

var oidUnknownCritical = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}

func unknownCritical(c *x509.Certificate) {
	c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: oidUnknownCritical, Critical: true, Value: []byte{0x05, 0x00}})
}

func leafTmpl(c *x509.Certificate) {
	c.IsCA = false
	c.KeyUsage = x509.KeyUsageDigitalSignature
}

// TestChainRules builds chains with Go and checks that Verify gives the
// oracle's (crypto/x509's) verdict on each, or, where doc.go says it is
// stricter, refuses what the oracle accepts.
func TestChainRules(t *testing.T) {
	k := testKeys(t)
	type chain struct {
		leaf     *ident
		embedded []*x509.Certificate
		roots    []*x509.Certificate
	}
	std := func(rootEdit, interEdit, leafEdit func(*x509.Certificate)) func(t *testing.T) chain {
		return func(t *testing.T) chain {
			root := goCert(t, "root", k["ec1"], nil, rootEdit)
			inter := goCert(t, "inter", k["ec2"], root, interEdit)
			leaf := goCert(t, "leaf", k["ec3"], inter, func(c *x509.Certificate) {
				leafTmpl(c)
				if leafEdit != nil {
					leafEdit(c)
				}
			})
			return chain{leaf, []*x509.Certificate{inter.cert}, []*x509.Certificate{root.cert}}
		}
	}
	at2050 := VerifyOptions{Now: time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name     string
		make     func(t *testing.T) chain
		opts     VerifyOptions
		want     error // nil: accepted
		stricter bool  // Verify refuses what the oracle accepts
	}{
		{name: "root, intermediate, leaf", make: std(nil, nil, nil)},
		{name: "intermediate is not a CA", make: std(nil, func(c *x509.Certificate) { c.IsCA = false }, nil), want: ErrUntrusted},
		{name: "intermediate without basic constraints", make: std(nil, func(c *x509.Certificate) { c.BasicConstraintsValid, c.IsCA = false, false }, nil), want: ErrUntrusted},
		{name: "intermediate may not sign certificates", make: std(nil, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, nil), want: ErrUntrusted},
		{name: "root may not sign certificates", make: std(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, nil, nil), want: ErrUntrusted},
		{name: "root path length 0 over an intermediate", make: std(func(c *x509.Certificate) { c.MaxPathLenZero = true }, nil, nil), want: ErrUntrusted},
		{name: "intermediate path length 0", make: std(nil, func(c *x509.Certificate) { c.MaxPathLenZero = true }, nil)},
		{name: "unknown critical extension in the leaf", make: std(nil, nil, unknownCritical), want: ErrUntrusted},
		{name: "unknown critical extension in the intermediate", make: std(nil, unknownCritical, nil), want: ErrUntrusted},
		{name: "unknown critical extension in the root", make: std(unknownCritical, nil, nil), want: ErrUntrusted},
		{name: "unknown extension, not critical", make: std(nil, func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Value: []byte{0x05, 0x00}}}
		}, nil)},
		{name: "expired intermediate, validity ignored", make: std(nil, func(c *x509.Certificate) { c.NotAfter = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) }, nil)},
		{name: "expired intermediate, clock checked", opts: at2050, make: std(nil, func(c *x509.Certificate) {
			c.NotAfter = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
		}, nil), want: ErrUntrusted},
		{name: "all valid in 2030, clock checked", opts: VerifyOptions{Now: at2030}, make: std(nil, nil, nil)},
		{name: "name constraints, leaf without alternative names", make: std(nil, func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.org"} }, nil)},
		{name: "name constraints violated by the leaf's DNS name", make: std(nil, func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.org"} },
			func(c *x509.Certificate) { c.DNSNames = []string{"other.net"} }), want: ErrUntrusted},
		{name: "name constraints kept by the leaf's DNS name", make: std(nil, func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.org"} },
			func(c *x509.Certificate) { c.DNSNames = []string{"a.example.org"} }), want: ErrUntrusted, stricter: true},
		{name: "certificate policies", make: std(nil, func(c *x509.Certificate) { c.Policies = []x509.OID{mustOID(t, "1.2.3.4")} },
			func(c *x509.Certificate) { c.Policies = []x509.OID{mustOID(t, "1.2.3.4")} })},
		{name: "policy constraints in the intermediate", make: std(nil, func(c *x509.Certificate) {
			c.Policies = []x509.OID{mustOID(t, "1.2.3.4")}
			// policyConstraints { requireExplicitPolicy 0 }, which
			// CreateCertificate does not write.
			c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}}}
		}, func(c *x509.Certificate) { c.Policies = []x509.OID{mustOID(t, "1.2.3.4")} }), want: ErrUntrusted, stricter: true},
		{name: "leaf with an email address", make: std(nil, nil, func(c *x509.Certificate) { c.EmailAddresses = []string{"signer@example.org"} })},
		{name: "intermediate signed with RSA-PSS", make: func(t *testing.T) chain {
			root := goCert(t, "rsa root", k["rsa"], nil, nil)
			inter := goCert(t, "inter", k["ec2"], root, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA256WithRSAPSS })
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, []*x509.Certificate{inter.cert}, []*x509.Certificate{root.cert}}
		}, want: ErrUnsupported, stricter: true}, // the kernel cannot read the embedded intermediate
		{name: "Ed25519 root", make: func(t *testing.T) chain {
			root := goCert(t, "ed root", k["ed"], nil, nil)
			inter := goCert(t, "inter", k["ec2"], root, nil)
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, []*x509.Certificate{inter.cert}, []*x509.Certificate{root.cert}}
		}, want: ErrUnsupported, stricter: true},
		{name: "Ed25519 root, intermediate not embedded", make: func(t *testing.T) chain {
			root := goCert(t, "ed root", k["ed"], nil, nil)
			inter := goCert(t, "inter", k["ec2"], root, nil)
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, nil, []*x509.Certificate{root.cert, inter.cert}}
		}},
		{name: "RSA root, SHA-384 and SHA-512 signatures, P-384 intermediate", make: func(t *testing.T) chain {
			root := goCert(t, "rsa root", k["rsa"], nil, nil)
			inter := goCert(t, "inter", k["p384"], root, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA384WithRSA })
			leaf := goCert(t, "leaf", k["ec3"], inter, func(c *x509.Certificate) { leafTmpl(c); c.SignatureAlgorithm = x509.ECDSAWithSHA512 })
			return chain{leaf, []*x509.Certificate{inter.cert}, []*x509.Certificate{root.cert}}
		}},
		{name: "two intermediates of one name, the first with the wrong key", make: func(t *testing.T) chain {
			root := goCert(t, "root", k["ec1"], nil, nil)
			wrong := goCert(t, "inter", k["ec4"], root, nil)
			inter := goCert(t, "inter", k["ec2"], root, nil)
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, []*x509.Certificate{wrong.cert, inter.cert}, []*x509.Certificate{root.cert}}
		}},
		{name: "intermediate signed by an untrusted key of the root's name", make: func(t *testing.T) chain {
			root := goCert(t, "root", k["ec1"], nil, nil)
			fake := goCert(t, "root", k["ec4"], nil, nil)
			inter := goCert(t, "inter", k["ec2"], fake, nil)
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, []*x509.Certificate{inter.cert}, []*x509.Certificate{root.cert}}
		}, want: ErrUntrusted},
		{name: "the leaf itself trusted, not a CA", make: func(t *testing.T) chain {
			root := goCert(t, "root", k["ec1"], nil, nil)
			leaf := goCert(t, "leaf", k["ec3"], root, leafTmpl)
			return chain{leaf, nil, []*x509.Certificate{leaf.cert}}
		}},
		{name: "three intermediates under a root of path length 1", make: func(t *testing.T) chain {
			root := goCert(t, "root", k["ec1"], nil, func(c *x509.Certificate) { c.MaxPathLen = 1 })
			i1 := goCert(t, "i1", k["ec2"], root, nil)
			i2 := goCert(t, "i2", k["ec4"], i1, nil)
			leaf := goCert(t, "leaf", k["ec3"], i2, leafTmpl)
			return chain{leaf, []*x509.Certificate{i2.cert, i1.cert}, []*x509.Certificate{root.cert}}
		}, want: ErrUntrusted},
		{name: "cross-signed intermediate: the trusted path found", make: func(t *testing.T) chain {
			old := goCert(t, "old root", k["ec4"], nil, nil)
			root := goCert(t, "root", k["ec1"], nil, nil)
			cross := goCert(t, "root", k["ec1"], old, nil) // root's key, issued by old root
			inter := goCert(t, "inter", k["ec2"], root, nil)
			leaf := goCert(t, "leaf", k["ec3"], inter, leafTmpl)
			return chain{leaf, []*x509.Certificate{inter.cert, cross.cert}, []*x509.Certificate{old.cert}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.make(t)
			der := librarySign(t, testRootHash, c.leaf, c.embedded...)
			if tc.stricter {
				s, err := Verify(der, testRootHash, trust(t, c.roots), tc.opts)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Verify = %+v, %v; want an error matching %v", s, err, tc.want)
				}
				if _, oerr := oracleVerify(der, testRootHash, c.roots, tc.opts); oerr != nil {
					t.Errorf("the oracle refuses too (%v): not a case where Verify is stricter", oerr)
				}
				return
			}
			s, err := verifyBoth(t, der, testRootHash, c.roots, tc.opts)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Verify: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Verify = %+v, %v; want an error matching %v", s, err, tc.want)
			}
		})
	}
}

func mustOID(t *testing.T, s string) x509.OID {
	t.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
