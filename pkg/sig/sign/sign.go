// Package sign makes dm-verity root-hash signatures on the host: detached
// PKCS#7 signatures made with github.com/smallstep/pkcs7 and crypto/x509,
// and the root-verity-sig partition content. It is the host half of
// package sig, kept apart so that the init, which only verifies, links
// neither crypto/x509 (and with it net) nor the PKCS#7 library.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/veritysig"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// Options are the optional parts of a root-hash signature.
type Options struct {
	// Intermediates are the certificates between the signer certificate
	// and the trusted root, nearest first, embedded after the signer's;
	// the root itself need not be embedded.
	Intermediates []*x509.Certificate

	// Version, when HasVersion is set, is bound to the signature as the
	// signed root version attribute (sig.OIDRootVersion), which
	// sig.Verify returns in Signer.Version. It needs signed attributes:
	// content type, message digest and signing time come with it.
	Version    uint64
	HasVersion bool
}

// RootHash makes a detached PKCS#7 signature (DER) over the root hash
// text. Without a version it is made as systemd-repart makes it:
// SHA-256, no signed attributes (openssl's -noattr, PKCS7_NOATTR), the
// signer identified by issuer and serial number, and cert followed by
// opts.Intermediates embedded. RSA keys sign with PKCS#1 v1.5 and the
// signature algorithm rsaEncryption, the RSA PKCS#1 v1.5 identifier the
// kernel's PKCS#7 parser accepts (pkcs7_sig_note_pkey_algo;
// sha256WithRSAEncryption fails there); ECDSA keys use ecdsa-with-SHA256.
// With opts.HasVersion it has signed attributes, in DER order: content
// type id-data, signing time (now), message digest and the root version;
// the kernel checks such a signature too (it ignores the version
// attribute), and so does "openssl cms -verify".
//
// rootHashHex is lower-cased first (see sig.Verify). key must be the
// private key of cert. The result is checked with sig.Verify, the init's
// verifier, against cert before it is returned. "openssl cms -verify
// -binary -inform DER -content roothash.txt -CAfile root.pem" accepts it.
func RootHash(rootHashHex string, key crypto.Signer, cert *x509.Certificate, opts Options) ([]byte, error) {
	rootHash, err := lowerHex(rootHashHex)
	if err != nil {
		return nil, err
	}
	if key == nil || cert == nil {
		return nil, errors.New("sign: key and certificate are required")
	}
	for i, c := range opts.Intermediates {
		if c == nil {
			return nil, fmt.Errorf("sign: intermediate certificate %d is nil", i)
		}
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("sign: the key does not belong to certificate %q", cert.Subject.String())
	}
	var sigAlg = oidECDSASHA256
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		sigAlg = oidRSA
	case *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("sign: %s keys are not supported, want RSA or ECDSA", cert.PublicKeyAlgorithm)
	}
	var der []byte
	if opts.HasVersion {
		der, err = withVersion(rootHash, key, cert, opts, sigAlg, time.Now())
	} else {
		der, err = noAttributes(rootHash, key, cert, opts, sigAlg)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	trusted, err := sig.ParseCertificate(cert.Raw)
	if err != nil {
		return nil, fmt.Errorf("sign: the init cannot read the signer certificate: %w", err)
	}
	s, err := sig.Verify(der, rootHash, []*sig.Certificate{trusted}, sig.VerifyOptions{})
	if err != nil {
		return nil, fmt.Errorf("sign: own signature does not verify: %w", err)
	}
	if s.HasVersion != opts.HasVersion || s.Version != opts.Version {
		return nil, fmt.Errorf("sign: own signature carries version %d (%v), not %d", s.Version, s.HasVersion, opts.Version)
	}
	return der, nil
}

// noAttributes signs with smallstep/pkcs7, without signed attributes.
func noAttributes(rootHash string, key crypto.Signer, cert *x509.Certificate, opts Options, sigAlg asn1.ObjectIdentifier) ([]byte, error) {
	sd, err := pkcs7.NewSignedData([]byte(rootHash))
	if err != nil {
		return nil, err
	}
	// Per instance: the library's default (SetDefaultDigestAlgorithm) is a
	// global and is SHA-1.
	sd.SetDigestAlgorithm(oidSHA256)
	sd.SetEncryptionAlgorithm(sigAlg)
	if err := sd.SignWithoutAttr(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, err
	}
	for _, c := range opts.Intermediates {
		sd.AddCertificate(c)
	}
	sd.Detach()
	return sd.Finish()
}

// Attribute types.
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
)

