package sig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/verinit/verinit/pkg/veritysig"
)

// Certificate is an X.509 certificate read as far as checking a chain of
// root-hash signers needs: names, serial number, public key, validity,
// the extensions that constrain signing, and the signature. It is what the
// kernel's x509_cert_parser.c reads for the same purpose, plus the
// constraints crypto/x509 enforces (see doc.go). Fields other than Raw,
// Subject and Issuer are not exported; Verify uses them.
type Certificate struct {
	Raw     []byte // the complete DER
	Subject string // subject DN, RFC 2253 style, as crypto/x509/pkix prints it
	Issuer  string // issuer DN, likewise

	rawTBS     []byte
	rawIssuer  []byte // the issuer Name, DER, tag included
	rawSubject []byte // the subject Name, DER, tag included
	rawSPKI    []byte
	serial     []byte // the serial number INTEGER's content octets
	version    int    // 1, 2 or 3
	sigAlg     sigAlgorithm
	signature  []byte
	notBefore  time.Time
	notAfter   time.Time
	hintName   string // CN, else first O, else "serial:N", for chain errors

	keyAlg string // "RSA", "ECDSA", "Ed25519", ... or the OID
	rsaKey *rsa.PublicKey
	ecKey  *ecdsa.PublicKey

	basicConstraints bool // the extension is present
	isCA             bool
	maxPathLen       int // -1 when absent
	keyUsage         int // bits as crypto/x509 numbers them; 0 when absent
	subjectKeyID     []byte
	authorityKeyID   []byte // the key identifier of the authority key identifier extension, nil when absent
	akidIssuer       []byte // its authorityCertIssuer directory name (a Name, DER, tag included), nil when absent
	akidSerial       []byte // its authorityCertSerialNumber content octets, nil when absent
	san              []byte // subjectAltName extension value, nil when absent
	nameConstraints  bool
	policyChecks     bool // policy constraints or policy mappings present
	unhandled        bool // a critical extension this parser does not act on

	// kernelRefuses says why the kernel's x509_cert_parse would refuse
	// this certificate, "" if it reads it. The kernel refuses a whole
	// signature that embeds such a certificate (pkcs7_extract_cert), so
	// Verify does too; a trusted certificate is not held to it.
	kernelRefuses string
}

// keyUsageCertSign is the keyCertSign bit of the key usage extension, as
// crypto/x509 numbers the bits (KeyUsageCertSign).
const keyUsageCertSign = 1 << 5

// RSA key bounds, checked when a certificate is parsed. The modulus cap
// bounds the cost of one verification: modular multiplication is
// quadratic in the modulus size, and a 16384-bit verification already
// costs about 150 times a 2048-bit one (verifyWork counts it so). The
// exponent must be odd and from 3 to 2^31-1, what crypto/rsa verifies
// with (checkPublicKey refuses the rest), so nothing the init could use
// is refused, and a verification takes at most 31 squarings and 31
// multiplications after the setup. The kernel accepts any exponent no
// longer than the modulus (rsa_get_e) but only moduli of 512 to 4096
// bits (rsa_check_key_length).
const (
	maxRSABits         = 16384
	maxRSAExponentBits = 31
)

// maxCertificateBytes bounds one certificate; a signature (and so any
// embedded certificate) is bounded by veritysig.MaxSignatureBytes anyway.
const maxCertificateBytes = veritysig.MaxSignatureBytes

