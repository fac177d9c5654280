package sig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// kernelCase is one row of the differential corpus: a signature variant,
// the verdict Linux 6.1's verify_pkcs7_signature gives it (dm-verity's
// check with VERIFYING_UNSPECIFIED_SIGNATURE, the trusted certificates as
// its keyring), and the kernel rule that decides it.
type kernelCase struct {
	name   string
	accept bool   // the kernel's verdict
	rule   string // file: function that decides it
	// stricter, when set, says why Verify refuses though the kernel
	// accepts; initOnly why Verify accepts though the kernel refuses
	// (support for signatures the init checks alone). Both are listed in
	// doc.go.
	stricter, initOnly string
	// why is a part of Verify's error when it refuses.
	why  string
	make func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate)
	// seed names the FuzzVerify seed TestWriteRefusedSeeds writes of the
	// row (refused before any trusted certificate is looked at), or "".
	seed string
}

// kernelEnv holds the keys and certificates the rows share.
type kernelEnv struct {
	rsa, ec *pki
	keys    map[string]crypto.Signer
}

// TestKernelAgreement holds Verify's verdict to the kernel's on every
// row of kernelCorpus: equal, or different in the documented direction.
func TestKernelAgreement(t *testing.T) {
	e := &kernelEnv{rsa: testPKI(t, rsaKey), ec: testPKI(t, ecKey), keys: testKeys(t)}
	for _, tc := range kernelCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rule == "" || tc.stricter != "" && !tc.accept || tc.initOnly != "" && tc.accept {
				t.Fatalf("row is inconsistent: rule %q, kernel accepts %v, stricter %q, initOnly %q", tc.rule, tc.accept, tc.stricter, tc.initOnly)
			}
			der, roots := tc.make(t, e)
			s, err := Verify(der, testRootHash, trust(t, roots), VerifyOptions{})
			want := tc.accept
			switch {
			case tc.stricter != "":
				want = false
			case tc.initOnly != "":
				want = true
			}
			if got := err == nil; got != want {
				t.Fatalf("Verify = %+v, %v; the kernel %s (%s)%s", s, err, verdict(tc.accept), tc.rule, note(tc))
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUntrusted) {
					t.Errorf("error matches no sentinel: %v", err)
				}
				if tc.why == "" || !strings.Contains(err.Error(), tc.why) {
					t.Errorf("Verify refuses for another reason than %q: %v", tc.why, err)
				}
			} else if tc.why != "" {
				t.Errorf("row has a reason for refusing, %q, but Verify accepts", tc.why)
			}
		})
	}
}

func verdict(accept bool) string {
	if accept {
		return "accepts"
	}
	return "refuses"
}

func note(tc kernelCase) string {
	switch {
	case tc.stricter != "":
		return "; Verify refuses on purpose: " + tc.stricter
	case tc.initOnly != "":
		return "; Verify accepts on purpose: " + tc.initOnly
	}
	return ""
}

// now is a signing time within every test certificate's validity: the
// openssl ones begin when the tests make them, the Go ones in 2020.
var now = time.Now().Add(24 * time.Hour)

// Object identifiers for the rows.
var (
	oidECDSASHA256 = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	oidRSASHA256   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}
	oidUnknownAttr = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01} // 1.3.6.1.4.1.99999.1
)

// goRoot makes a self-signed CA for key k; goLeaf a leaf under parent.
func goRoot(t *testing.T, cn string, k crypto.Signer, edit func(*x509.Certificate)) *ident {
	return goCert(t, cn, k, nil, edit)
}

func goLeaf(t *testing.T, cn string, k crypto.Signer, parent *ident, edit func(*x509.Certificate)) *ident {
	return goCert(t, cn, k, parent, func(c *x509.Certificate) {
		leafTmpl(c)
		if edit != nil {
			edit(c)
		}
	})
}

func certs(ids ...*ident) []*x509.Certificate {
	var out []*x509.Certificate
	for _, id := range ids {
		out = append(out, id.cert)
	}
	return out
}

