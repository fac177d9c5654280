package sig

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/verinit/verinit/pkg/veritysig"
)

var (
	at2030 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	at1990 = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	at2020 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

// verifyFailure is the text the library's CheckSignature gives for a bad
// signature, per key type.
var verifyFailure = map[keyType]string{
	rsaKey: "crypto/rsa: verification error",
	ecKey:  "ECDSA verification failure",
}

// TestVerifyAcceptsOpenSSL signs with openssl cms and smime, with and
// without signed attributes, by a self-signed signer and by a leaf under
// root → intermediate → leaf, and checks that Verify accepts each and names
// the signer.
func TestVerifyAcceptsOpenSSL(t *testing.T) {
	for _, k := range []keyType{rsaKey, ecKey} {
		p := testPKI(t, k)
		for _, tool := range []string{"cms", "smime"} {
			for _, attrs := range []bool{false, true} {
				for _, chain := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/attrs=%v/chain=%v", k, tool, attrs, chain)
					t.Run(name, func(t *testing.T) {
						var extra []string
						if !attrs {
							extra = append(extra, "-noattr")
						}
						signer, roots := p.root, []*x509.Certificate{p.root.cert}
						if chain {
							signer, roots = p.leaf, []*x509.Certificate{p.ca.cert}
							extra = append(extra, "-certfile", p.inter.certPath)
						}
						der := cmsSign(t, tool, signer, p.hashF, extra...)
						got, err := verifyBoth(t, der, testRootHash, roots, VerifyOptions{})
						if err != nil {
							t.Fatalf("Verify: %v", err)
						}
						want := &veritysig.Signer{
							Subject:           "CN=verinit test " + string(k) + map[bool]string{false: " root signer", true: " leaf"}[chain],
							FingerprintSHA256: fingerprint(signer.cert),
							Issuer:            signer.cert.Issuer.String(),
						}
						if *got != *want {
							t.Errorf("Verify = %+v, want %+v", got, want)
						}
						// The same signature, with the clock checked.
						if _, err := verifyBoth(t, der, testRootHash, roots, VerifyOptions{Now: at2030}); err != nil {
							t.Errorf("Verify with Now=2030: %v", err)
						}
					})
				}
			}
		}
	}
}

// verifyCase is one row of TestVerify. Its functions get the PKI of the key
// type under test.
type verifyCase struct {
	name    string
	sig     func(t *testing.T, p *pki) []byte
	hash    string                                     // root hash given to Verify; testRootHash if ""
	roots   func(p *pki) []*x509.Certificate           // trusted certificates; p.root if nil
	opts    VerifyOptions                              // validity rule
	wantErr error                                      // sentinel; nil for success
	wantMsg func(k keyType, p *pki, der []byte) string // exact error text, if wantErr is set
	signer  func(p *pki) *ident                        // the signer on success; p.root if nil
}

func signedBy(id func(p *pki) *ident, in func(p *pki) string, extra ...string) func(t *testing.T, p *pki) []byte {
	return func(t *testing.T, p *pki) []byte {
		return cmsSign(t, "cms", id(p), in(p), extra...)
	}
}

func rootOf(p *pki) *ident   { return p.root }
func rogueOf(p *pki) *ident  { return p.rogue }
func hashFile(p *pki) string { return p.hashF }

// desc is how error texts name a signer.
func desc(id *ident) string { return oracleDescribe(id.cert).String() }