// ParseCertificates parses the trusted certificates of a PEM bundle: every
// "CERTIFICATE" block, in order. Text between blocks (comments, openssl's
// subject= lines) is ignored. Any other block type (a private key packed by
// mistake, for one) is an error, as is a bundle with no certificate.
func ParseCertificates(pemBytes []byte) ([]*Certificate, error) {
	var certs []*Certificate
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
		c, err := ParseCertificate(block.Bytes)
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

// ParseCertificate parses one DER certificate. It refuses what
// crypto/x509.ParseCertificate refuses in the parts it reads (versions,
// negative serial numbers, mismatched signature algorithms, RSA keys
// without NULL parameters, points off the curve, duplicate, malformed or
// wrongly critical extensions, strings that break their type) and, unlike
// crypto/x509, also bytes after the certificate's last field.
func ParseCertificate(der []byte) (*Certificate, error) {
	c, err := parseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return c, nil
}

func parseCertificate(der []byte) (*Certificate, error) {
	if len(der) > maxCertificateBytes {
		return nil, fmt.Errorf("%d bytes, more than the limit of %d", len(der), maxCertificateBytes)
	}
	c := &Certificate{maxPathLen: -1}
	in := cryptobyte.String(der)
	var raw, cert, tbs, tbsBody cryptobyte.String
	if !in.ReadASN1Element(&raw, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed certificate")
	}
	c.Raw = raw
	if !raw.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed certificate")
	}
	c.rawTBS = tbs
	if !tbs.ReadASN1(&tbsBody, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed TBSCertificate")
	}
	// The int64 readers, not ReadASN1Integer, whose generic form uses
	// reflection.
	var version int64
	var explicit cryptobyte.String
	var present bool
	if !tbsBody.ReadOptionalASN1(&explicit, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		present && (!explicit.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || !explicit.Empty()) || version < 0 || version > 2 {
		return nil, errors.New("malformed or unknown version")
	}
	c.version = int(version) + 1
	var serial cryptobyte.String
	if !tbsBody.ReadASN1(&serial, cbasn1.INTEGER) || !validInteger(serial) {
		return nil, errors.New("malformed serial number")
	}
	if serial[0]&0x80 != 0 {
		return nil, errors.New("negative serial number")
	}
	c.serial = serial
	var innerAlg, outerAlg cryptobyte.String
	if !tbsBody.ReadASN1(&innerAlg, cbasn1.SEQUENCE) || !cert.ReadASN1(&outerAlg, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed signature algorithm")
	}
	if !bytes.Equal(innerAlg, outerAlg) {
		return nil, errors.New("inner and outer signature algorithm identifiers differ")
	}
	var algOID cryptobyte.String
	if !innerAlg.ReadASN1(&algOID, cbasn1.OBJECT_IDENTIFIER) || !validOID(algOID) || !skipAny(&innerAlg) {
		return nil, errors.New("malformed signature algorithm")
	}
	c.sigAlg = certSigAlgorithm(algOID)
	if !kernelCertSigAlgorithm(algOID) {
		c.noteKernelRefuses("its signature algorithm " + oidString(algOID) + " is not one x509_note_sig_algo knows")
	}

	var err error
	if !tbsBody.ReadASN1Element((*cryptobyte.String)(&c.rawIssuer), cbasn1.SEQUENCE) {
		return nil, errors.New("malformed issuer")
	}
	issuer, err := parseName(c.rawIssuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	c.Issuer = issuer.String()
	var validity cryptobyte.String
	if !tbsBody.ReadASN1(&validity, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed validity")
	}
	var kernelOK bool
	if c.notBefore, kernelOK, err = readTimeKernel(&validity); err != nil {
		return nil, err
	} else if !kernelOK {
		c.noteKernelRefuses("its notBefore is not a time x509_decode_time reads")
	}
	if c.notAfter, kernelOK, err = readTimeKernel(&validity); err != nil {
		return nil, err
	} else if !kernelOK {
		c.noteKernelRefuses("its notAfter is not a time x509_decode_time reads")
	}
	if !validity.Empty() {
		return nil, errors.New("malformed validity")
	}
	if !tbsBody.ReadASN1Element((*cryptobyte.String)(&c.rawSubject), cbasn1.SEQUENCE) {
		return nil, errors.New("malformed subject")
	}
	subject, err := parseName(c.rawSubject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	c.Subject = subject.String()
	c.hintName = subject.hintName()
	if !tbsBody.ReadASN1Element((*cryptobyte.String)(&c.rawSPKI), cbasn1.SEQUENCE) {
		return nil, errors.New("malformed subject public key info")
	}
	if err := c.parseSPKI(); err != nil {
		return nil, err
	}
	if c.version > 1 {
		if !tbsBody.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific()) || !tbsBody.SkipOptionalASN1(cbasn1.Tag(2).ContextSpecific()) {
			return nil, errors.New("malformed unique identifier")
		}
	}
	if c.version == 3 {
		var exts cryptobyte.String
		var present bool
		if !tbsBody.ReadOptionalASN1(&exts, &present, cbasn1.Tag(3).Constructed().ContextSpecific()) {
			return nil, errors.New("malformed extensions")
		}
		if present {
			if err := c.parseExtensions(exts); err != nil {
				return nil, err
			}
		}
	}
	if !tbsBody.Empty() {
		return nil, errors.New("unexpected data after the extensions")
	}
	var sig []byte
	if !readBitString(&cert, &sig) || !cert.Empty() {
		return nil, errors.New("malformed signature")
	}
	c.signature = sig
	if c.hintName == "" {
		// Decimal as crypto/x509 names it, but hex for a serial too long
		// for any CA (RFC 5280 allows 20 bytes), whose decimal form would
		// cost more than linear time.
		if len(c.serial) <= 32 {
			c.hintName = "serial:" + new(big.Int).SetBytes(c.serial).String()
		} else {
			c.hintName = "serial:0x" + hex.EncodeToString(c.serial)
		}
	}
	return c, nil
}

// kernelCertSigAlgorithm reports whether the kernel's x509_note_sig_algo
// reads a certificate signature algorithm (md4/sha1/sha224/sha256/sha384/
// sha512 with RSA, ECDSA with SHA-1 or SHA-2, GOST R 34.10-2012, SM2);
// for any other (RSA-PSS, Ed25519, MD5) x509_cert_parse fails.
func kernelCertSigAlgorithm(oid []byte) bool {
	switch {
	case len(oid) == 9 && bytes.HasPrefix(oid, oidPKCS1):
		// 1.1.4 is md5WithRSAEncryption, which the kernel's OID registry
		// names md4WithRSAEncryption (and hashes with md4).
		return oid[8] == 4 || oid[8] == 5 || 11 <= oid[8] && oid[8] <= 14
	case bytes.Equal(oid, []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}): // ecdsa-with-SHA1
		return true
	case len(oid) == 8 && bytes.HasPrefix(oid, oidECDSA):
		return 1 <= oid[7] && oid[7] <= 4
	case bytes.Equal(oid, []byte{0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02}), // gost2012Signature256
		bytes.Equal(oid, []byte{0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x03}), // gost2012Signature512
		bytes.Equal(oid, []byte{0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75}): // SM2-with-SM3
		return true
	}
	return false
}

// Public key algorithm and curve identifiers.
var (
	oidKeyRSA     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01} // 1.2.840.113549.1.1.1
	oidKeyEC      = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}             // 1.2.840.10045.2.1
	oidKeyDSA     = []byte{0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01}             // 1.2.840.10040.4.1
	oidKeyEd25519 = []byte{0x2b, 0x65, 0x70}                                     // 1.3.101.112
	oidKeyX25519  = []byte{0x2b, 0x65, 0x6e}                                     // 1.3.101.110
	oidCurveP224  = []byte{0x2b, 0x81, 0x04, 0x00, 0x21}                         // 1.3.132.0.33
	oidCurveP256  = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}       // 1.2.840.10045.3.1.7
	oidCurveP384  = []byte{0x2b, 0x81, 0x04, 0x00, 0x22}                         // 1.3.132.0.34
	oidCurveP521  = []byte{0x2b, 0x81, 0x04, 0x00, 0x23}                         // 1.3.132.0.35
)