func raws(ids ...*ident) [][]byte {
	var out [][]byte
	for _, id := range ids {
		out = append(out, id.cert.Raw)
	}
	return out
}

// withAttrs signs the standard signed attributes plus extra, in DER order.
func withAttrs(extra ...[]byte) [][]byte {
	a := append(stdAttrs(testRootHash, hashOf(oidSHA256), now), extra...)
	sortDER(a)
	return a
}

// rootSigned returns a builder row: spec signed by the openssl RSA root
// signer, trusted.
func rootSigned(edit func(*cmsSpec)) func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
	return func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
		spec := cmsSpec{signer: e.rsa.root}
		if edit != nil {
			edit(&spec)
		}
		return buildCMS(t, spec), certs(e.rsa.root)
	}
}

// kernelCorpus is the differential corpus.
func kernelCorpus() []kernelCase {
	opensslRow := func(k keyType, chain bool, extra ...string) func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
		return func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
			p := e.rsa
			if k == ecKey {
				p = e.ec
			}
			if chain {
				return cmsSignWithCaps(t, "cms", p.leaf, p.hashF, append(extra, "-certfile", p.inter.certPath)...), certs(p.ca)
			}
			return cmsSignWithCaps(t, "cms", p.root, p.hashF, extra...), certs(p.root)
		}
	}
	return []kernelCase{
		// What the tools make.
		{name: "openssl -noattr, RSA", accept: true, rule: "pkcs7_verify.c: pkcs7_verify_one", make: opensslRow(rsaKey, false, "-noattr")},
		{name: "openssl -noattr, ECDSA", accept: true, rule: "pkcs7_verify.c: pkcs7_verify_one", make: opensslRow(ecKey, false, "-noattr")},
		{name: "openssl -nosmimecap, signed attributes", accept: true, rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr", make: opensslRow(rsaKey, false, "-nosmimecap")},
		{name: "openssl -noattr, chain through an embedded intermediate", accept: true, rule: "pkcs7_trust.c: pkcs7_validate_trust_one", make: opensslRow(ecKey, true, "-noattr")},
		{name: "openssl -nosmimecap -md sha384, chain", accept: true, rule: "pkcs7_verify.c: pkcs7_digest", make: opensslRow(rsaKey, true, "-nosmimecap", "-md", "sha384")},
		{name: "openssl -noattr -nocerts, signer trusted", accept: true, rule: "pkcs7_trust.c: pkcs7_validate_trust_one (last resort: the signer's issuer and serial number)",
			make: opensslRow(ecKey, false, "-noattr", "-nocerts")},
		{name: "openssl default signed attributes: S/MIME capabilities", why: "S/MIME capabilities", seed: "refused-openssl-smimecap", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (OID_smimeCapabilites outside Authenticode)",
			make: opensslRow(rsaKey, false)},
		{name: "openssl -nodetach: embedded content", why: "embeds 64 bytes of content", rule: "pkcs7_verify.c: pkcs7_supply_detached_data", make: opensslRow(ecKey, false, "-noattr", "-nodetach")},
		{name: "openssl -keyid: signer by subject key identifier", why: "no signer that can be read", accept: true, rule: "pkcs7_parser.c: pkcs7_note_signerinfo_version (version 3, skid)",
			stricter: "only signers identified by issuer and serial number are read", make: opensslRow(ecKey, false, "-noattr", "-keyid")},
		{name: "openssl -md sha1", why: "SHA-1 is refused", accept: true, rule: "pkcs7_parser.c: pkcs7_sig_note_digest_algo (sha1)",
			stricter: "SHA-1 is refused", make: opensslRow(rsaKey, false, "-noattr", "-md", "sha1")},
		{name: "smallstep/pkcs7 as verinit sign makes it", accept: true, rule: "pkcs7_verify.c: pkcs7_verify_one",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				return librarySign(t, testRootHash, e.ec.leaf, e.ec.inter.cert), certs(e.ec.ca)
			}},
		{name: "BER with indefinite lengths", accept: true, rule: "lib/asn1_decoder.c: asn1_ber_decoder",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				return indefinite(t, cmsSign(t, "cms", e.ec.root, e.ec.hashF)), certs(e.ec.root)
			}},

		// The encapsulated content.
		{name: "built: no attributes", accept: true, rule: "pkcs7_verify.c: pkcs7_digest", make: rootSigned(nil)},
		{name: "built: empty embedded content", why: "embeds an empty content", seed: "refused-empty-content", rule: "pkcs7_verify.c: pkcs7_supply_detached_data (\"Data already supplied\")",
			make: rootSigned(func(s *cmsSpec) { s.eContent = []byte{} })},
		{name: "built: embedded content, the root hash", why: "embeds 64 bytes of content", seed: "refused-content", rule: "pkcs7_verify.c: pkcs7_supply_detached_data",
			make: rootSigned(func(s *cmsSpec) { s.eContent = []byte(testRootHash) })},
		{name: "built: eContentType id-signedData", why: "encapsulated content type is 1.2.840.113549.1.7.2", seed: "refused-econtenttype-signeddata", rule: "pkcs7_parser.c: pkcs7_note_content (\"Unsupported data type\")",
			make: rootSigned(func(s *cmsSpec) { s.eType = oidSigned })},
		{name: "built: eContentType Authenticode indirect data", why: "encapsulated content type is 1.3.6.1.4.1.311.2.1.4", rule: "pkcs7_verify.c: pkcs7_verify (VERIFYING_UNSPECIFIED_SIGNATURE: not pkcs7-data)",
			make: rootSigned(func(s *cmsSpec) { s.eType = oidIndirectData })},

		// Versions and algorithms.
		{name: "built: SignedData version 3, SignerInfo 1", why: "SignedData version 3", seed: "refused-signeddata-v3", rule: "pkcs7_parser.c: pkcs7_note_signerinfo_version (version mismatch)",
			make: rootSigned(func(s *cmsSpec) { s.sdVersion = 3 })},
		{name: "built: SignedData version 2", why: "SignedData version 2", rule: "pkcs7_parser.c: pkcs7_note_signeddata_version",
			make: rootSigned(func(s *cmsSpec) { s.sdVersion = 2 })},
		{name: "built: SignedData and SignerInfo version 3, issuer and serial number", why: "SignedData version 3", rule: "pkcs7_trust.c: pkcs7_validate_trust_one (a skid is expected; none found: -ENOKEY)",
			make: rootSigned(func(s *cmsSpec) { s.sdVersion, s.siVersion = 3, 3 })},
		{name: "built: sha256WithRSAEncryption signature algorithm", why: "reads only rsaEncryption", seed: "refused-sha256withrsa", rule: "pkcs7_parser.c: pkcs7_sig_note_pkey_algo (only rsaEncryption)",
			make: rootSigned(func(s *cmsSpec) { s.sigAlg = oidRSASHA256 })},
		{name: "built: ecdsa-with-SHA256, SHA-384 digest, signed over SHA-256", why: "names another digest", rule: "pkcs7_verify.c: pkcs7_digest (hashes with the digest algorithm)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				spec := cmsSpec{signer: e.ec.root, digest: oidSHA384, sigAlg: oidECDSASHA256}
				der := buildCMSHash(t, spec, oidSHA256)
				return der, certs(e.ec.root)
			}},
		{name: "built: ecdsa-with-SHA256, SHA-384 digest, signed over SHA-384", why: "names another digest", accept: true, rule: "pkcs7_verify.c: pkcs7_digest (hashes with the digest algorithm)",
			stricter: "the ECDSA identifier must name the digest algorithm",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				return buildCMS(t, cmsSpec{signer: e.ec.root, digest: oidSHA384, sigAlg: oidECDSASHA256}), certs(e.ec.root)
			}},
		{name: "built: two signers", why: "2 signers", accept: true, rule: "pkcs7_verify.c: pkcs7_verify (every signer verifies, one is trusted)",
			stricter: "exactly one signer",
			make:     rootSigned(func(s *cmsSpec) { s.signer2 = s.signer })},

		// Signed attributes.
		{name: "built: with attributes", accept: true, rule: "pkcs7_parser.c: pkcs7_sig_note_set_of_authattrs",
			make: rootSigned(func(s *cmsSpec) { s.attrs = withAttrs() })},
		{name: "built: attributes present but empty", why: "lack content-type or message-digest", seed: "refused-attrs-empty", rule: "pkcs7_parser.c: pkcs7_sig_note_set_of_authattrs (\"Missing required AuthAttr\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = [][]byte{} })},
		{name: "built: missing messageDigest", why: "lack content-type or message-digest", seed: "refused-attrs-no-messagedigest", rule: "pkcs7_parser.c: pkcs7_sig_note_set_of_authattrs (\"Missing required AuthAttr\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = dropAttr(withAttrs(), oidMD) })},
		{name: "built: missing content type", why: "lack content-type or message-digest", rule: "pkcs7_parser.c: pkcs7_sig_note_set_of_authattrs (\"Missing required AuthAttr\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = dropAttr(withAttrs(), oidCT) })},
		{name: "built: content-type attribute id-signedData", why: "signed content type is 1.2.840.113549.1.7.2", seed: "refused-attrs-contenttype-signeddata", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (mismatch with the global data type)",
			make: rootSigned(func(s *cmsSpec) {
				s.attrs = append(dropAttr(withAttrs(), oidCT), attr(oidCT, tlv(cbasn1.OBJECT_IDENTIFIER, oidSigned)))
				sortDER(s.attrs)
			})},
		{name: "built: content type id-signedData as attribute and eContentType", why: "encapsulated content type is 1.2.840.113549.1.7.2", rule: "pkcs7_parser.c: pkcs7_note_content",
			make: rootSigned(func(s *cmsSpec) {
				s.eType = oidSigned
				s.attrs = append(dropAttr(withAttrs(), oidCT), attr(oidCT, tlv(cbasn1.OBJECT_IDENTIFIER, oidSigned)))
				sortDER(s.attrs)
			})},
		{name: "built: content type with two values", why: "content-type attribute is not one object identifier", seed: "refused-attrs-contenttype-two-values", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (\"Repeated/multivalue AuthAttrs\")",
			make: rootSigned(func(s *cmsSpec) {
				ct := tlv(cbasn1.OBJECT_IDENTIFIER, oidData)
				s.attrs = append(dropAttr(withAttrs(), oidCT), attr(oidCT, ct, ct))
				sortDER(s.attrs)
			})},
		{name: "built: message digest twice", why: "message-digest attribute is repeated", seed: "refused-attrs-messagedigest-twice", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (\"Repeated/multivalue AuthAttrs\")",
			make: rootSigned(func(s *cmsSpec) {
				s.attrs = withAttrs(findAttr(withAttrs(), oidMD))
			})},
		{name: "built: unknown extra signed attribute", accept: true, rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (default: return 0)",
			make: rootSigned(func(s *cmsSpec) {
				s.attrs = withAttrs(attr(oidUnknownAttr, tlv(cbasn1.UTF8String, []byte("x")), tlv(cbasn1.NULL, nil)))
			})},
		{name: "built: unknown signed attribute twice", accept: true, rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (default: return 0)",
			make: rootSigned(func(s *cmsSpec) {
				u := attr(oidUnknownAttr, tlv(cbasn1.NULL, nil))
				s.attrs = withAttrs(u, u)
			})},
		{name: "built: root version attribute (verinit sign --version)", accept: true,
			rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (default: return 0; pkcs7_note_OID only logs \"Unknown OID\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = withAttrs(versionAttr(versionInt(big.NewInt(42)))) })},
		{name: "built: root version attribute alone", why: "lack content-type or message-digest", seed: "refused-version-alone",
			rule: "pkcs7_parser.c: pkcs7_sig_note_set_of_authattrs (\"Missing required AuthAttr\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = [][]byte{versionAttr(versionInt(big.NewInt(42)))} })},
		{name: "built: root version attribute not an INTEGER", accept: true, why: "root version attribute is not one non-negative INTEGER", seed: "refused-version-octet-string",
			rule:     "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (default: return 0)",
			stricter: "the root version must be one non-negative INTEGER of at most 64 bits",
			make:     rootSigned(func(s *cmsSpec) { s.attrs = withAttrs(versionAttr(tlv(cbasn1.OCTET_STRING, []byte{42}))) })},
		{name: "built: root version attribute twice", accept: true, why: "root version attribute is repeated", seed: "refused-version-twice",
			rule:     "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (default: return 0)",
			stricter: "the root version attribute at most once",
			make: rootSigned(func(s *cmsSpec) {
				s.attrs = withAttrs(versionAttr(versionInt(big.NewInt(1))), versionAttr(versionInt(big.NewInt(2))))
			})},
		{name: "built: S/MIME capabilities", why: "S/MIME capabilities", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (\"S/MIME Caps only allowed with Authenticode\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = withAttrs(attr(oidSMIMECaps, tlv(cbasn1.SEQUENCE, nil))) })},
		{name: "built: Authenticode statement type", why: "Authenticode attribute", seed: "refused-attrs-authenticode", rule: "pkcs7_parser.c: pkcs7_sig_note_authenticated_attr (\"Authenticode AuthAttrs only allowed with Authenticode\")",
			make: rootSigned(func(s *cmsSpec) { s.attrs = withAttrs(attr(oidMSStatement, tlv(cbasn1.SEQUENCE, nil))) })},
		{name: "built: message digest of another root hash", why: "signed another root hash", rule: "pkcs7_verify.c: pkcs7_digest (\"Message digest doesn't match\")",
			make: rootSigned(func(s *cmsSpec) {
				s.attrs = stdAttrs(otherRootHash, hashOf(oidSHA256), now)
			})},
		{name: "built: signing time outside the signer's validity", why: "outside its certificate's validity", rule: "pkcs7_verify.c: pkcs7_verify_one (\"Message signed outside of X.509 validity window\")",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "short-lived root", e.keys["ec1"], func(c *x509.Certificate) {
					c.NotBefore, c.NotAfter = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)
				})
				return buildCMS(t, cmsSpec{signer: root, attrs: withAttrs()}), certs(root)
			}},
		{name: "built: signer expired, no signing time", accept: true, rule: "pkcs7_verify.c: pkcs7_verify_one (no check against the clock)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "expired root", e.keys["ec1"], func(c *x509.Certificate) {
					c.NotBefore, c.NotAfter = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)
				})
				return buildCMS(t, cmsSpec{signer: root}), certs(root)
			}},
		{name: "built: signing time as GeneralizedTime in 2049's range", why: "signing-time attribute is not one", seed: "refused-attrs-signingtime-generalized", rule: "x509_cert_parser.c: x509_decode_time (GeneralizedTime 1950-2049 is invalid)",
			make: rootSigned(func(s *cmsSpec) {
				st := attr(oidSigningTimeAttr, tlv(cbasn1.GeneralizedTime, []byte(now.UTC().Format("20060102150405Z"))))
				s.attrs = append(dropAttr(withAttrs(), oidSigningTimeAttr), st)
				sortDER(s.attrs)
			})},
		{name: "built: attributes not in DER order, signed as written", why: "not in DER order", accept: true, rule: "pkcs7_verify.c: pkcs7_digest (hashes the attributes as encoded)",
			stricter: "signed attributes must be in DER order",
			make: rootSigned(func(s *cmsSpec) {
				a := withAttrs()
				s.attrs = [][]byte{a[2], a[1], a[0]}
			})},
		{name: "built: attributes not in DER order, signed sorted", why: "not in DER order", seed: "refused-attrs-unsorted", rule: "pkcs7_verify.c: pkcs7_digest (hashes the attributes as encoded)",
			make: rootSigned(func(s *cmsSpec) {
				a := withAttrs()
				s.attrs, s.signedAttrs = [][]byte{a[2], a[1], a[0]}, a
			})},

		// Keys.
		{name: "built: RSA-4096 signer", accept: true, rule: "crypto/rsa.c: rsa_check_key_length (4096)",
			make: fakeRSARow(4096, 65537)},
		{name: "built: RSA-2040 signer", why: "an RSA key of 2040 bits (255 bytes)",
			rule: "crypto/rsa-pkcs1pad.c: pkcs1pad_verify (a 255-byte signature, but the key counts 256: mpi_get_size)",
			make: fakeRSARow(2040, 65537)},
		{name: "built: RSA-2047 signer", accept: true, rule: "crypto/rsa-pkcs1pad.c: pkcs1pad_verify (256 bytes either way)",
			make: fakeRSARow(2047, 65537)},
		{name: "built: RSA-8192 signer", rule: "crypto/rsa.c: rsa_check_key_length (512 to 4096 bits)",
			initOnly: "RSA keys up to 16384 bits", make: fakeRSARow(8192, 65537)},
		{name: "built: RSA modulus above the cap (16400 bits)", why: "RSA modulus of 16400 bits, more than the limit of 16384", rule: "crypto/rsa.c: rsa_check_key_length (512 to 4096 bits)",
			make: fakeRSARow(16400, 65537)},
		{name: "built: RSA exponent 2^32+1", why: "RSA public exponent of 33 bits", seed: "refused-rsa-exponent-2p32p1", accept: true, rule: "crypto/rsa_helper.c: rsa_get_e (any exponent no longer than the modulus)",
			stricter: "an odd exponent from 3 to 2^31-1, as crypto/rsa verifies", make: fakeRSARow(2048, 1<<32+1)},
		{name: "built: RSA exponent 3", accept: true, rule: "crypto/rsa_helper.c: rsa_get_e", make: fakeRSARow(2048, 3)},
		{name: "built: P-521 signer", rule: "x509_cert_parser.c: x509_extract_key_data (P-192, P-256, P-384 only)",
			initOnly: "ECDSA keys on P-224 to P-521",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "p521 root", p521Key(t), nil)
				return buildCMS(t, cmsSpec{signer: root, digest: oidSHA512, sigAlg: []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}}), certs(root)
			}},

		// Embedded certificates.
		{name: "built: extra embedded certificate signed with RSA-PSS", why: "1.2.840.113549.1.1.10 is not one x509_note_sig_algo knows", seed: "refused-cert-rsapss", rule: "x509_cert_parser.c: x509_note_sig_algo (-ENOPKG fails x509_cert_parse)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				rsaRoot := goRoot(t, "rsa root", e.keys["rsa"], nil)
				pss := goCert(t, "pss", e.keys["ec4"], rsaRoot, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA256WithRSAPSS })
				return buildCMS(t, cmsSpec{signer: e.rsa.root, certs: raws(e.rsa.root, pss)}), certs(e.rsa.root)
			}},
		{name: "built: extra embedded certificate with an Ed25519 key", why: "its key is Ed25519", rule: "x509_cert_parser.c: x509_extract_key_data (-ENOPKG)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				ed := goCert(t, "ed", e.keys["ed"], goRoot(t, "ec root", e.keys["ec1"], nil), nil)
				return buildCMS(t, cmsSpec{signer: e.rsa.root, certs: raws(e.rsa.root, ed)}), certs(e.rsa.root)
			}},
		{name: "built: extra embedded self-signed certificate with a bad signature", why: "x509_check_for_self_signed", seed: "refused-cert-bad-self-signature", rule: "x509_public_key.c: x509_check_for_self_signed",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				bad := corruptSignature(goRoot(t, "bad self-signed", e.keys["ec2"], nil).cert.Raw)
				return buildCMS(t, cmsSpec{signer: e.rsa.root, certs: [][]byte{e.rsa.root.cert.Raw, bad}}), certs(e.rsa.root)
			}},
		{name: "built: extra embedded certificate valid from 1960", why: "notBefore is not a time x509_decode_time reads", seed: "refused-cert-1960", rule: "x509_cert_parser.c: x509_decode_time (no year before 1970)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				old := goRoot(t, "old", e.keys["ec2"], func(c *x509.Certificate) { c.NotBefore = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) })
				return buildCMS(t, cmsSpec{signer: e.rsa.root, certs: raws(e.rsa.root, old)}), certs(e.rsa.root)
			}},
		{name: "built: extra embedded certificate with a 128-byte key identifier", why: "subject key identifier is 128 bytes", accept: true, rule: "x509_cert_parser.c: x509_process_extension (reads 04 81 80 as a 129-byte identifier)",
			stricter: "a subject key identifier of 1 to 127 bytes",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				long := goRoot(t, "long skid", e.keys["ec2"], func(c *x509.Certificate) { c.SubjectKeyId = make([]byte, 128) })
				return buildCMS(t, cmsSpec{signer: e.rsa.root, certs: raws(e.rsa.root, long)}), certs(e.rsa.root)
			}},

		// Chains.
		{name: "built: root, intermediate, leaf", accept: true, rule: "pkcs7_verify.c: pkcs7_verify_sig_chain, pkcs7_trust.c: pkcs7_validate_trust_one",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				inter := goCert(t, "inter", e.keys["ec2"], root, nil)
				leaf := goLeaf(t, "leaf", e.keys["ec3"], inter, nil)
				return buildCMS(t, cmsSpec{signer: leaf, certs: raws(leaf, inter)}), certs(root)
			}},
		{name: "built: root also embedded", accept: true, rule: "pkcs7_trust.c: pkcs7_validate_trust_one (an embedded certificate that is trusted)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				inter := goCert(t, "inter", e.keys["ec2"], root, nil)
				leaf := goLeaf(t, "leaf", e.keys["ec3"], inter, nil)
				return buildCMS(t, cmsSpec{signer: leaf, certs: raws(leaf, inter, root)}), certs(root)
			}},
		{name: "built: intermediate not embedded", why: "is neither embedded nor trusted", rule: "pkcs7_trust.c: pkcs7_validate_trust_one (-ENOKEY)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				inter := goCert(t, "inter", e.keys["ec2"], root, nil)
				leaf := goLeaf(t, "leaf", e.keys["ec3"], inter, nil)
				return buildCMS(t, cmsSpec{signer: leaf}), certs(root)
			}},
		{name: "built: leaf without authority key identifier", why: "has no authority key identifier", rule: "pkcs7_trust.c: pkcs7_validate_trust_one (no AKID, not trusted: -ENOKEY)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				leaf := goLeafNoAKID(t, "leaf", e.keys["ec3"], root)
				return buildCMS(t, cmsSpec{signer: leaf}), certs(root)
			}},
		{name: "built: an embedded decoy of the intermediate's key identifier first", why: "does not verify with the key of \"inter\"", rule: "pkcs7_verify.c: pkcs7_verify_sig_chain (the first match; its signature fails)",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				inter := goCert(t, "inter", e.keys["ec2"], root, nil)
				decoy := goCert(t, "inter", e.keys["ec4"], root, func(c *x509.Certificate) { c.SubjectKeyId = inter.cert.SubjectKeyId })
				leaf := goLeaf(t, "leaf", e.keys["ec3"], inter, nil)
				return buildCMS(t, cmsSpec{signer: leaf, certs: raws(leaf, decoy, inter)}), certs(root)
			}},
		{name: "built: intermediate is not a CA", why: "is not a CA", accept: true, rule: "pkcs7_trust.c: pkcs7_validate_trust_one (no constraints checked)",
			stricter: "crypto/x509's rules: an intermediate must be a CA",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				root := goRoot(t, "root", e.keys["ec1"], nil)
				inter := goCert(t, "inter", e.keys["ec2"], root, func(c *x509.Certificate) { c.IsCA = false })
				leaf := goLeaf(t, "leaf", e.keys["ec3"], inter, nil)
				return buildCMS(t, cmsSpec{signer: leaf, certs: raws(leaf, inter)}), certs(root)
			}},
		{name: "built: untrusted self-signed signer", why: "is self-signed and not trusted", rule: "pkcs7_trust.c: pkcs7_validate_trust_one (\"unknown self-signed\")",
			make: func(t *testing.T, e *kernelEnv) ([]byte, []*x509.Certificate) {
				return buildCMS(t, cmsSpec{signer: e.ec.rogue}), certs(e.ec.root)
			}},
	}
}

