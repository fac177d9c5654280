// Package sign makes dm-verity root-hash signatures on the host: detached
// PKCS#7 signatures made with github.com/smallstep/pkcs7 and crypto/x509,
// and the root-verity-sig partition content. It is the host half of
// package sig, kept apart so that the init, which only verifies, links
// neither crypto/x509 (and with it net) nor the PKCS#7 library.
package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/smallstep/pkcs7"

	"github.com/verinit/verinit/pkg/sig"
)

var (
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// RootHash makes a detached PKCS#7 signature (DER) over the root hash
// text, as systemd-repart makes it: SHA-256, no signed attributes
// (openssl's -noattr, PKCS7_NOATTR), the signer identified by issuer and
// serial number, and cert followed by intermediates embedded. RSA keys sign
// with PKCS#1 v1.5 and the signature algorithm rsaEncryption, the RSA
// PKCS#1 v1.5 identifier the kernel's PKCS#7 parser accepts
// (pkcs7_sig_note_pkey_algo; sha256WithRSAEncryption fails there); ECDSA
// keys use ecdsa-with-SHA256.
//
// rootHashHex is lower-cased first (see sig.Verify). key must be the
// private key of cert. intermediates are the certificates between cert and
// the trusted root, nearest first; the root itself need not be embedded.
// The result is checked with sig.Verify, the init's verifier, against cert
// before it is returned. "openssl cms -verify -binary -inform DER -content
// roothash.txt -CAfile root.pem" accepts it.
func RootHash(rootHashHex string, key crypto.Signer, cert *x509.Certificate, intermediates ...*x509.Certificate) ([]byte, error) {
	rootHash, err := lowerHex(rootHashHex)
	if err != nil {
		return nil, err
	}
	if key == nil || cert == nil {
		return nil, errors.New("sign: key and certificate are required")
	}
	for i, c := range intermediates {
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
	sd, err := pkcs7.NewSignedData([]byte(rootHash))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	// Per instance: the library's default (SetDefaultDigestAlgorithm) is a
	// global and is SHA-1.
	sd.SetDigestAlgorithm(oidSHA256)
	sd.SetEncryptionAlgorithm(sigAlg)
	if err := sd.SignWithoutAttr(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	for _, c := range intermediates {
		sd.AddCertificate(c)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	trusted, err := sig.ParseCertificate(cert.Raw)
	if err != nil {
		return nil, fmt.Errorf("sign: the init cannot read the signer certificate: %w", err)
	}
	if _, err := sig.Verify(der, rootHash, []*sig.Certificate{trusted}, sig.VerifyOptions{}); err != nil {
		return nil, fmt.Errorf("sign: own signature does not verify: %w", err)
	}
	return der, nil
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
// signature by cert (see sig.VeritySigJSON); the certificateFingerprint
// member is left out when cert is nil.
func VeritySigJSON(rootHashHex string, cert *x509.Certificate, sigDER []byte) ([]byte, error) {
	fp := ""
	if cert != nil {
		sum := sha256.Sum256(cert.Raw)
		fp = hex.EncodeToString(sum[:])
	}
	return sig.VeritySigJSON(rootHashHex, fp, sigDER)
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