// parseSPKI reads RSA and ECDSA keys as crypto/x509 does. Keys of other
// algorithms are only named: they cannot sign a root hash here.
func (c *Certificate) parseSPKI() error {
	spki := cryptobyte.String(c.rawSPKI)
	var body, alg, oid cryptobyte.String
	if !spki.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !validOID(oid) {
		return errors.New("malformed subject public key info")
	}
	params := alg
	if !skipAny(&alg) {
		return errors.New("malformed public key parameters")
	}
	var key []byte
	if !readBitString(&body, &key) || !body.Empty() {
		return errors.New("malformed subject public key")
	}
	switch {
	case bytes.Equal(oid, oidKeyRSA):
		c.keyAlg = "RSA"
		if !bytes.Equal(params, []byte{0x05, 0x00}) {
			return errors.New("RSA key without NULL parameters")
		}
		k := cryptobyte.String(key)
		var seq, nb, eb cryptobyte.String
		if !k.ReadASN1(&seq, cbasn1.SEQUENCE) || !k.Empty() || !seq.ReadASN1(&nb, cbasn1.INTEGER) || !seq.ReadASN1(&eb, cbasn1.INTEGER) ||
			!seq.Empty() || !validInteger(nb) || !validInteger(eb) {
			return errors.New("malformed RSA public key")
		}
		if nb[0]&0x80 != 0 || eb[0]&0x80 != 0 || len(nb) == 1 && nb[0] == 0 {
			return errors.New("RSA modulus or exponent is not positive")
		}
		// Sizes first, from the encoding: a hostile key costs no more
		// than its bytes.
		if bits := intBits(nb); bits > maxRSABits {
			return fmt.Errorf("certificate %q has an RSA modulus of %d bits, more than the limit of %d", c.Subject, bits, maxRSABits)
		}
		if bits := intBits(eb); bits > maxRSAExponentBits {
			return fmt.Errorf("certificate %q has an RSA public exponent of %d bits, more than the limit of %d (2^31-1, as crypto/rsa)", c.Subject, bits, maxRSAExponentBits)
		}
		e := 0
		for _, b := range eb {
			e = e<<8 | int(b)
		}
		if e < 3 || e%2 == 0 {
			return fmt.Errorf("certificate %q has the RSA public exponent %d, want an odd number from 3 to 2^31-1", c.Subject, e)
		}
		c.rsaKey = &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: e}
	case bytes.Equal(oid, oidKeyEC):
		c.keyAlg = "ECDSA"
		var curveOID cryptobyte.String
		if !params.ReadASN1(&curveOID, cbasn1.OBJECT_IDENTIFIER) {
			return errors.New("malformed ECDSA parameters")
		}
		var curve elliptic.Curve
		switch {
		case bytes.Equal(curveOID, oidCurveP224):
			curve = elliptic.P224()
		case bytes.Equal(curveOID, oidCurveP256):
			curve = elliptic.P256()
		case bytes.Equal(curveOID, oidCurveP384):
			curve = elliptic.P384()
		case bytes.Equal(curveOID, oidCurveP521):
			curve = elliptic.P521()
		default:
			return errors.New("unsupported elliptic curve")
		}
		k, err := ecdsa.ParseUncompressedPublicKey(curve, key)
		if err != nil {
			return fmt.Errorf("ECDSA public key: %w", err)
		}
		c.ecKey = k
	case bytes.Equal(oid, oidKeyEd25519):
		c.keyAlg = "Ed25519"
	case bytes.Equal(oid, oidKeyX25519):
		c.keyAlg = "X25519"
	case bytes.Equal(oid, oidKeyDSA):
		c.keyAlg = "DSA"
	default:
		c.keyAlg = oidString(oid)
	}
	if c.rsaKey == nil && c.ecKey == nil {
		// x509_extract_key_data also reads GOST and SM2 keys, which
		// cannot sign a root hash here either.
		c.noteKernelRefuses("its key is " + c.keyAlg + ", not RSA or ECDSA")
	}
	return nil
}

