package sig

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

// MaxSignatureBytes is the largest signature Verify parses, and the largest
// decoded signature ParseVeritySigJSON accepts. A detached signature with an
// RSA-4096 signer and two intermediate certificates is about 6 KiB; the cap
// leaves room for long chains while bounding the work an attacker's DER can
// cause (see doc.go).
const MaxSignatureBytes = 64 << 10

// maxCertificates bounds the certificates embedded in one signature, and so
// the intermediates chain building considers.
const maxCertificates = 8

// maxRootHashHex is the longest root hash accepted: 64 bytes (SHA-512), the
// kernel's HASH_MAX_DIGESTSIZE, as hex.
const maxRootHashHex = 128

// Signer describes the certificate that made a signature Verify accepted.
type Signer struct {
	Subject           string // subject DN of the signer certificate, RFC 2253 style ("CN=...,O=...")
	FingerprintSHA256 string // SHA-256 of the signer certificate's DER, lowercase hex, no colons
	Issuer            string // issuer DN of the signer certificate, RFC 2253 style
}

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
// certificate's description.
//
// rootHashHex may be given in upper or mixed case: it is lower-cased before
// use, because the lowercase string is what cryptsetup and systemd sign and
// what the kernel is given in the table. A signature over the uppercase
// text therefore fails with ErrMismatch.
//
// The signer certificate is looked up by issuer and serial number among the
// certificates embedded in sigDER and then among roots, so a signature made
// with openssl's -nocerts verifies when the signer certificate itself is
// trusted. Intermediate certificates must be embedded. Signed attributes are
// optional; when present they must hold content-type id-data and the
// message digest of the root hash text.
//
// Errors are one line and match ErrMalformed, ErrUnsupported, ErrMismatch or
// ErrUntrusted with errors.Is. Verify never panics: a panic in the PKCS#7
// library is returned as ErrMalformed.
func Verify(sigDER []byte, rootHashHex string, roots []*x509.Certificate, opts VerifyOptions) (s *Signer, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%w: PKCS#7 parser failed on this input: %v", ErrMalformed, r)
		}
	}()
	return verify(sigDER, rootHashHex, roots, opts)
}

