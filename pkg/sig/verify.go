package sig

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/verinit/verinit/pkg/veritysig"
)

// maxCertificates bounds the certificates embedded in one signature, and so
// the intermediates chain building considers.
const maxCertificates = 8

// OIDRootVersion is the object identifier of the signed attribute that
// binds a root version to a signature, "verinit root version": the UUID
// OID (X.667) of 90f33f16-8c98-44ff-b1d5-cc6b55ff4cab. Its value is
// SET { INTEGER }, one non-negative INTEGER that fits a uint64. The
// kernel ignores it, as it ignores every authenticated attribute it does
// not know (pkcs7_sig_note_authenticated_attr).
const OIDRootVersion = "2.25.192671839107988438118157943287131884715"

// VerifyOptions sets the certificate validity rule of Verify. The zero value
// ignores NotBefore and NotAfter, as the kernel does (see doc.go).
type VerifyOptions struct {
	// Now, if not zero, is the device's clock: the signer certificate and
	// every certificate of its chain must be valid at Now. If zero, no
	// certificate validity period is compared with a clock.
	Now time.Time

	// MinPlausibleTime, if not zero, is the earliest time the device's clock
	// can truly show, typically the build time of the initramfs that packs
	// the trusted certificates. A Now before it means the clock is wrong
	// (an RTC without battery starts in 1970 or 2000), and Verify then
	// ignores validity periods as if Now were zero.
	MinPlausibleTime time.Time
}

// ChecksValidity reports whether Verify compares certificate validity
// periods with o.Now: Now is set and not before MinPlausibleTime.
func (o VerifyOptions) ChecksValidity() bool {
	return !o.Now.IsZero() && (o.MinPlausibleTime.IsZero() || !o.Now.Before(o.MinPlausibleTime))
}

// Verify checks that sigDER is a detached PKCS#7/CMS signature over the
// root hash text rootHashHex (the exact ASCII hex characters, no newline)
// by a key whose certificate chains to one of roots, and returns that
// certificate's description and the root version the signature carries.
// It refuses what the kernel's verify_pkcs7_signature refuses for the
// same signature and trusted certificates (see doc.go).
//
// rootHashHex may be given in upper or mixed case: it is lower-cased before
// use, because the lowercase string is what cryptsetup and systemd sign and
// what the kernel is given in the table. A signature over the uppercase
// text therefore fails with ErrMismatch.
//
// The signer certificate is looked up by issuer and serial number among the
// certificates embedded in sigDER and then among roots, so a signature made
// with openssl's -nocerts verifies when the signer certificate itself is
// trusted. Intermediate certificates must be embedded, and each
// certificate must name its issuer by authority key identifier, as the
// kernel finds issuers. Signed attributes are optional; when present they
// must hold content-type id-data and the message digest of the root hash
// text, and may hold the root version (OIDRootVersion).
//
// Errors are one line and match ErrMalformed, ErrUnsupported, ErrMismatch or
// ErrUntrusted with errors.Is.
func Verify(sigDER []byte, rootHashHex string, roots []*Certificate, opts VerifyOptions) (*veritysig.Signer, error) {
	return verify(&verifyWork{}, sigDER, rootHashHex, roots, opts)
}