// maxExtensions bounds the extensions of one certificate (a CA
// certificate has about 6).
const maxExtensions = 64

// parseExtensions reads the extensions Verify acts on, refusing the same
// malformations crypto/x509 refuses in them, and notes critical extensions
// it does not act on.
func (c *Certificate) parseExtensions(exts cryptobyte.String) error {
	var seq cryptobyte.String
	if !exts.ReadASN1(&seq, cbasn1.SEQUENCE) || !exts.Empty() {
		return errors.New("malformed extensions")
	}
	var seen [][]byte
	for !seq.Empty() {
		var ext, oid, value cryptobyte.String
		critical := false
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !validOID(oid) {
			return errors.New("malformed extension")
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) && !ext.ReadASN1Boolean(&critical) {
			return errors.New("malformed extension criticality")
		}
		if !ext.ReadASN1(&value, cbasn1.OCTET_STRING) || !ext.Empty() {
			return errors.New("malformed extension value")
		}
		for _, s := range seen {
			if bytes.Equal(s, oid) {
				return fmt.Errorf("duplicate extension %s", oidString(oid))
			}
		}
		if len(seen) == maxExtensions {
			return fmt.Errorf("more than %d extensions", maxExtensions)
		}
		seen = append(seen, oid)
		handled, err := c.parseExtension(oid, critical, value)
		if err != nil {
			return fmt.Errorf("extension %s: %w", oidString(oid), err)
		}
		if critical && !handled {
			c.unhandled = true
		}
	}
	return nil
}

// idCE is the prefix of the certificate extension identifiers (2.5.29).
var idCE = []byte{0x55, 0x1d}

// oidAuthorityInfoAccess is 1.3.6.1.5.5.7.1.1.
var oidAuthorityInfoAccess = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01}