func TestVerify(t *testing.T) {
	noattrSig := signedBy(rootOf, hashFile, "-noattr")
	cases := []verifyCase{
		{
			name: "ok/noattr",
			sig:  noattrSig,
		},
		{
			name: "ok/uppercase root hash is lower-cased",
			sig:  noattrSig,
			hash: strings.ToUpper(testRootHash),
		},
		{
			name: "ok/BER with indefinite lengths",
			sig: func(t *testing.T, p *pki) []byte {
				return indefinite(t, cmsSign(t, "cms", p.root, p.hashF, "-noattr"))
			},
		},
		{
			name: "ok/BER with indefinite lengths and signed attributes",
			sig:  func(t *testing.T, p *pki) []byte { return indefinite(t, cmsSign(t, "cms", p.root, p.hashF)) },
		},
		{
			name:    "openssl -stream embeds the content",
			sig:     signedBy(rootOf, hashFile, "-noattr", "-stream"),
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: signature embeds 64 bytes of content; a detached signature is required"
			},
		},
		{
			name: "ok/nocerts, signer is a trusted certificate",
			sig:  signedBy(rootOf, hashFile, "-noattr", "-nocerts"),
		},
		{
			name:  "ok/signer itself packed among other trusted certificates",
			sig:   noattrSig,
			roots: func(p *pki) []*x509.Certificate { return []*x509.Certificate{p.ca.cert, p.rogue.cert, p.root.cert} },
		},
		{
			name:    "untrusted key",
			sig:     signedBy(rogueOf, hashFile, "-noattr"),
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: not signed by a trusted key: signer " + desc(p.rogue) +
					` does not chain to a trusted certificate: certificate "verinit test ` + string(k) + ` rogue" is self-signed and not trusted`
			},
		},
		{
			name:    "untrusted key with signed attributes",
			sig:     signedBy(rogueOf, hashFile),
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: not signed by a trusted key: signer " + desc(p.rogue) +
					` does not chain to a trusted certificate: certificate "verinit test ` + string(k) + ` rogue" is self-signed and not trusted`
			},
		},
		{
			name: "untrusted chain: leaf under another root",
			sig: func(t *testing.T, p *pki) []byte {
				return cmsSign(t, "cms", p.leaf, p.hashF, "-noattr", "-certfile", p.inter.certPath)
			},
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: not signed by a trusted key: signer " + desc(p.leaf) +
					fmt.Sprintf(` does not chain to a trusted certificate: the issuer of certificate "verinit test %s intermediate" (key identifier %x) is neither embedded nor trusted`, k, p.inter.cert.AuthorityKeyId)
			},
		},
		{
			name:    "chain without its intermediate embedded",
			sig:     func(t *testing.T, p *pki) []byte { return cmsSign(t, "cms", p.leaf, p.hashF, "-noattr") },
			roots:   func(p *pki) []*x509.Certificate { return []*x509.Certificate{p.ca.cert} },
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: not signed by a trusted key: signer " + desc(p.leaf) +
					fmt.Sprintf(` does not chain to a trusted certificate: the issuer of certificate "verinit test %s leaf" (key identifier %x) is neither embedded nor trusted`, k, p.leaf.cert.AuthorityKeyId)
			},
		},
		{
			name:    "nocerts by an untrusted signer",
			sig:     signedBy(rogueOf, hashFile, "-noattr", "-nocerts"),
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: not signed by a trusted key: signer certificate (serial 0x%s, issuer %q) is neither embedded in the signature nor one of the 1 trusted certificates",
					p.rogue.cert.SerialNumber.Text(16), "CN=verinit test "+string(k)+" rogue")
			},
		},
		{
			name:    "no trusted certificates",
			sig:     noattrSig,
			roots:   func(p *pki) []*x509.Certificate { return nil },
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: not signed by a trusted key: signer " + desc(p.root) + " cannot chain to a trusted certificate: none was given"
			},
		},
		{
			name:    "signature over another hash, noattr",
			sig:     signedBy(rootOf, func(p *pki) string { return p.otherF }, "-noattr"),
			wantErr: ErrMismatch,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: signature does not match the root hash: signature does not verify over %q with the key of signer %s (signed another root hash, or corrupted): %s",
					testRootHash, desc(p.root), verifyFailure[k])
			},
		},
		{
			name:    "signature over another hash, signed attributes",
			sig:     signedBy(rootOf, func(p *pki) string { return p.otherF }),
			wantErr: ErrMismatch,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: signature does not match the root hash: signer %s signed another root hash, not %q (the signed message digest differs)",
					desc(p.root), testRootHash)
			},
		},
		{
			name:    "signature over the uppercase text",
			sig:     signedBy(rootOf, func(p *pki) string { return writeTemp(p, "upper.txt", strings.ToUpper(testRootHash)) }, "-noattr"),
			wantErr: ErrMismatch,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: signature does not match the root hash: signature does not verify over %q with the key of signer %s (signed another root hash, or corrupted): %s",
					testRootHash, desc(p.root), verifyFailure[k])
			},
		},
		{
			name:    "signature over the text with a newline (echo)",
			sig:     signedBy(rootOf, func(p *pki) string { return writeTemp(p, "echo.txt", testRootHash+"\n") }),
			wantErr: ErrMismatch,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: signature does not match the root hash: signer %s signed another root hash, not %q (the signed message digest differs)",
					desc(p.root), testRootHash)
			},
		},
		{
			name: "corrupted signature value",
			sig: func(t *testing.T, p *pki) []byte {
				der := cmsSign(t, "cms", p.root, p.hashF, "-noattr")
				der[len(der)-5] ^= 0x01 // inside the signature value, which ends the DER
				return der
			},
			wantErr: ErrMismatch,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: signature does not match the root hash: signature does not verify over %q with the key of signer %s (signed another root hash, or corrupted): %s",
					testRootHash, desc(p.root), verifyFailure[k])
			},
		},
		{
			name: "truncated DER",
			sig: func(t *testing.T, p *pki) []byte {
				der := cmsSign(t, "cms", p.root, p.hashF, "-noattr")
				return der[:len(der)-10]
			},
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				// 10 bytes cut; the outer SEQUENCE has a 4-byte header.
				return fmt.Sprintf("sig: malformed signature: truncated: element at byte 0 is %d bytes long, only %d follow", len(der)+10-4, len(der)-4)
			},
		},
		{
			name:    "truncated to the first byte",
			sig:     func(t *testing.T, p *pki) []byte { return cmsSign(t, "cms", p.root, p.hashF, "-noattr")[:1] },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: truncated: input ends inside the element at byte 0"
			},
		},
		{
			name:    "garbage text",
			sig:     func(t *testing.T, p *pki) []byte { return []byte("this is not a signature") },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: truncated: element at byte 0 is 104 bytes long, only 21 follow"
			},
		},
		{
			name:    "garbage: well-framed DER that is not PKCS#7 (a certificate)",
			sig:     func(t *testing.T, p *pki) []byte { return p.root.cert.Raw },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: not a PKCS#7 SignedData: malformed ContentInfo"
			},
		},
		{
			name:    "empty",
			sig:     func(t *testing.T, p *pki) []byte { return nil },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string { return "sig: malformed signature: signature is empty" },
		},
		{
			name:    "too large",
			sig:     func(t *testing.T, p *pki) []byte { return make([]byte, veritysig.MaxSignatureBytes+1) },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: signature is 65537 bytes, more than the limit of 65536"
			},
		},
		{
			name:    "trailing newline after the DER",
			sig:     func(t *testing.T, p *pki) []byte { return append(cmsSign(t, "cms", p.root, p.hashF, "-noattr"), '\n') },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: malformed signature: signature ends at byte %d but is followed by 1 more bytes", len(der)-1)
			},
		},
		{
			name:    "deep nesting",
			sig:     func(t *testing.T, p *pki) []byte { return nestedBER(1000) },
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: elements nest more than 32 levels deep at byte 64"
			},
		},
		{
			name:    "embedded content (not detached)",
			sig:     signedBy(rootOf, hashFile, "-noattr", "-nodetach"),
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: signature embeds 64 bytes of content; a detached signature is required"
			},
		},
		{
			name:    "signer identified by subject key identifier",
			sig:     signedBy(rootOf, hashFile, "-noattr", "-keyid"),
			wantErr: ErrMalformed,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: malformed signature: signature has no signer that can be read: its SignerInfos are empty or do not parse (a signer identified by subject key identifier, as openssl -keyid makes, is not supported)"
			},
		},
		{
			name:    "SHA-1",
			sig:     signedBy(rootOf, hashFile, "-noattr", "-md", "sha1"),
			wantErr: ErrUnsupported,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: unsupported signature: digest algorithm SHA-1 is refused; sign with SHA-256 or stronger"
			},
		},
		{
			name: "SHA-512 is accepted",
			sig:  signedBy(rootOf, hashFile, "-md", "sha512"),
		},
		{
			name: "two signers",
			sig: func(t *testing.T, p *pki) []byte {
				return cmsSign(t, "cms", p.root, p.hashF, "-noattr", "-signer", p.rogue.certPath, "-inkey", p.rogue.keyPath)
			},
			wantErr: ErrUnsupported,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return "sig: unsupported signature: signature has 2 signers, want exactly 1"
			},
		},
		{
			name: "validity enforced, clock plausible, certificates valid",
			sig:  noattrSig,
			opts: VerifyOptions{Now: at2030, MinPlausibleTime: at2020},
		},
		{
			name:    "validity enforced, clock before NotBefore",
			sig:     noattrSig,
			opts:    VerifyOptions{Now: at1990},
			wantErr: ErrUntrusted,
			wantMsg: func(k keyType, p *pki, der []byte) string {
				return fmt.Sprintf("sig: not signed by a trusted key: signer %s does not chain to a trusted certificate at 1990-01-01T00:00:00Z: certificate %q is not valid yet: current time 1990-01-01T00:00:00Z is before %s",
					desc(p.root), p.root.cert.Subject.CommonName, p.root.cert.NotBefore.UTC().Format(time.RFC3339))
			},
		},
		{
			name: "validity ignored, clock implausible (before MinPlausibleTime)",
			sig:  noattrSig,
			opts: VerifyOptions{Now: at1990, MinPlausibleTime: at2020},
		},
	}
	for _, k := range []keyType{rsaKey, ecKey} {
		p := testPKI(t, k)
		for _, tc := range cases {
			t.Run(string(k)+"/"+tc.name, func(t *testing.T) {
				runVerifyCase(t, k, p, tc)
			})
		}
	}
}