// verify is Verify, counting its public-key work in w.
func verify(w *verifyWork, sigDER []byte, rootHashHex string, roots []*Certificate, opts VerifyOptions) (*veritysig.Signer, error) {
	rootHash, err := veritysig.SignedText(rootHashHex)
	if err != nil {
		return nil, err
	}
	switch {
	case len(sigDER) == 0:
		return nil, fmt.Errorf("%w: signature is empty", ErrMalformed)
	case len(sigDER) > veritysig.MaxSignatureBytes:
		return nil, fmt.Errorf("%w: signature is %d bytes, more than the limit of %d", ErrMalformed, len(sigDER), veritysig.MaxSignatureBytes)
	}
	for i, r := range roots {
		if r == nil {
			return nil, fmt.Errorf("sig: trusted certificate %d is nil", i)
		}
	}

	if err := checkFraming(sigDER); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	der, err := toDER(sigDER)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sd, err := parseSignedData(der)
	if err != nil {
		return nil, err
	}
	switch n := len(sd.signers); {
	case n == 0:
		return nil, fmt.Errorf("%w: signature has no signer that can be read: its SignerInfos are empty or do not parse (a signer identified by subject key identifier, as openssl -keyid makes, is not supported)", ErrMalformed)
	case n > 1:
		return nil, fmt.Errorf("%w: signature has %d signers, want exactly 1", ErrUnsupported, n)
	}
	if sd.version != 1 {
		// The kernel reads 1 and 3 (pkcs7_note_signeddata_version), and
		// with 3 only signers identified by subject key identifier
		// (pkcs7_note_signerinfo_version), which are not read here.
		return nil, fmt.Errorf("%w: SignedData version %d, want 1 (a signer identified by issuer and serial number, content id-data)", ErrUnsupported, sd.version)
	}
	si := &sd.signers[0]
	if si.version != 1 {
		// pkcs7_note_signerinfo_version: 1 goes with SignedData
		// version 1 and issuer and serial number.
		return nil, fmt.Errorf("%w: SignerInfo version %d, want 1 (a signer identified by issuer and serial number)", ErrUnsupported, si.version)
	}
	digest, err := checkAlgorithms(si.digestAlg, si.sigAlg)
	if err != nil {
		return nil, err
	}
	var attrs signedAttributes
	if si.haveAttrs {
		if attrs, err = checkAttributes(si.attrs); err != nil {
			return nil, err
		}
	}

	ee := findCert(sd.certs, si.issuer, si.serial)
	embedded := sd.certs
	if ee == nil {
		if ee = findCert(roots, si.issuer, si.serial); ee == nil {
			return nil, fmt.Errorf("%w: signer certificate (serial %s, issuer %s) is neither embedded in the signature nor one of the %d trusted certificates",
				ErrUntrusted, serialString(si.serial), issuerString(si.issuer), len(roots))
		}
	}
	signer := describe(ee)
	if err := checkKeyType(ee, si.sigAlg, signer); err != nil {
		return nil, err
	}
	if err := checkSignature(w, si, &attrs, ee, digest, rootHash, signer); err != nil {
		return nil, err
	}
	// The kernel checks self-signatures while parsing; checking them
	// after the signature gives the same verdict, and a signature that
	// fails its cheap checks (the message digest) costs no verification.
	self, err := checkSelfSigned(w, sd.certs)
	if err != nil {
		return nil, err
	}
	if err := verifyChain(w, ee, embedded, self, roots, opts); err != nil {
		if errors.Is(err, errTooMuchWork) {
			return nil, fmt.Errorf("%w: signer %s %w", ErrUnsupported, signer, err)
		}
		return nil, fmt.Errorf("%w: signer %s %w", ErrUntrusted, signer, err)
	}
	signer.Version, signer.HasVersion = attrs.version, attrs.hasVersion
	return signer, nil
}

// digestAlgorithm is a SHA-2 digest Verify accepts.
type digestAlgorithm struct {
	hash crypto.Hash
	sum  func([]byte) []byte
}

var (
	digestSHA256 = &digestAlgorithm{crypto.SHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }}
	digestSHA384 = &digestAlgorithm{crypto.SHA384, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }}
	digestSHA512 = &digestAlgorithm{crypto.SHA512, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }}
)

// Object identifiers, as DER content octets.
var (
	oidSHA1   = []byte{0x2b, 0x0e, 0x03, 0x02, 0x1a}                         // 1.3.14.3.2.26
	oidSHA256 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01} // 2.16.840.1.101.3.4.2.1
	oidSHA384 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02} // 2.16.840.1.101.3.4.2.2
	oidSHA512 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03} // 2.16.840.1.101.3.4.2.3
	oidPKCS1  = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01}       // 1.2.840.113549.1.1 (rsaEncryption is .1)
	oidECDSA  = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03}             // 1.2.840.10045.4.3 (ecdsa-with-SHA2)
	oidData   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01} // id-data
	oidSigned = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02} // id-signedData
	oidCT     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03} // content-type attribute
	oidMD     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04} // message-digest attribute
	oidST     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05} // signing-time attribute
)