// parseExtension reads one extension and reports whether a critical one
// counts as handled, with crypto/x509's rules.
func (c *Certificate) parseExtension(oid []byte, critical bool, v cryptobyte.String) (bool, error) {
	if bytes.Equal(oid, oidAuthorityInfoAccess) {
		if critical {
			return false, errors.New("marked critical")
		}
		return true, nil
	}
	if len(oid) != 3 || !bytes.HasPrefix(oid, idCE) {
		return false, nil
	}
	switch oid[2] {
	case 14: // subject key identifier
		if critical {
			return false, errors.New("marked critical")
		}
		var id cryptobyte.String
		if !v.ReadASN1(&id, cbasn1.OCTET_STRING) {
			return false, errors.New("malformed subject key identifier")
		}
		c.subjectKeyID = id
		if len(id) == 0 || len(id) > 127 || !v.Empty() {
			// x509_process_extension wants 1 to 127 bytes, in one
			// short-form OCTET STRING.
			c.noteKernelRefuses(fmt.Sprintf("its subject key identifier is %d bytes, not 1 to 127", len(id)))
		}
	case 15: // key usage
		var bits []byte
		var unused int
		if !readBitStringBits(&v, &bits, &unused) {
			return false, errors.New("malformed key usage")
		}
		for i := 0; i < 9 && i < 8*len(bits)-unused; i++ {
			if bits[i/8]&(0x80>>(i%8)) != 0 {
				c.keyUsage |= 1 << i
			}
		}
	case 17: // subject alternative name
		names, err := sanNames(v)
		if err != nil {
			return false, err
		}
		c.san = v
		return names, nil
	case 19: // basic constraints
		var seq cryptobyte.String
		if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
			return false, errors.New("malformed basic constraints")
		}
		if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !seq.ReadASN1Boolean(&c.isCA) {
			return false, errors.New("malformed basic constraints")
		}
		if seq.PeekASN1Tag(cbasn1.INTEGER) {
			var n int64
			if !seq.ReadASN1Int64WithTag(&n, cbasn1.INTEGER) || n < 0 || n > math.MaxInt {
				return false, errors.New("malformed path length")
			}
			c.maxPathLen = int(n)
		}
		c.basicConstraints = true
	case 30: // name constraints
		handled, err := nameConstraintForms(v)
		if err != nil {
			return false, err
		}
		c.nameConstraints = true
		return handled, nil
	case 33, 36: // policy mappings, policy constraints
		c.policyChecks = true
	case 35: // authority key identifier
		if critical {
			return false, errors.New("marked critical")
		}
		if err := c.parseAKID(v); err != nil {
			return false, err
		}
	case 31, 32, 37, 54: // CRL distribution points, policies, extended key usage, inhibit anyPolicy
	default:
		return false, nil
	}
	return true, nil
}

// parseAKID reads an authority key identifier (RFC 5280 4.2.1.1) as the
// kernel's x509_akid.asn1 does: an optional key identifier, optional
// issuer names and an optional serial number, nothing else. The kernel
// links a certificate to its issuer only through it: by the issuer's
// name and serial number when both are given (the last directory name
// counts), else by the issuer's subject key identifier.
func (c *Certificate) parseAKID(v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) || !v.Empty() {
		return errors.New("malformed authority key identifier")
	}
	var id, names, serial cryptobyte.String
	var haveID, haveNames, haveSerial bool
	if !seq.ReadOptionalASN1(&id, &haveID, cbasn1.Tag(0).ContextSpecific()) ||
		!seq.ReadOptionalASN1(&names, &haveNames, cbasn1.Tag(1).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&serial, &haveSerial, cbasn1.Tag(2).ContextSpecific()) || !seq.Empty() {
		return errors.New("malformed authority key identifier")
	}
	if haveID {
		if id == nil {
			id = cryptobyte.String{}
		}
		c.authorityKeyID = id
	}
	var issuer []byte
	for !names.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) || tag&0xc0 != 0x80 || tag&0x1f > 8 {
			return errors.New("malformed authority key identifier issuer")
		}
		if tag == cbasn1.Tag(4).ContextSpecific().Constructed() { // directoryName: [4] EXPLICIT Name
			var name cryptobyte.String
			if !gn.ReadASN1Element(&name, cbasn1.SEQUENCE) || !gn.Empty() {
				return errors.New("malformed authority key identifier issuer")
			}
			issuer = name
		}
	}
	if haveSerial {
		if !validInteger(serial) {
			return errors.New("malformed authority key identifier serial number")
		}
		if issuer != nil {
			c.akidIssuer, c.akidSerial = issuer, serial
		}
	}
	return nil
}

// hasAKID reports whether the certificate names its issuer's key, by key
// identifier or by issuer and serial number.
func (c *Certificate) hasAKID() bool {
	return c.authorityKeyID != nil || c.akidSerial != nil
}

// noteKernelRefuses records the first reason the kernel would refuse the
// certificate.
func (c *Certificate) noteKernelRefuses(why string) {
	if c.kernelRefuses == "" {
		c.kernelRefuses = why
	}
}

// sanNames checks the framing of a subjectAltName value and reports
// whether it holds a name crypto/x509 reads (email, DNS, URI or IP);
// without one crypto/x509 treats a critical extension as unhandled.
func sanNames(v cryptobyte.String) (bool, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return false, errors.New("malformed subject alternative name")
	}
	found := false
	for !seq.Empty() {
		var name cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&name, &tag) {
			return false, errors.New("malformed subject alternative name")
		}
		switch tag {
		case cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific(), cbasn1.Tag(6).ContextSpecific(), cbasn1.Tag(7).ContextSpecific():
			found = true
		}
	}
	return found, nil
}