func runVerifyCase(t *testing.T, k keyType, p *pki, tc verifyCase) {
	t.Helper()
	der := tc.sig(t, p)
	hash := tc.hash
	if hash == "" {
		hash = testRootHash
	}
	roots := []*x509.Certificate{p.root.cert}
	if tc.roots != nil {
		roots = tc.roots(p)
	}
	got, err := verifyBoth(t, der, hash, roots, tc.opts)
	if tc.wantErr == nil {
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		id := p.root
		if tc.signer != nil {
			id = tc.signer(p)
		}
		if want := oracleDescribe(id.cert); *got != *want {
			t.Errorf("Verify = %+v, want %+v", got, want)
		}
		return
	}
	if err == nil {
		t.Fatalf("Verify = %+v, want an error matching %v", got, tc.wantErr)
	}
	if got != nil {
		t.Errorf("Verify returned signer %+v with its error", got)
	}
	if !errors.Is(err, tc.wantErr) {
		t.Errorf("Verify error %q does not match %v", err, tc.wantErr)
	}
	if want := tc.wantMsg(k, p, der); err.Error() != want {
		t.Errorf("Verify error\n got: %s\nwant: %s", err, want)
	}
	if strings.ContainsAny(err.Error(), "\n\t") {
		t.Errorf("Verify error is not one line: %q", err)
	}
}