// digestFor returns the SHA-2 digest an OID names, or nil.
func digestFor(oid []byte) *digestAlgorithm {
	switch {
	case bytes.Equal(oid, oidSHA256):
		return digestSHA256
	case bytes.Equal(oid, oidSHA384):
		return digestSHA384
	case bytes.Equal(oid, oidSHA512):
		return digestSHA512
	}
	return nil
}

// isRSA reports whether oid is the PKCS#1 v1.5 signature OID Verify
// accepts in a SignerInfo: rsaEncryption, the only RSA identifier the
// kernel reads there (pkcs7_sig_note_pkey_algo). The digest comes from
// the digest algorithm.
func isRSA(oid []byte) bool {
	return bytes.Equal(oid, oidKeyRSA)
}

// isRSAWithDigest reports whether oid is sha{224,256,384,512}WithRSAEncryption,
// which the kernel refuses in a SignerInfo.
func isRSAWithDigest(oid []byte) bool {
	return len(oid) == 9 && bytes.HasPrefix(oid, oidPKCS1) && 11 <= oid[8] && oid[8] <= 14
}

// ecdsaDigest returns the digest of an ecdsa-with-SHA256/384/512 OID, or
// nil: for ECDSA the signature algorithm names the digest the signature is
// over.
func ecdsaDigest(oid []byte) *digestAlgorithm {
	if len(oid) != 8 || !bytes.HasPrefix(oid, oidECDSA) {
		return nil
	}
	switch oid[7] {
	case 2:
		return digestSHA256
	case 3:
		return digestSHA384
	case 4:
		return digestSHA512
	}
	return nil
}

// checkAlgorithms checks the digest and signature algorithms of the
// SignerInfo and returns the digest. The digest must be SHA-2 (256, 384
// or 512); SHA-1 is refused.
func checkAlgorithms(digest, sigAlg []byte) (*digestAlgorithm, error) {
	d := digestFor(digest)
	switch {
	case d != nil:
	case bytes.Equal(digest, oidSHA1):
		return nil, fmt.Errorf("%w: digest algorithm SHA-1 is refused; sign with SHA-256 or stronger", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: digest algorithm %s, want SHA-256, SHA-384 or SHA-512", ErrUnsupported, oidString(digest))
	}
	switch e := ecdsaDigest(sigAlg); {
	case isRSA(sigAlg):
	case isRSAWithDigest(sigAlg):
		return nil, fmt.Errorf("%w: signature algorithm %s names the digest; the kernel reads only rsaEncryption (1.2.840.113549.1.1.1) for RSA (pkcs7_sig_note_pkey_algo)", ErrUnsupported, oidString(sigAlg))
	case e == nil:
		return nil, fmt.Errorf("%w: signature algorithm %s, want rsaEncryption (PKCS#1 v1.5) or ecdsa-with-SHA256/384/512", ErrUnsupported, oidString(sigAlg))
	case e != d:
		// The kernel hashes with the digest algorithm whatever the
		// ECDSA identifier says; both must name the same digest.
		return nil, fmt.Errorf("%w: signature algorithm %s names another digest than the digest algorithm %s", ErrMalformed, oidString(sigAlg), oidString(digest))
	}
	return d, nil
}

// checkKeyType checks that the signer certificate's key fits the signature
// algorithm.
func checkKeyType(c *Certificate, sigAlg []byte, signer *veritysig.Signer) error {
	switch {
	case c.rsaKey != nil:
		if err := kernelRSASize(c); err != nil {
			return fmt.Errorf("%w: signer %s has %v", ErrUnsupported, signer, err)
		}
		if isRSA(sigAlg) {
			return nil
		}
	case c.ecKey != nil:
		if ecdsaDigest(sigAlg) != nil {
			return nil
		}
	default:
		return fmt.Errorf("%w: signer %s has a %s key, want RSA or ECDSA", ErrUnsupported, signer, c.keyAlg)
	}
	return fmt.Errorf("%w: signature algorithm %s does not fit the %s key of signer %s", ErrMalformed, oidString(sigAlg), c.keyAlg, signer)
}

// signedAttributes is what checkAttributes reads of the signed
// attributes.
type signedAttributes struct {
	messageDigest []byte
	signingTime   time.Time
	hasTime       bool
	version       uint64
	hasVersion    bool
}

// More attribute types, as DER content octets.
var (
	oidSMIMECaps   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0f}       // 1.2.840.113549.1.9.15
	oidMSStatement = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0b} // 1.3.6.1.4.1.311.2.1.11
	oidMSOpusInfo  = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0c} // 1.3.6.1.4.1.311.2.1.12
	// OIDRootVersion: 2.25 is 0x69, then the UUID's 128 bits in base 128.
	oidRootVersion = []byte{0x69, 0x82, 0xa1, 0xf3, 0x9f, 0xc5, 0xd1, 0xc9, 0xc2, 0x93, 0xff, 0xb1, 0xea, 0xf3, 0x8d, 0xb5, 0xaf, 0xfd, 0x99, 0x2b}
)

