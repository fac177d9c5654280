package sig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// checkLikeX509 fails the test if ParseCertificate and crypto/x509 both
// read der but disagree on what Verify and the init's log use: the names
// as strings, the serial number, the validity, the key, the constraints.
func checkLikeX509(t *testing.T, der []byte) {
	t.Helper()
	c, err := ParseCertificate(der)
	x, xerr := x509.ParseCertificate(der)
	if err != nil || xerr != nil {
		if err == nil && c.version == 3 && xerr != nil && !strings.Contains(xerr.Error(), "trailing data") {
			// Accepting what crypto/x509 refuses is only allowed where
			// doc.go says this parser reads less (SAN contents,
			// policies, name constraints, CRL points).
			t.Logf("ParseCertificate accepts what crypto/x509 refuses: %v", xerr)
		}
		return
	}
	if c.Subject != x.Subject.String() || c.Issuer != x.Issuer.String() {
		t.Fatalf("names %q / %q, crypto/x509 %q / %q", c.Subject, c.Issuer, x.Subject, x.Issuer)
	}
	if new(big.Int).SetBytes(c.serial).Cmp(x.SerialNumber) != 0 || !c.notBefore.Equal(x.NotBefore) || !c.notAfter.Equal(x.NotAfter) {
		t.Fatalf("serial or validity differ from crypto/x509's")
	}
	if !bytes.Equal(c.rawSubject, x.RawSubject) || !bytes.Equal(c.rawIssuer, x.RawIssuer) || !bytes.Equal(c.rawTBS, x.RawTBSCertificate) || !bytes.Equal(c.signature, x.Signature) {
		t.Fatalf("raw fields differ from crypto/x509's")
	}
	if c.basicConstraints != x.BasicConstraintsValid || c.isCA != x.IsCA || c.maxPathLen != x.MaxPathLen && !(x.MaxPathLen == 0 && !x.MaxPathLenZero && c.maxPathLen == -1) ||
		c.keyUsage != int(x.KeyUsage) || !bytes.Equal(c.subjectKeyID, x.SubjectKeyId) || !bytes.Equal(c.authorityKeyID, x.AuthorityKeyId) {
		t.Fatalf("constraints differ from crypto/x509's: %+v", c)
	}
	if c.unhandled != (len(x.UnhandledCriticalExtensions) > 0) {
		t.Fatalf("unhandled critical extensions: %v, crypto/x509 %v", c.unhandled, x.UnhandledCriticalExtensions)
	}
	switch k := x.PublicKey.(type) {
	case interface{ Equal(any) bool }:
		var mine any
		switch {
		case c.rsaKey != nil:
			mine = c.rsaKey
		case c.ecKey != nil:
			mine = c.ecKey
		}
		if (c.rsaKey != nil || c.ecKey != nil) && !k.Equal(mine) {
			t.Fatal("public key differs from crypto/x509's")
		}
	}
}

// TestNames checks that names print exactly as crypto/x509/pkix prints
// them: multi-valued RDNs, repeated attributes, attribute types without a
// label (printed as hex DER), escaping, and the string types.
func TestNames(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	oidEmail := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidUID := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	for _, n := range []pkix.Name{
		{CommonName: "plain"},
		{CommonName: " leading and trailing ", Organization: []string{"a,b", "c+d"}, Country: []string{"DE"}},
		{CommonName: "#hash;<>\"\\", OrganizationalUnit: []string{"é ü UTF-8"}, Province: []string{"ST"}, Locality: []string{"L"},
			StreetAddress: []string{"S"}, PostalCode: []string{"12345"}, SerialNumber: "42"},
		{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidEmail, Value: "a@example.org"}, {Type: oidUID, Value: "ü"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "cn via extra"}}},
		{Organization: []string{"only O"}},
	} {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: n, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		checkLikeX509(t, der)
		c, err := ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if c.hintName == "" {
			t.Errorf("%q: no name for errors", c.Subject)
		}
	}
	// Multi-valued RDNs, T61String and BMPString values, repeated CNs:
	// crafted as DER, since crypto/x509 does not write them.
	atv := func(arc byte, tag byte, v []byte) []byte {
		b := append([]byte{0x06, 0x03, 0x55, 0x04, arc, tag, byte(len(v))}, v...)
		return append([]byte{0x30, byte(len(b))}, b...)
	}
	set := func(atvs ...[]byte) []byte {
		b := bytes.Join(atvs, nil)
		return append([]byte{0x31, byte(len(b))}, b...)
	}
	rdns := bytes.Join([][]byte{
		set(atv(10, 0x14, []byte("T61 \xe9")), atv(11, 0x1e, []byte{0, 'B', 0, 'M', 0x00, 0xfc})),
		set(atv(3, 0x0c, []byte("first CN"))),
		set(atv(3, 0x13, []byte("last CN"))),
		set(atv(42, 0x16, []byte("unknown type"))),
	}, nil)
	raw := append([]byte{0x30, byte(len(rdns))}, rdns...)
	var rdnSeq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdnSeq); err != nil {
		t.Fatal(err)
	}
	var want pkix.Name
	want.FillFromRDNSequence(&rdnSeq)
	n, err := parseName(raw)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/asn1 reads the T61String as bytes, crypto/x509 as Latin-1:
	// the certificate path is what the init uses.
	if got, w := n.String(), strings.Replace(want.String(), "T61 \xe9", "T61 é", 1); got != w {
		t.Errorf("name = %q, want %q", got, w)
	}
}