// indefinite re-encodes the outer ContentInfo SEQUENCE and its [0] of a DER
// signature with BER indefinite lengths, as streaming encoders write them.
func indefinite(t *testing.T, der []byte) []byte {
	t.Helper()
	// 30 82 LL LL | 06 09 <signedData OID> | a0 82 LL LL | SignedData
	if len(der) < 19 || der[0] != 0x30 || der[1] != 0x82 || der[4] != 0x06 || der[5] != 0x09 || der[15] != 0xa0 || der[16] != 0x82 {
		t.Fatalf("unexpected DER header % x", der[:min(len(der), 19)])
	}
	b := []byte{0x30, 0x80}
	b = append(b, der[4:15]...)
	b = append(b, 0xa0, 0x80)
	b = append(b, der[19:]...)
	return append(b, 0, 0, 0, 0)
}

// writeTemp writes s to a file in p's directory and returns its path.
func writeTemp(p *pki, name, s string) string {
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		panic(err)
	}
	return f
}

// nestedBER returns n nested indefinite-length SEQUENCEs around an empty
// OCTET STRING.
func nestedBER(n int) []byte {
	b := bytes.Repeat([]byte{0x30, 0x80}, n)
	b = append(b, 0x04, 0x00)
	return append(b, make([]byte, 2*n)...)
}