// checkAttributes checks the signed attributes as the kernel reads them
// (pkcs7_sig_note_authenticated_attr, pkcs7_sig_note_set_of_authattrs):
// a content type, which must be id-data, and a message digest are
// required; content type, message digest and signing time may each appear
// once, with one value; S/MIME capabilities and Authenticode attributes
// are refused; other attributes are ignored. On top of that the
// attributes must be in DER order (the signature is over them as
// encoded), a signing time must be one the kernel reads, and the root
// version attribute must be one non-negative INTEGER that fits a uint64,
// once.
func checkAttributes(attrs [][]byte) (signedAttributes, error) {
	var out signedAttributes
	var haveCT, haveMD bool
	for i, a := range attrs {
		if i > 0 && bytes.Compare(attrs[i-1], a) > 0 {
			return out, fmt.Errorf("%w: signed attributes are not in DER order", ErrMalformed)
		}
		oid, values := splitAttribute(a)
		switch {
		case bytes.Equal(oid, oidCT):
			v, ok := onlyValue(values, cbasn1.OBJECT_IDENTIFIER)
			switch {
			case haveCT:
				return out, fmt.Errorf("%w: the content-type attribute is repeated", ErrMalformed)
			case !ok:
				return out, fmt.Errorf("%w: signed content-type attribute is not one object identifier", ErrMalformed)
			case !bytes.Equal(v, oidData):
				return out, fmt.Errorf("%w: signed content type is %s, want id-data (1.2.840.113549.1.7.1)", ErrMalformed, oidString(v))
			}
			haveCT = true
		case bytes.Equal(oid, oidMD):
			v, ok := onlyValue(values, cbasn1.OCTET_STRING)
			switch {
			case haveMD:
				return out, fmt.Errorf("%w: the message-digest attribute is repeated", ErrMalformed)
			case !ok:
				return out, fmt.Errorf("%w: signed message-digest attribute is not one OCTET STRING", ErrMalformed)
			}
			out.messageDigest, haveMD = v, true
		case bytes.Equal(oid, oidST):
			if out.hasTime {
				return out, fmt.Errorf("%w: the signing-time attribute is repeated", ErrMalformed)
			}
			t, kernelOK, err := readTimeKernel(&values)
			if err != nil || !kernelOK || !values.Empty() {
				return out, fmt.Errorf("%w: signed signing-time attribute is not one UTCTime or GeneralizedTime the kernel reads (x509_decode_time)", ErrMalformed)
			}
			out.signingTime, out.hasTime = t, true
		case bytes.Equal(oid, oidSMIMECaps):
			return out, fmt.Errorf("%w: signed attributes hold S/MIME capabilities, which the kernel refuses outside Authenticode (pkcs7_sig_note_authenticated_attr); sign with openssl -nosmimecap or -noattr", ErrUnsupported)
		case bytes.Equal(oid, oidMSStatement), bytes.Equal(oid, oidMSOpusInfo):
			return out, fmt.Errorf("%w: signed attributes hold the Authenticode attribute %s, which the kernel refuses outside Authenticode", ErrUnsupported, oidString(oid))
		case bytes.Equal(oid, oidRootVersion):
			if out.hasVersion {
				return out, fmt.Errorf("%w: the root version attribute is repeated", ErrMalformed)
			}
			v, ok := onlyValue(values, cbasn1.INTEGER)
			n, fits := uint64Integer(v)
			if !ok || !fits {
				return out, fmt.Errorf("%w: the root version attribute is not one non-negative INTEGER of at most 64 bits", ErrMalformed)
			}
			out.version, out.hasVersion = n, true
		}
	}
	if !haveCT || !haveMD {
		return out, fmt.Errorf("%w: signed attributes lack content-type or message-digest", ErrMalformed)
	}
	return out, nil
}