// nameConstraintForms checks the framing of a name constraints value and
// reports whether crypto/x509 handles every name form in it (DNS, email,
// URI, IP address); a critical extension with another form (a directory
// name, say) is one it leaves unhandled, and so refuses.
func nameConstraintForms(v cryptobyte.String) (bool, error) {
	var seq, permitted, excluded cryptobyte.String
	var havePermitted, haveExcluded bool
	if !v.ReadASN1(&seq, cbasn1.SEQUENCE) || !v.Empty() ||
		!seq.ReadOptionalASN1(&permitted, &havePermitted, cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&excluded, &haveExcluded, cbasn1.Tag(1).ContextSpecific().Constructed()) || !seq.Empty() {
		return false, errors.New("malformed name constraints")
	}
	if len(permitted) == 0 && len(excluded) == 0 {
		return false, errors.New("empty name constraints")
	}
	handled := true
	for _, subtrees := range []cryptobyte.String{permitted, excluded} {
		for !subtrees.Empty() {
			var subtree, base cryptobyte.String
			var tag cbasn1.Tag
			if !subtrees.ReadASN1(&subtree, cbasn1.SEQUENCE) || !subtree.ReadAnyASN1(&base, &tag) {
				return false, errors.New("malformed name constraints")
			}
			switch tag {
			case cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific(), cbasn1.Tag(6).ContextSpecific(), cbasn1.Tag(7).ContextSpecific():
			default:
				handled = false
			}
		}
	}
	return handled, nil
}

// readTimeKernel reads a time as readTime does, and reports whether the
// kernel's x509_decode_time reads it too: "YYMMDDhhmmssZ" or
// "YYYYMMDDhhmmssZ", a GeneralizedTime only for years before 1950 or
// after 2049 (RFC 5280 4.1.2.5), and no year before 1970.
func readTimeKernel(s *cryptobyte.String) (time.Time, bool, error) {
	var tag cbasn1.Tag
	var raw cryptobyte.String
	peek := *s
	peek.ReadAnyASN1(&raw, &tag)
	t, err := readTime(s)
	if err != nil {
		return t, false, err
	}
	y := t.Year()
	ok := raw[len(raw)-1] == 'Z' && y >= 1970 &&
		(tag == cbasn1.UTCTime && len(raw) == 13 || tag == cbasn1.GeneralizedTime && len(raw) == 15 && (y < 1950 || y > 2049))
	return t, ok, nil
}

// readTime reads a UTCTime or GeneralizedTime.
func readTime(s *cryptobyte.String) (time.Time, error) {
	tag, utc, name := cbasn1.GeneralizedTime, false, "GeneralizedTime"
	switch {
	case s.PeekASN1Tag(cbasn1.UTCTime):
		tag, utc, name = cbasn1.UTCTime, true, "UTCTime"
	case !s.PeekASN1Tag(cbasn1.GeneralizedTime):
		return time.Time{}, errors.New("unsupported time format")
	}
	var b cryptobyte.String
	if !s.ReadASN1(&b, tag) {
		return time.Time{}, errors.New("malformed " + name)
	}
	t, ok := parseASN1Time(b, utc)
	if !ok {
		return t, errors.New("malformed " + name)
	}
	return t, nil
}

// readBitString reads a BIT STRING whose length is a whole number of
// bytes, as signatures and keys are.
func readBitString(s *cryptobyte.String, out *[]byte) bool {
	var unused int
	return readBitStringBits(s, out, &unused) && unused == 0
}

// readBitStringBits reads a BIT STRING as DER encodes it: the count of
// unused bits (0 to 7, 0 when empty) and the bytes, unused bits zero.
func readBitStringBits(s *cryptobyte.String, out *[]byte, unused *int) bool {
	var b cryptobyte.String
	if !s.ReadASN1(&b, cbasn1.BIT_STRING) || len(b) == 0 {
		return false
	}
	u := int(b[0])
	if u > 7 || len(b) == 1 && u != 0 || u > 0 && b[len(b)-1]&(1<<u-1) != 0 {
		return false
	}
	*out, *unused = b[1:], u
	return true
}

// intBits returns the bit length of a non-negative INTEGER's content.
func intBits(b []byte) int {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0
	}
	return 8*(len(b)-1) + bits.Len8(b[0])
}

