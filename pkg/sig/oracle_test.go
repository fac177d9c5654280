package sig

// The oracle: the verifier the init used before it had its own, built on
// github.com/smallstep/pkcs7 and crypto/x509, kept here (test only) so that
// differential tests and FuzzVerifyDifferential can hold Verify to its
// verdicts. Its semantics are the ones doc.go describes.

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/verinit/verinit/pkg/veritysig"
)

// oracleVerify is the old Verify: the same arguments (trusted
// certificates parsed by crypto/x509), the same sentinels; it recovers from
// a panic in the PKCS#7 library as ErrMalformed.
func oracleVerify(sigDER []byte, rootHashHex string, roots []*x509.Certificate, opts VerifyOptions) (s *veritysig.Signer, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%w: PKCS#7 parser failed on this input: %v", ErrMalformed, r)
		}
	}()
	return oracleVerifyInner(sigDER, rootHashHex, roots, opts)
}

// oracleVerifyInner is oracleVerify without the recover.
func oracleVerifyInner(sigDER []byte, rootHashHex string, roots []*x509.Certificate, opts VerifyOptions) (*veritysig.Signer, error) {
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
	if err := oracleCheckAlgorithms(si.DigestAlgorithm.Algorithm, si.DigestEncryptionAlgorithm.Algorithm); err != nil {
		return nil, err
	}
	if len(si.AuthenticatedAttributes) > 0 {
		if err := oracleCheckAttributes(p7); err != nil {
			return nil, err
		}
	}

	embedded := p7.Certificates
	ee := oracleFindCert(embedded, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
	if ee == nil {
		ee = oracleFindCert(roots, si.IssuerAndSerialNumber.IssuerName.FullBytes, si.IssuerAndSerialNumber.SerialNumber)
		if ee == nil {
			return nil, fmt.Errorf("%w: signer certificate (serial %s, issuer %s) is neither embedded in the signature nor one of the %d trusted certificates",
				ErrUntrusted, oracleSerialString(si.IssuerAndSerialNumber.SerialNumber), oracleIssuerString(si.IssuerAndSerialNumber.IssuerName.FullBytes), len(roots))
		}
		// The library looks the signer up in p7.Certificates only.
		p7.Certificates = append(slices.Clip(embedded), ee)
	}
	signer := oracleDescribe(ee)
	if err := oracleCheckKeyType(ee, si.DigestEncryptionAlgorithm.Algorithm, signer); err != nil {
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
			return nil, fmt.Errorf("%w: the signed attributes do not oracleVerify with the key of signer %s (corrupted?): %s", ErrMismatch, signer, libErr(err))
		default:
			return nil, fmt.Errorf("%w: signature does not oracleVerify over %q with the key of signer %s (signed another root hash, or corrupted): %s", ErrMismatch, rootHash, signer, libErr(err))
		}
	}

	if err := oracleVerifyChain(ee, embedded, roots, opts); err != nil {
		return nil, fmt.Errorf("%w: signer %s %w", ErrUntrusted, signer, err)
	}
	return signer, nil
}

// Accepted algorithms. The digest must be SHA-2 (256, 384 or 512); SHA-1 is
// refused although Go's CheckSignature would accept it.
var (
	oracleOidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oracleOidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oracleOidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oracleOidRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oracleOidRSASHA256     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oracleOidRSASHA384     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oracleOidRSASHA512     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oracleOidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oracleOidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oracleOidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oracleOidSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oracleOidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oracleOidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oracleOidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

func oracleCheckAlgorithms(digest, sigAlg asn1.ObjectIdentifier) error {
	switch {
	case digest.Equal(oracleOidSHA256), digest.Equal(oracleOidSHA384), digest.Equal(oracleOidSHA512):
	case digest.Equal(oracleOidSHA1):
		return fmt.Errorf("%w: digest algorithm SHA-1 is refused; sign with SHA-256 or stronger", ErrUnsupported)
	default:
		return fmt.Errorf("%w: digest algorithm %s, want SHA-256, SHA-384 or SHA-512", ErrUnsupported, digest)
	}
	if !oracleIsRSA(sigAlg) && !oracleIsECDSA(sigAlg) {
		return fmt.Errorf("%w: signature algorithm %s, want rsaEncryption (PKCS#1 v1.5) or ecdsa-with-SHA256/384/512", ErrUnsupported, sigAlg)
	}
	return nil
}

func oracleIsRSA(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oracleOidRSA) || oid.Equal(oracleOidRSASHA256) || oid.Equal(oracleOidRSASHA384) || oid.Equal(oracleOidRSASHA512)
}

func oracleIsECDSA(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oracleOidECDSASHA256) || oid.Equal(oracleOidECDSASHA384) || oid.Equal(oracleOidECDSASHA512)
}