// uint64Integer returns the value of a DER INTEGER's content octets if it
// is non-negative and fits a uint64.
func uint64Integer(b []byte) (uint64, bool) {
	if !validInteger(b) || b[0]&0x80 != 0 {
		return 0, false
	}
	if b[0] == 0 && len(b) > 1 {
		b = b[1:]
	}
	if len(b) > 8 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, true
}

// checkSignature checks the signature over the root hash text, or over
// the signed attributes after comparing their message digest with the
// root hash text's, and a signed signing time against the signer's
// validity.
func checkSignature(w *verifyWork, si *signerInfo, attrs *signedAttributes, ee *Certificate, digest *digestAlgorithm, rootHash string, signer *veritysig.Signer) error {
	signed := []byte(rootHash)
	if si.haveAttrs {
		if subtle.ConstantTimeCompare(attrs.messageDigest, digest.sum(signed)) != 1 {
			return fmt.Errorf("%w: signer %s signed another root hash, not %q (the signed message digest differs)", ErrMismatch, signer, rootHash)
		}
		signed = encodeAttributes(si.attrs)
		if t := attrs.signingTime; attrs.hasTime && (t.After(ee.notAfter) || t.Before(ee.notBefore)) {
			return fmt.Errorf("%w: signer %s signed at %s, outside its certificate's validity %s to %s",
				ErrUntrusted, signer, formatTime(t), formatTime(ee.notBefore), formatTime(ee.notAfter))
		}
	}
	err := w.verify(ee, digest, signed, si.signature)
	if err == nil {
		return nil
	}
	if errors.Is(err, errTooMuchWork) {
		return fmt.Errorf("%w: signer %s: %v", ErrUnsupported, signer, err)
	}
	if si.haveAttrs {
		return fmt.Errorf("%w: the signed attributes do not verify with the key of signer %s (corrupted?): %v", ErrMismatch, signer, err)
	}
	return fmt.Errorf("%w: signature does not verify over %q with the key of signer %s (signed another root hash, or corrupted): %v", ErrMismatch, rootHash, signer, err)
}

// encodeAttributes returns what a signature with signed attributes is
// over: the attributes as encoded, under a SET tag instead of [0], as
// the kernel hashes them (pkcs7_digest); checkAttributes made sure they
// are in DER order.
func encodeAttributes(attrs [][]byte) []byte {
	n := 0
	for _, a := range attrs {
		n += len(a)
	}
	out := appendDERLength(append(make([]byte, 0, n+6), 0x31), n)
	for _, a := range attrs {
		out = append(out, a...)
	}
	return out
}

// findCert returns the certificate with the given raw issuer and serial
// number content octets.
func findCert(certs []*Certificate, rawIssuer, serial []byte) *Certificate {
	for _, c := range certs {
		if bytes.Equal(c.rawIssuer, rawIssuer) && bytes.Equal(c.serial, serial) {
			return c
		}
	}
	return nil
}

// serialString formats a serial number as openssl prints it (hex).
func serialString(serial []byte) string {
	n := new(big.Int).SetBytes(serial)
	if len(serial) > 0 && serial[0]&0x80 != 0 { // two's complement
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(serial))))
	}
	return "0x" + n.Text(16)
}

// issuerString formats a raw DER issuer name, or says it does not parse.
func issuerString(raw []byte) string {
	n, err := parseName(raw)
	if err != nil {
		return "(unparsable name)"
	}
	return strconv.Quote(n.String())
}

func describe(c *Certificate) *veritysig.Signer {
	sum := sha256.Sum256(c.Raw)
	return &veritysig.Signer{
		Subject:           c.Subject,
		FingerprintSHA256: hex.EncodeToString(sum[:]),
		Issuer:            c.Issuer,
	}
}