// verify is Verify without the recover, so that the fuzz target sees
// library panics.
func verify(sigDER []byte, rootHashHex string, roots []*x509.Certificate, opts VerifyOptions) (*Signer, error) {
	rootHash, err := normRootHash(rootHashHex)
	if err != nil {
		return nil, err
	}
	switch {
	case len(sigDER) == 0:
		return nil, fmt.Errorf("%w: signature is empty", ErrMalformed)
	case len(sigDER) > MaxSignatureBytes:
		return nil, fmt.Errorf("%w: signature is %d bytes, more than the limit of %d", ErrMalformed, len(sigDER), MaxSignatureBytes)
	}
	for i, r := range roots {
		if r == nil {
			return nil, fmt.Errorf("sig: trusted certificate %d is nil", i)
		}
	}

	if err := checkFraming(sigDER); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p7, err := pkcs7.Parse(sigDER)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PKCS#7 SignedData: %s", ErrMalformed, libErr(err))
	}
	switch n := len(p7.Signers); {
	case n == 0:
		return nil, fmt.Errorf("%w: signature has no signer that can be read: its SignerInfos are empty or do not parse (a signer identified by subject key identifier, as openssl -keyid makes, is not supported)", ErrMalformed)
	case n > 1:
		return nil, fmt.Errorf("%w: signature has %d signers, want exactly 1", ErrUnsupported, n)
	}
	if len(p7.Content) != 0 {
		// The kernel refuses such a signature too (pkcs7_supply_detached_data).
		return nil, fmt.Errorf("%w: signature embeds %d bytes of content; a detached signature is required", ErrMalformed, len(p7.Content))
	}
	if n := len(p7.Certificates); n > maxCertificates {
		return nil, fmt.Errorf("%w: signature embeds %d certificates, more than the limit of %d", ErrMalformed, n, maxCertificates)
	}
	si := p7.Signers[0]
	if err := checkAlgorithms(si.DigestAlgorithm.Algorithm, si.DigestEncryptionAlgorithm.Algorithm); err != nil {
		return nil, err
	}
	if len(si.AuthenticatedAttributes) > 0 {
		if err := checkAttributes(p7); err != nil {
			return nil, err
		}
	}

	embedded := p7.Certificates
	ee := findCert(embedded, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
	if ee == nil {
		ee = findCert(roots, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
		if ee == nil {
			return nil, fmt.Errorf("%w: signer certificate (serial %s, issuer %s) is neither embedded in the signature nor one of the %d trusted certificates",
				ErrUntrusted, serialString(si.IssuerAndSerialNumber.SerialNumber), issuerString(si.IssuerAndSerialNumber.IssuerName.FullBytes), len(roots))
		}
		// The library looks the signer up in p7.Certificates only.
		p7.Certificates = append(slices.Clip(embedded), ee)
	}
	signer := describe(ee)
	if err := checkKeyType(ee, si.DigestEncryptionAlgorithm.Algorithm, signer); err != nil {
		return nil, err
	}

	// The signature itself, over the root hash text or over the signed
	// attributes (whose message digest the library compares first). A nil
	// trust store makes the library skip chain building, which is done
	// below under this package's validity rule.
	p7.Content = []byte(rootHash)
	if err := p7.Verify(); err != nil {
		var dm *pkcs7.MessageDigestMismatchError
		var st *pkcs7.SigningTimeNotValidError
		switch {
		case errors.As(err, &dm):
			return nil, fmt.Errorf("%w: signer %s signed another root hash, not %q (the signed message digest differs)", ErrMismatch, signer, rootHash)
		case errors.As(err, &st):
			return nil, fmt.Errorf("%w: signer %s signed at %s, outside its certificate's validity %s to %s",
				ErrUntrusted, signer, st.SigningTime.UTC().Format(time.RFC3339), st.NotBefore.UTC().Format(time.RFC3339), st.NotAfter.UTC().Format(time.RFC3339))
		case len(si.AuthenticatedAttributes) > 0:
			return nil, fmt.Errorf("%w: the signed attributes do not verify with the key of signer %s (corrupted?): %s", ErrMismatch, signer, libErr(err))
		default:
			return nil, fmt.Errorf("%w: signature does not verify over %q with the key of signer %s (signed another root hash, or corrupted): %s", ErrMismatch, rootHash, signer, libErr(err))
		}
	}

	if err := verifyChain(ee, embedded, roots, opts); err != nil {
		return nil, fmt.Errorf("%w: signer %s %w", ErrUntrusted, signer, err)
	}
	return signer, nil
}

// String returns the quoted subject and the fingerprint, e.g.
// "CN=root signer" (sha256 3f5a…).
func (s *Signer) String() string {
	return fmt.Sprintf("%q (sha256 %s)", s.Subject, s.FingerprintSHA256)
}

// ParseCertificates parses the trusted certificates of a PEM bundle: every
// "CERTIFICATE" block, in order. Text between blocks (comments, openssl's
// subject= lines) is ignored. Any other block type (a private key packed by
// mistake, for one) is an error, as is a bundle with no certificate.
func ParseCertificates(pemBytes []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("sig: PEM block %d is a %q, want only CERTIFICATE blocks", len(certs)+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sig: PEM certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("sig: no PEM CERTIFICATE block found")
	}
	return certs, nil
}

// normRootHash lower-cases a root hash and checks that it is 1 to 64 bytes
// of hex.
func normRootHash(s string) (string, error) {
	if s == "" {
		return "", errors.New("sig: root hash is empty")
	}
	if len(s) > maxRootHashHex || len(s)%2 != 0 {
		return "", fmt.Errorf("sig: root hash has %d hex digits, want an even number from 2 to %d", len(s), maxRootHashHex)
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return "", fmt.Errorf("sig: root hash %q is not hex (byte %d)", s, i)
		}
	}
	return strings.ToLower(s), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Accepted algorithms. The digest must be SHA-2 (256, 384 or 512); SHA-1 is
// refused although Go's CheckSignature would accept it.
var (
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASHA256     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSASHA384     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSASHA512     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

func checkAlgorithms(digest, sigAlg asn1.ObjectIdentifier) error {
	switch {
	case digest.Equal(oidSHA256), digest.Equal(oidSHA384), digest.Equal(oidSHA512):
	case digest.Equal(oidSHA1):
		return fmt.Errorf("%w: digest algorithm SHA-1 is refused; sign with SHA-256 or stronger", ErrUnsupported)
	default:
		return fmt.Errorf("%w: digest algorithm %s, want SHA-256, SHA-384 or SHA-512", ErrUnsupported, digest)
	}
	if !isRSA(sigAlg) && !isECDSA(sigAlg) {
		return fmt.Errorf("%w: signature algorithm %s, want rsaEncryption (PKCS#1 v1.5) or ecdsa-with-SHA256/384/512", ErrUnsupported, sigAlg)
	}
	return nil
}

func isRSA(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oidRSA) || oid.Equal(oidRSASHA256) || oid.Equal(oidRSASHA384) || oid.Equal(oidRSASHA512)
}

func isECDSA(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oidECDSASHA256) || oid.Equal(oidECDSASHA384) || oid.Equal(oidECDSASHA512)
}