// validInteger reports whether b is the minimal content of a DER INTEGER.
func validInteger(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		return false
	}
	return true
}

// validOID reports whether b is the content of an OBJECT IDENTIFIER that
// crypto/x509 and encoding/asn1 read: minimal base-128 arcs of at most 31
// bits, the last one complete.
func validOID(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	v, n := 0, 0
	for i, c := range b {
		if n == 0 && c == 0x80 || n == 5 || v >= 1<<24 {
			return false
		}
		v, n = v<<7|int(c&0x7f), n+1
		if c&0x80 == 0 {
			v, n = 0, 0
		} else if i == len(b)-1 {
			return false
		}
	}
	return true
}

// validOIDAnyArc reports whether b is the content of an OBJECT
// IDENTIFIER of minimal base-128 arcs of any size, the last one complete.
// Signed attribute types may be UUID OIDs (2.25.N, X.667) such as
// OIDRootVersion, whose third arc has 128 bits.
func validOIDAnyArc(b []byte) bool {
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return false
	}
	start := true
	for _, c := range b {
		if start && c == 0x80 {
			return false
		}
		start = c&0x80 == 0
	}
	return true
}

// skipAny skips the rest of an AlgorithmIdentifier: nothing, or one
// element of any type.
func skipAny(s *cryptobyte.String) bool {
	if s.Empty() {
		return true
	}
	var v cryptobyte.String
	var tag cbasn1.Tag
	return s.ReadAnyASN1Element(&v, &tag) && s.Empty()
}

// oidString formats OID content octets in dotted form.
func oidString(b []byte) string {
	var out []byte
	var v uint64
	first := true
	for _, c := range b {
		if v > 1<<56 {
			return "(overlong OID)"
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			x := min(v/40, 2)
			out = fmt.Appendf(out, "%d.%d", x, v-40*x)
			first = false
		} else {
			out = fmt.Appendf(out, ".%d", v)
		}
		v = 0
	}
	return string(out)
}

// An attribute is one type=value pair of a distinguished name.
type attribute struct {
	oid   []byte
	value string
}

// A name is a distinguished name: its relative names, in order.
type name [][]attribute

// maxNameAttributes bounds the attributes of one name.
const maxNameAttributes = 64

// parseName reads a Name (an RDNSequence) with the string rules of
// crypto/x509: each value must be a string type, valid for its type.
func parseName(der []byte) (name, error) {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return nil, errors.New("malformed name")
	}
	var n name
	count := 0
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return nil, errors.New("malformed name")
		}
		var rdn []attribute
		for !set.Empty() {
			var atv, oid, raw cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !validOID(oid) ||
				!atv.ReadAnyASN1(&raw, &tag) {
				return nil, errors.New("malformed name attribute")
			}
			if count++; count > maxNameAttributes {
				return nil, fmt.Errorf("name has more than %d attributes", maxNameAttributes)
			}
			v, err := asn1String(tag, raw)
			if err != nil {
				return nil, fmt.Errorf("name attribute %s: %w", oidString(oid), err)
			}
			rdn = append(rdn, attribute{oid, v})
		}
		n = append(n, rdn)
	}
	return n, nil
}

// asn1String decodes the string types crypto/x509 accepts in names.
func asn1String(tag cbasn1.Tag, v []byte) (string, error) {
	switch tag {
	case cbasn1.T61String: // read as Latin-1, as crypto/x509 and BoringSSL do
		b := make([]byte, 0, len(v))
		for _, c := range v {
			b = utf8.AppendRune(b, rune(c))
		}
		return string(b), nil
	case cbasn1.PrintableString:
		for _, c := range v {
			if !isPrintable(c) && c != '*' && c != '&' {
				return "", errors.New("invalid PrintableString")
			}
		}
	case cbasn1.UTF8String:
		if !utf8.Valid(v) {
			return "", errors.New("invalid UTF8String")
		}
	case cbasn1.Tag(30): // BMPString: UCS-2, no surrogates or noncharacters
		if len(v)%2 != 0 {
			return "", errors.New("invalid BMPString")
		}
		if l := len(v); l >= 2 && v[l-1] == 0 && v[l-2] == 0 {
			v = v[:l-2]
		}
		u := make([]uint16, 0, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			p := uint16(v[i])<<8 | uint16(v[i+1])
			if p == 0xfffe || p == 0xffff || 0xfdd0 <= p && p <= 0xfdef || 0xd800 <= p && p <= 0xdfff {
				return "", errors.New("invalid BMPString")
			}
			u = append(u, p)
		}
		return string(utf16.Decode(u)), nil
	case cbasn1.IA5String:
		for _, c := range v {
			if c >= utf8.RuneSelf {
				return "", errors.New("invalid IA5String")
			}
		}
	case cbasn1.Tag(18): // NumericString
		for _, c := range v {
			if !('0' <= c && c <= '9' || c == ' ') {
				return "", errors.New("invalid NumericString")
			}
		}
	default:
		return "", fmt.Errorf("unsupported string type %d", tag)
	}
	return string(v), nil
}