// TestVerifyValidity covers the expiry rule with certificates openssl 3.0
// cannot make (validity in the past), made with Go under the openssl root.
func TestVerifyValidity(t *testing.T) {
	for _, k := range []keyType{rsaKey, ecKey} {
		p := testPKI(t, k)
		dir := t.TempDir()
		y := func(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
		expired := goIssued(t, dir, "expired", "expired signer", false, y(2001), y(2002), p.root)
		oldInter := goIssued(t, dir, "oldinter", "old intermediate", true, y(2000), y(2001), p.root)
		late := goIssued(t, dir, "late", "late leaf", false, y(2020), y(2040), oldInter)
		notCA := goIssued(t, dir, "notca", "not a CA", false, y(2020), y(2040), p.root)
		underNotCA := goIssued(t, dir, "undernotca", "leaf under a non-CA", false, y(2020), y(2040), notCA)
		roots := []*x509.Certificate{p.root.cert}
		hashF := p.hashF

		expiredNoattr := cmsSign(t, "cms", expired, hashF, "-noattr")
		expiredAttrs := cmsSign(t, "cms", expired, hashF)
		lateSig := cmsSign(t, "cms", late, hashF, "-noattr", "-certfile", oldInter.certPath)
		notCASig := cmsSign(t, "cms", underNotCA, hashF, "-noattr", "-certfile", notCA.certPath)

		var signingTime time.Time
		p7, err := pkcs7.Parse(expiredAttrs)
		if err != nil {
			t.Fatal(err)
		}
		if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &signingTime); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name   string
			der    []byte
			signer *ident
			opts   VerifyOptions
			want   string // "" for success
		}{
			{"expired/default ignores validity", expiredNoattr, expired, VerifyOptions{}, ""},
			{"expired/clock 2030 enforced", expiredNoattr, expired, VerifyOptions{Now: at2030},
				"sig: not signed by a trusted key: signer " + desc(expired) + ` does not chain to a trusted certificate at 2030-01-01T00:00:00Z: certificate "expired signer" has expired: current time 2030-01-01T00:00:00Z is after 2002-01-01T00:00:00Z`},
			{"expired/clock 2030 plausible", expiredNoattr, expired, VerifyOptions{Now: at2030, MinPlausibleTime: at2020},
				"sig: not signed by a trusted key: signer " + desc(expired) + ` does not chain to a trusted certificate at 2030-01-01T00:00:00Z: certificate "expired signer" has expired: current time 2030-01-01T00:00:00Z is after 2002-01-01T00:00:00Z`},
			{"expired/clock 1990 implausible", expiredNoattr, expired, VerifyOptions{Now: at1990, MinPlausibleTime: at2020}, ""},
			{"expired/signed at a time outside the validity", expiredAttrs, expired, VerifyOptions{},
				"sig: not signed by a trusted key: signer " + desc(expired) + " signed at " + signingTime.UTC().Format(time.RFC3339) + ", outside its certificate's validity 2001-01-01T00:00:00Z to 2002-01-01T00:00:00Z"},
			{"validity ignored, basic constraints still checked", notCASig, underNotCA, VerifyOptions{},
				"sig: not signed by a trusted key: signer " + desc(underNotCA) + ` does not chain to a trusted certificate: intermediate "not a CA" is not a CA`},
			{"chain whose validity periods never overlap/default", lateSig, late, VerifyOptions{}, ""},
			{"chain whose validity periods never overlap/clock 2030", lateSig, late, VerifyOptions{Now: at2030},
				"sig: not signed by a trusted key: signer " + desc(late) + ` does not chain to a trusted certificate at 2030-01-01T00:00:00Z: certificate "old intermediate" has expired: current time 2030-01-01T00:00:00Z is after 2001-01-01T00:00:00Z`},
		}
		for _, tc := range cases {
			t.Run(string(k)+"/"+tc.name, func(t *testing.T) {
				s, err := verifyBoth(t, tc.der, testRootHash, roots, tc.opts)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if want := oracleDescribe(tc.signer.cert); *s != *want {
						t.Errorf("Verify = %+v, want %+v", s, want)
					}
					return
				}
				if err == nil || err.Error() != tc.want {
					t.Fatalf("Verify error\n got: %v\nwant: %s", err, tc.want)
				}
				if !errors.Is(err, ErrUntrusted) {
					t.Errorf("error does not match ErrUntrusted")
				}
			})
		}
	}
}