// checkKeyType checks that the signer certificate's key fits the signature
// algorithm.
func checkKeyType(c *x509.Certificate, sigAlg asn1.ObjectIdentifier, signer *Signer) error {
	switch c.PublicKey.(type) {
	case *rsa.PublicKey:
		if isRSA(sigAlg) {
			return nil
		}
	case *ecdsa.PublicKey:
		if isECDSA(sigAlg) {
			return nil
		}
	default:
		return fmt.Errorf("%w: signer %s has a %s key, want RSA or ECDSA", ErrUnsupported, signer, c.PublicKeyAlgorithm)
	}
	return fmt.Errorf("%w: signature algorithm %s does not fit the %s key of signer %s", ErrMalformed, sigAlg, c.PublicKeyAlgorithm, signer)
}

// checkAttributes checks the signed attributes the kernel requires
// (pkcs7_sig_note_set_of_authattrs): a content type, which must be id-data,
// and a message digest, which the library compares.
func checkAttributes(p7 *pkcs7.PKCS7) error {
	var haveCT, haveMD bool
	for _, a := range p7.Signers[0].AuthenticatedAttributes {
		haveCT = haveCT || a.Type.Equal(oidContentType)
		haveMD = haveMD || a.Type.Equal(oidMessageDigest)
	}
	if !haveCT || !haveMD {
		return fmt.Errorf("%w: signed attributes lack content-type or message-digest", ErrMalformed)
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(oidContentType, &ct); err != nil {
		return fmt.Errorf("%w: signed content-type attribute: %s", ErrMalformed, libErr(err))
	}
	if !ct.Equal(oidData) {
		return fmt.Errorf("%w: signed content type is %s, want id-data (1.2.840.113549.1.7.1)", ErrMalformed, ct)
	}
	return nil
}

// findCert returns the certificate with the given raw issuer and serial.
func findCert(certs []*x509.Certificate, rawIssuer []byte, serial *big.Int) *x509.Certificate {
	if serial == nil {
		return nil
	}
	for _, c := range certs {
		if c.SerialNumber != nil && string(c.RawIssuer) == string(rawIssuer) && c.SerialNumber.Cmp(serial) == 0 {
			return c
		}
	}
	return nil
}

// serialString formats a serial number as openssl prints it (hex).
func serialString(n *big.Int) string {
	if n == nil {
		return "none"
	}
	return "0x" + n.Text(16)
}

// issuerString formats a raw DER issuer name, or says it does not parse.
func issuerString(raw []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdn); err != nil || len(rest) != 0 {
		return "(unparsable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return strconv.Quote(n.String())
}

func describe(c *x509.Certificate) *Signer {
	sum := sha256.Sum256(c.Raw)
	return &Signer{
		Subject:           c.Subject.String(),
		FingerprintSHA256: hex.EncodeToString(sum[:]),
		Issuer:            c.Issuer.String(),
	}
}

// verifyChain checks that ee chains to one of roots, with the embedded
// certificates as intermediates, under the validity rule of opts.
func verifyChain(ee *x509.Certificate, embedded, roots []*x509.Certificate, opts VerifyOptions) error {
	if len(roots) == 0 {
		return errors.New("cannot chain to a trusted certificate: none was given")
	}
	check := opts.ChecksValidity()
	use := func(c *x509.Certificate) *x509.Certificate {
		if check {
			return c
		}
		return timeless(c)
	}
	vo := x509.VerifyOptions{
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
		// Like the kernel and "openssl cms -verify -purpose any": the
		// extended key usage is not checked.
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		CurrentTime: opts.Now,
	}
	if !check {
		vo.CurrentTime = timelessNow
	}
	for _, r := range roots {
		vo.Roots.AddCert(use(r))
	}
	for _, c := range embedded {
		if c != ee {
			vo.Intermediates.AddCert(use(c))
		}
	}
	if _, err := use(ee).Verify(vo); err != nil {
		if check {
			return fmt.Errorf("does not chain to a trusted certificate at %s: %w", opts.Now.UTC().Format(time.RFC3339), err)
		}
		return fmt.Errorf("does not chain to a trusted certificate: %w", err)
	}
	return nil
}

// timelessNow is the time chains are verified at when validity periods are
// ignored; any time within [timelessNotBefore, timelessNotAfter] would do.
var (
	timelessNotBefore = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	timelessNow       = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	timelessNotAfter  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// timeless returns a copy of c whose validity period covers all time, so
// that crypto/x509 checks the chain (issuer names, signatures, basic
// constraints, key usage, path length, name constraints, critical
// extensions) but not the clock. The signatures are over RawTBSCertificate,
// which the copy shares, so they are checked unchanged.
func timeless(c *x509.Certificate) *x509.Certificate {
	cc := *c
	cc.NotBefore, cc.NotAfter = timelessNotBefore, timelessNotAfter
	return &cc
}