// isPrintable reports whether c may appear in a PrintableString.
func isPrintable(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		'\'' <= c && c <= ')' || '+' <= c && c <= '/' || c == ' ' || c == ':' || c == '=' || c == '?'
}

// Attribute types crypto/x509/pkix names, in the order its Name.String
// writes them (reversed: last first).
var nameTypes = [...]struct {
	arc   byte // 2.5.4.arc
	label string
}{{6, "C"}, {8, "ST"}, {7, "L"}, {9, "STREET"}, {17, "POSTALCODE"}, {10, "O"}, {11, "OU"}, {3, "CN"}, {5, "SERIALNUMBER"}}

// knownType returns the index in nameTypes of an attribute type, or -1.
func knownType(oid []byte) int {
	if len(oid) == 3 && oid[0] == 0x55 && oid[1] == 0x04 {
		for i, t := range nameTypes {
			if t.arc == oid[2] {
				return i
			}
		}
	}
	return -1
}

// String formats the name exactly as crypto/x509/pkix's Name.String does
// for a parsed certificate name: attributes of other types first (each
// its own RDN, as "OID=#hex"), then C, ST, L, STREET, POSTALCODE, O, OU,
// CN and SERIALNUMBER (a repeated CN or SERIALNUMBER keeping only the
// last), the whole sequence reversed.
func (n name) String() string {
	var rdns [][]attribute
	var byType [len(nameTypes)][]attribute
	for _, rdn := range n {
		for _, a := range rdn {
			i := knownType(a.oid)
			switch {
			case i < 0:
				rdns = append(rdns, []attribute{a})
			case nameTypes[i].arc == 3 || nameTypes[i].arc == 5:
				byType[i] = []attribute{a}
			default:
				byType[i] = append(byType[i], a)
			}
		}
	}
	for i, as := range byType {
		if (nameTypes[i].arc == 3 || nameTypes[i].arc == 5) && len(as) == 1 && as[0].value == "" {
			continue
		}
		if len(as) > 0 {
			rdns = append(rdns, as)
		}
	}
	var b []byte
	for i := len(rdns) - 1; i >= 0; i-- {
		if i < len(rdns)-1 {
			b = append(b, ',')
		}
		for j, a := range rdns[i] {
			if j > 0 {
				b = append(b, '+')
			}
			if k := knownType(a.oid); k >= 0 {
				b = append(b, nameTypes[k].label...)
				b = append(b, '=')
				b = appendEscaped(b, a.value)
				continue
			}
			b = append(b, oidString(a.oid)...)
			b = append(b, "=#"...)
			b = appendStringDER(b, a.value)
		}
	}
	return string(b)
}

// appendEscaped escapes a value as RFC 2253 and crypto/x509/pkix do.
func appendEscaped(b []byte, v string) []byte {
	for k, r := range v {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';',
			r == ' ' && (k == 0 || k == len(v)-1),
			r == '#' && k == 0:
			b = append(b, '\\')
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// appendStringDER appends, in hex, the DER crypto/x509/pkix prints for a
// value of an unnamed type: a PrintableString when every character
// allows it, else a UTF8String.
func appendStringDER(b []byte, v string) []byte {
	tag := byte(0x13)
	for i := 0; i < len(v); i++ {
		if !isPrintable(v[i]) {
			tag = 0x0c
			break
		}
	}
	der := []byte{tag}
	switch l := len(v); {
	case l < 0x80:
		der = append(der, byte(l))
	case l < 0x100:
		der = append(der, 0x81, byte(l))
	default:
		der = append(der, 0x82, byte(l>>8), byte(l))
	}
	der = append(der, v...)
	const digits = "0123456789abcdef"
	for _, c := range der {
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}

// hintName is what crypto/x509 calls a certificate in chain errors: its
// CN, else its first O.
func (n name) hintName() string {
	cn, o := "", ""
	for _, rdn := range n {
		for _, a := range rdn {
			switch knownType(a.oid) {
			case 7:
				cn = a.value
			case 5:
				if o == "" {
					o = a.value
				}
			}
		}
	}
	if cn != "" {
		return cn
	}
	return o
}