// withVersion builds the signature with signed attributes itself, in the
// layout smallstep/pkcs7 gives them (SignedData and SignerInfo version 1,
// certificates in the given order, attributes in DER order): the library
// cannot write the root version attribute, as its attribute types are
// encoding/asn1 ObjectIdentifiers, whose arcs are ints, and the UUID OID's
// last arc has 128 bits. Its AddSigner would also name RSA signatures
// sha256WithRSAEncryption, which the kernel refuses.
func withVersion(rootHash string, key crypto.Signer, cert *x509.Certificate, opts Options, sigAlg asn1.ObjectIdentifier, now time.Time) ([]byte, error) {
	versionOID, err := oidContent(sig.OIDRootVersion)
	if err != nil {
		return nil, err
	}
	md := sha256.Sum256([]byte(rootHash))
	attrs := [][]byte{
		attribute(oidContentType, nil, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attribute(oidSigningTime, nil, func(b *cryptobyte.Builder) { addTime(b, now) }),
		attribute(oidMessageDigest, nil, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md[:]) }),
		attribute(nil, versionOID, func(b *cryptobyte.Builder) { b.AddASN1Uint64(opts.Version) }),
	}
	// DER orders a SET OF by encoding; the signature is over this order.
	slices.SortFunc(attrs, bytes.Compare)
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	signed, err := set.Bytes()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(signed)
	signature, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddBytes(cert.Raw)
					for _, c := range opts.Intermediates {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							for _, a := range attrs {
								b.AddBytes(a)
							}
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(sigAlg) })
						b.AddASN1OctetString(signature)
					})
				})
			})
		})
	})
	return b.Bytes()
}

// attribute encodes an Attribute with one value: of type oid, or of the
// type whose content octets are raw.
func attribute(oid asn1.ObjectIdentifier, raw []byte, value func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if raw != nil {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(raw) })
		} else {
			b.AddASN1ObjectIdentifier(oid)
		}
		b.AddASN1(cbasn1.SET, value)
	})
	return b.BytesOrPanic()
}

// addTime writes a signing time as encoding/asn1 and openssl do: a
// UTCTime from 1950 to 2049, else a GeneralizedTime (the kernel's
// x509_decode_time reads no other).
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y >= 1950 && y < 2050 {
		b.AddASN1(cbasn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.Format("060102150405Z"))) })
		return
	}
	b.AddASN1GeneralizedTime(t)
}

// oidContent returns the DER content octets of a dotted OID whose arcs
// may be of any size (UUID OIDs have a 128-bit arc).
func oidContent(dotted string) ([]byte, error) {
	parts := strings.Split(dotted, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("OID %q has fewer than two arcs", dotted)
	}
	arcs := make([]*big.Int, len(parts))
	for i, p := range parts {
		n, ok := new(big.Int).SetString(p, 10)
		if !ok || n.Sign() < 0 {
			return nil, fmt.Errorf("OID %q: arc %q is not a number", dotted, p)
		}
		arcs[i] = n
	}
	if arcs[0].Cmp(big.NewInt(2)) > 0 || arcs[0].Cmp(big.NewInt(2)) < 0 && arcs[1].Cmp(big.NewInt(39)) > 0 {
		return nil, fmt.Errorf("OID %q: bad first arcs", dotted)
	}
	first := new(big.Int).Add(new(big.Int).Mul(arcs[0], big.NewInt(40)), arcs[1])
	var out []byte
	for _, a := range append([]*big.Int{first}, arcs[2:]...) {
		var groups []byte
		for v := new(big.Int).Set(a); ; {
			groups = append(groups, byte(new(big.Int).And(v, big.NewInt(0x7f)).Int64()))
			if v.Rsh(v, 7); v.Sign() == 0 {
				break
			}
		}
		for i := len(groups) - 1; i >= 0; i-- {
			if i > 0 {
				groups[i] |= 0x80
			}
			out = append(out, groups[i])
		}
	}
	return out, nil
}

// lowerHex checks and lower-cases a root hash as sig.Verify does.
func lowerHex(s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", fmt.Errorf("sign: root hash %q is not 1 to 64 bytes of hex", s)
	}
	return strings.ToLower(s), nil
}

// VeritySigJSON returns the content of a root-verity-sig partition for a
// signature by cert (see veritysig.Marshal); the certificateFingerprint
// member is left out when cert is nil.
func VeritySigJSON(rootHashHex string, cert *x509.Certificate, sigDER []byte) ([]byte, error) {
	fp := ""
	if cert != nil {
		sum := sha256.Sum256(cert.Raw)
		fp = hex.EncodeToString(sum[:])
	}
	return veritysig.Marshal(rootHashHex, fp, sigDER)
}

// ParseCertificates parses every CERTIFICATE block of a PEM bundle with
// crypto/x509, and checks that the init's parser (sig.ParseCertificates)
// reads each one too, so that a certificate packed or embedded on the host
// is one the init can use. Other block types are an error, as is a bundle
// without certificates.
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
			return nil, fmt.Errorf("sign: PEM block %d is a %q, want only CERTIFICATE blocks", len(certs)+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sign: PEM certificate %d: %w", len(certs)+1, err)
		}
		if _, err := sig.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("sign: PEM certificate %d (%s): the init cannot read it: %w", len(certs)+1, c.Subject, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("sign: no PEM CERTIFICATE block found")
	}
	return certs, nil
}