func TestVerifyOptionsChecksValidity(t *testing.T) {
	for _, tc := range []struct {
		opts VerifyOptions
		want bool
	}{
		{VerifyOptions{}, false},
		{VerifyOptions{MinPlausibleTime: at2020}, false},
		{VerifyOptions{Now: at1990}, true},
		{VerifyOptions{Now: at1990, MinPlausibleTime: at2020}, false},
		{VerifyOptions{Now: at2020, MinPlausibleTime: at2020}, true},
		{VerifyOptions{Now: at2030, MinPlausibleTime: at2020}, true},
	} {
		if got := tc.opts.ChecksValidity(); got != tc.want {
			t.Errorf("%+v.ChecksValidity() = %v, want %v", tc.opts, got, tc.want)
		}
	}
}

func TestVerifyBadArguments(t *testing.T) {
	p := testPKI(t, ecKey)
	der := cmsSign(t, "cms", p.root, p.hashF, "-noattr")
	for _, tc := range []struct {
		name, hash string
		roots      []*x509.Certificate
		want       string
	}{
		{"empty root hash", "", []*x509.Certificate{p.root.cert}, "veritysig: root hash is empty"},
		{"odd length", "abc", []*x509.Certificate{p.root.cert}, "veritysig: root hash has 3 hex digits, want an even number from 2 to 128"},
		{"too long", strings.Repeat("ab", 65), []*x509.Certificate{p.root.cert}, "veritysig: root hash has 130 hex digits, want an even number from 2 to 128"},
		{"not hex", "abzz", []*x509.Certificate{p.root.cert}, `veritysig: root hash "abzz" is not hex (byte 2)`},
		{"nil root", testRootHash, []*x509.Certificate{p.root.cert, nil}, "sig: trusted certificate 1 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyBoth(t, der, tc.hash, tc.roots, VerifyOptions{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Verify error = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestParseCertificates(t *testing.T) {
	p := testPKI(t, ecKey)
	rootPEM, _ := os.ReadFile(p.root.certPath)
	caPEM, _ := os.ReadFile(p.ca.certPath)
	keyPEM, _ := os.ReadFile(p.root.keyPath)
	for _, tc := range []struct {
		name string
		in   []byte
		want []*x509.Certificate
		err  string
	}{
		{"one", rootPEM, []*x509.Certificate{p.root.cert}, ""},
		{"two with text around", append(append([]byte("subject=CN=root\n"), rootPEM...), append([]byte("# CA\n"), caPEM...)...),
			[]*x509.Certificate{p.root.cert, p.ca.cert}, ""},
		{"private key packed by mistake", append(append([]byte{}, rootPEM...), keyPEM...), nil,
			`sig: PEM block 2 is a "PRIVATE KEY", want only CERTIFICATE blocks`},
		{"empty", nil, nil, "sig: no PEM CERTIFICATE block found"},
		{"DER, not PEM", p.root.cert.Raw, nil, "sig: no PEM CERTIFICATE block found"},
		{"bad certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), nil,
			"sig: PEM certificate 1: certificate: malformed certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCertificates(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseCertificates error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d certificates, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !bytes.Equal(got[i].Raw, tc.want[i].Raw) || got[i].Subject != tc.want[i].Subject.String() {
					t.Errorf("certificate %d differs", i)
				}
			}
		})
	}
}