// oracleCheckKeyType checks that the signer certificate's key fits the signature
// algorithm.
func oracleCheckKeyType(c *x509.Certificate, sigAlg asn1.ObjectIdentifier, signer *veritysig.Signer) error {
	switch c.PublicKey.(type) {
	case *rsa.PublicKey:
		if oracleIsRSA(sigAlg) {
			return nil
		}
	case *ecdsa.PublicKey:
		if oracleIsECDSA(sigAlg) {
			return nil
		}
	default:
		return fmt.Errorf("%w: signer %s has a %s key, want RSA or ECDSA", ErrUnsupported, signer, c.PublicKeyAlgorithm)
	}
	return fmt.Errorf("%w: signature algorithm %s does not fit the %s key of signer %s", ErrMalformed, sigAlg, c.PublicKeyAlgorithm, signer)
}

// oracleCheckAttributes checks the signed attributes the kernel requires
// (pkcs7_sig_note_set_of_authattrs): a content type, which must be id-data,
// and a message digest, which the library compares.
func oracleCheckAttributes(p7 *pkcs7.PKCS7) error {
	var haveCT, haveMD bool
	for _, a := range p7.Signers[0].AuthenticatedAttributes {
		haveCT = haveCT || a.Type.Equal(oracleOidContentType)
		haveMD = haveMD || a.Type.Equal(oracleOidMessageDigest)
	}
	if !haveCT || !haveMD {
		return fmt.Errorf("%w: signed attributes lack content-type or message-digest", ErrMalformed)
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(oracleOidContentType, &ct); err != nil {
		return fmt.Errorf("%w: signed content-type attribute: %s", ErrMalformed, libErr(err))
	}
	if !ct.Equal(oracleOidData) {
		return fmt.Errorf("%w: signed content type is %s, want id-data (1.2.840.113549.1.7.1)", ErrMalformed, ct)
	}
	return nil
}

// oracleFindCert returns the certificate with the given raw issuer and serial.
func oracleFindCert(certs []*x509.Certificate, rawIssuer []byte, serial *big.Int) *x509.Certificate {
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

// oracleSerialString formats a serial number as openssl prints it (hex).
func oracleSerialString(n *big.Int) string {
	if n == nil {
		return "none"
	}
	return "0x" + n.Text(16)
}

// oracleIssuerString formats a raw DER issuer name, or says it does not parse.
func oracleIssuerString(raw []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdn); err != nil || len(rest) != 0 {
		return "(unparsable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return strconv.Quote(n.String())
}

func oracleDescribe(c *x509.Certificate) *veritysig.Signer {
	sum := sha256.Sum256(c.Raw)
	return &veritysig.Signer{
		Subject:           c.Subject.String(),
		FingerprintSHA256: hex.EncodeToString(sum[:]),
		Issuer:            c.Issuer.String(),
	}
}

// oracleVerifyChain checks that ee chains to one of roots, with the embedded
// certificates as intermediates, under the validity rule of opts.
func oracleVerifyChain(ee *x509.Certificate, embedded, roots []*x509.Certificate, opts VerifyOptions) error {
	if len(roots) == 0 {
		return errors.New("cannot chain to a trusted certificate: none was given")
	}
	check := opts.ChecksValidity()
	use := func(c *x509.Certificate) *x509.Certificate {
		if check {
			return c
		}
		return oracleTimeless(c)
	}
	vo := x509.VerifyOptions{
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
		// Like the kernel and "openssl cms -oracleVerify -purpose any": the
		// extended key usage is not checked.
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		CurrentTime: opts.Now,
	}
	if !check {
		vo.CurrentTime = oracleTimelessNow
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

// oracleTimelessNow is the time chains are verified at when validity periods are
// ignored; any time within [oracleTimelessNotBefore, oracleTimelessNotAfter] would do.
var (
	oracleTimelessNotBefore = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	oracleTimelessNow       = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	oracleTimelessNotAfter  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// oracleTimeless returns a copy of c whose validity period covers all time, so
// that crypto/x509 checks the chain (issuer names, signatures, basic
// constraints, key usage, path length, name constraints, critical
// extensions) but not the clock. The signatures are over RawTBSCertificate,
// which the copy shares, so they are checked unchanged.
func oracleTimeless(c *x509.Certificate) *x509.Certificate {
	cc := *c
	cc.NotBefore, cc.NotAfter = oracleTimelessNotBefore, oracleTimelessNotAfter
	return &cc
}

// maxLibErr bounds the part of a library's error text quoted in ours.
const maxLibErr = 120

// libErr returns a library error's text as a single line of at most
// maxLibErr bytes: pkcs7's messages can contain newlines and tabs, and
// encoding/asn1's end with a dump of struct tags.
func libErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, " {optional:"); i >= 0 {
		s = s[:i]
	}
	if strings.ContainsAny(s, "\n\t\r") {
		s = strings.Join(strings.Fields(s), " ")
	}
	if len(s) > maxLibErr {
		s = s[:maxLibErr] + "…"
	}
	return s
}