// buildCMSHash is buildCMS with the signature over a digest other than
// spec.digest names.
func buildCMSHash(t *testing.T, spec cmsSpec, signWith []byte) []byte {
	t.Helper()
	ref := spec
	ref.digest = signWith
	good := buildCMS(t, ref)
	// Swap the digest algorithm OIDs: same length for the SHA-2 family.
	return []byte(strings.ReplaceAll(string(good), string(signWith), string(spec.digest)))
}

// dropAttr removes the attributes of a type.
func dropAttr(attrs [][]byte, oid []byte) [][]byte {
	var out [][]byte
	for _, a := range attrs {
		if t, _ := splitAttribute(a); string(t) != string(oid) {
			out = append(out, a)
		}
	}
	return out
}

// findAttr returns the attribute of a type.
func findAttr(attrs [][]byte, oid []byte) []byte {
	for _, a := range attrs {
		if t, _ := splitAttribute(a); string(t) == string(oid) {
			return a
		}
	}
	panic("no such attribute")
}

// corruptSignature flips a bit in the last byte of a certificate, which
// is inside its signature.
func corruptSignature(der []byte) []byte {
	out := append([]byte{}, der...)
	out[len(out)-3] ^= 1
	return out
}

// fakeRSARow is a row signed by a self-signed RSA key of the given size
// and exponent, issued by a trusted ECDSA root (so that the kernel and
// crypto/x509 verify the certificate with the root's key).
func fakeRSARow(bits int, e int64) func(t *testing.T, env *kernelEnv) ([]byte, []*x509.Certificate) {
	return func(t *testing.T, env *kernelEnv) ([]byte, []*x509.Certificate) {
		root := goRoot(t, "root", env.keys["ec1"], nil)
		key := newFakeRSAKey(t, bits, e, 1)
		leaf := goCertRSA(t, "rsa leaf", key, root)
		return buildCMS(t, cmsSpec{signer: leaf}), certs(root)
	}
}

// goCertRSA makes a leaf for a fake RSA key under parent; crypto/x509
// refuses to marshal some of these keys, so the key is written by hand.
func goCertRSA(t testing.TB, cn string, key *fakeRSAKey, parent *ident) *ident {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000 + serials.Add(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		SubjectKeyId:          []byte{1, 2, 3, 4},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), parent.key)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ident{name: cn, cert: c, key: key}
}

// p521Key returns a fresh P-521 key.
func p521Key(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// goLeafNoAKID makes a leaf under parent that carries no authority key
// identifier, which crypto/x509 writes whenever the parent has a subject
// key identifier: the parent is given without it.
func goLeafNoAKID(t *testing.T, cn string, k crypto.Signer, parent *ident) *ident {
	t.Helper()
	p := *parent.cert
	p.SubjectKeyId = nil
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000 + serials.Add(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, &p, k.Public(), parent.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AuthorityKeyId) != 0 {
		t.Fatal("the leaf has an authority key identifier")
	}
	return &ident{name: cn, cert: c, key: k}
}