// FuzzParseCertificate checks that the certificate parser never panics
// and that, where crypto/x509 reads the same certificate, both read the
// same names, serial, validity, key and constraints. Seeds: the trusted
// certificates of testdata/fuzz-roots.pem and the certificates embedded in
// the FuzzVerify seeds.
func FuzzParseCertificate(f *testing.F) {
	for _, c := range fuzzRoots(f) {
		f.Add(c.Raw)
	}
	for _, der := range readCorpus(f, "FuzzVerify") {
		if d, err := toDER(der); err == nil {
			if sd, err := parseSignedData(d); err == nil {
				for _, c := range sd.certs {
					f.Add(c.Raw)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCertificate(der)
		if err != nil {
			if c != nil || strings.ContainsAny(err.Error(), "\n\r\t") {
				t.Fatalf("ParseCertificate = %v, %q", c, err)
			}
			return
		}
		checkLikeX509(t, der)
	})
}

// TestValidOID checks the OBJECT IDENTIFIER rule against encoding/asn1,
// which the oracle uses for the unsigned parts of a signature.
func TestValidOID(t *testing.T) {
	for _, content := range [][]byte{
		{}, {0x2a}, {0x2a, 0x86}, {0x2a, 0x80, 0x01}, {0x2a, 0x86, 0x48},
		{0x87, 0xff, 0xff, 0xff, 0x7f}, {0x88, 0x80, 0x80, 0x80, 0x00}, {0x2a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x01},
		{0x2a, 0x8f, 0xff, 0xff, 0xff, 0x7f}, {0x2a, 0x87, 0xff, 0xff, 0xff, 0x7f},
	} {
		der := append([]byte{0x06, byte(len(content))}, content...)
		var oid asn1.ObjectIdentifier
		_, err := asn1.Unmarshal(der, &oid)
		if got := validOID(content); got != (err == nil) {
			t.Errorf("validOID(% x) = %v, encoding/asn1 says %v", content, got, err)
		}
	}
}

// rsaSPKI encodes an RSA SubjectPublicKeyInfo with the given modulus and
// exponent content octets.
func rsaSPKI(n, e []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidKeyRSA) })
			b.AddASN1NULL()
		})
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(n) })
				b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(e) })
			})
		})
	})
	return b.BytesOrPanic()
}

// TestRSAKeyBounds checks the RSA key bounds ParseCertificate applies: a
// modulus of at most 16384 bits, an odd exponent from 3 to 2^31-1, each
// refused in one line naming the certificate and the size.
func TestRSAKeyBounds(t *testing.T) {
	modulus := func(bits int) []byte {
		b := make([]byte, 1+(bits+7)/8)
		b[1] = byte(1 << ((bits - 1) % 8)) // top bit, after a 0 sign byte
		b[len(b)-1] |= 1
		if b[1]&0x80 == 0 {
			b = b[1:]
		}
		return b
	}
	exp := func(v uint64) []byte {
		b := new(big.Int).SetUint64(v).Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		n, e []byte
		err  string // "" for accepted
	}{
		{"2048 bits, 65537", modulus(2048), exp(65537), ""},
		{"16384 bits", modulus(16384), exp(65537), ""},
		{"16385 bits", modulus(16385), exp(65537), `certificate "CN=k" has an RSA modulus of 16385 bits, more than the limit of 16384`},
		{"40000 bits", modulus(40000), exp(65537), `certificate "CN=k" has an RSA modulus of 40000 bits, more than the limit of 16384`},
		{"exponent 3", modulus(2048), exp(3), ""},
		{"exponent 2^31-1", modulus(2048), exp(1<<31 - 1), ""},
		{"exponent 1", modulus(2048), exp(1), `certificate "CN=k" has the RSA public exponent 1, want an odd number from 3 to 2^31-1`},
		{"exponent 65536", modulus(2048), exp(65536), `certificate "CN=k" has the RSA public exponent 65536, want an odd number from 3 to 2^31-1`},
		{"exponent 2^31+1", modulus(2048), exp(1<<31 + 1), `certificate "CN=k" has an RSA public exponent of 32 bits, more than the limit of 31 (2^31-1, as crypto/rsa)`},
		{"exponent 2^64-1", modulus(2048), exp(1<<64 - 1), `certificate "CN=k" has an RSA public exponent of 64 bits, more than the limit of 31 (2^31-1, as crypto/rsa)`},
		{"exponent 0", modulus(2048), []byte{0}, `certificate "CN=k" has the RSA public exponent 0, want an odd number from 3 to 2^31-1`},
		{"negative exponent", modulus(2048), []byte{0xff}, "RSA modulus or exponent is not positive"},
		{"zero modulus", []byte{0}, exp(65537), "RSA modulus or exponent is not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Certificate{Subject: "CN=k", rawSPKI: rsaSPKI(tc.n, tc.e)}
			err := c.parseSPKI()
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("parseSPKI: %v", err)
			case tc.err == "" && (c.rsaKey.N.Cmp(new(big.Int).SetBytes(tc.n)) != 0 || big.NewInt(int64(c.rsaKey.E)).Cmp(new(big.Int).SetBytes(tc.e)) != 0):
				t.Errorf("key %d bits, exponent %d", c.rsaKey.N.BitLen(), c.rsaKey.E)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Fatalf("parseSPKI = %v, want %s", err, tc.err)
			}
		})
	}
}
