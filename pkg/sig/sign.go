package sig

// Host side: signing and writing the root-verity-sig partition. These
// functions import nothing that verify.go and veritysig.go do not already
// import, so a binary that only verifies links none of their code (the
// linker drops unreferenced functions) and no extra package.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"
)

// veritySigAlign is the size the root-verity-sig partition content is
// NUL-padded to a multiple of.
const veritySigAlign = 4096

// Sign makes a detached PKCS#7 signature (DER) over the root hash text, as
// systemd-repart makes it: SHA-256, no signed
// attributes (openssl's -noattr, PKCS7_NOATTR), the signer identified by
// issuer and serial number, and cert followed by intermediates embedded.
// RSA keys sign with PKCS#1 v1.5 and the signature algorithm rsaEncryption,
// the RSA PKCS#1 v1.5 identifier the kernel's PKCS#7 parser accepts
// (pkcs7_sig_note_pkey_algo; sha256WithRSAEncryption fails there); ECDSA keys
// use ecdsa-with-SHA256.
//
// rootHashHex is lower-cased first (see Verify). key must be the private key
// of cert. intermediates are the certificates between cert and the trusted
// root, nearest first; the root itself need not be embedded. The result is
// checked with Verify against cert before it is returned. "openssl cms
// -verify -binary -inform DER -content roothash.txt -CAfile root.pem"
// accepts it.
func Sign(rootHashHex string, key crypto.Signer, cert *x509.Certificate, intermediates ...*x509.Certificate) ([]byte, error) {
	rootHash, err := normRootHash(rootHashHex)
	if err != nil {
		return nil, err
	}
	if key == nil || cert == nil {
		return nil, errors.New("sig: sign: key and certificate are required")
	}
	for i, c := range intermediates {
		if c == nil {
			return nil, fmt.Errorf("sig: sign: intermediate certificate %d is nil", i)
		}
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("sig: sign: the key does not belong to certificate %q", cert.Subject.String())
	}
	var sigAlg = oidECDSASHA256
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		sigAlg = oidRSA
	case *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("sig: sign: %s keys are not supported, want RSA or ECDSA", cert.PublicKeyAlgorithm)
	}
	sd, err := pkcs7.NewSignedData([]byte(rootHash))
	if err != nil {
		return nil, fmt.Errorf("sig: sign: %w", err)
	}
	// Per instance: the library's default (SetDefaultDigestAlgorithm) is a
	// global and is SHA-1.
	sd.SetDigestAlgorithm(oidSHA256)
	sd.SetEncryptionAlgorithm(sigAlg)
	if err := sd.SignWithoutAttr(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sig: sign: %w", err)
	}
	for _, c := range intermediates {
		sd.AddCertificate(c)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("sig: sign: %w", err)
	}
	if _, err := Verify(der, rootHash, []*x509.Certificate{cert}, VerifyOptions{}); err != nil {
		return nil, fmt.Errorf("sig: sign: own signature does not verify: %w", err)
	}
	return der, nil
}

// VeritySigJSON returns the content of a root-verity-sig partition: the JSON
// object systemd-repart writes, {"rootHash":"…","certificateFingerprint":
// "…","signature":"…"} without white space or newline, then NUL bytes up to
// the next multiple of 4096 bytes. The fingerprint is the SHA-256 of cert's
// DER; it is left out when cert is nil. rootHashHex is lower-cased; sigDER
// is the output of Sign (or of openssl). ParseVeritySigJSON reads the
// result back.
func VeritySigJSON(rootHashHex string, cert *x509.Certificate, sigDER []byte) ([]byte, error) {
	rootHash, err := normRootHash(rootHashHex)
	if err != nil {
		return nil, err
	}
	if len(sigDER) == 0 || len(sigDER) > MaxSignatureBytes {
		return nil, fmt.Errorf("sig: verity-sig: signature is %d bytes, want 1 to %d", len(sigDER), MaxSignatureBytes)
	}
	fp := ""
	if cert != nil {
		sum := sha256.Sum256(cert.Raw)
		fp = hex.EncodeToString(sum[:])
	}
	return appendVeritySigJSON(nil, rootHash, fp, sigDER), nil
}

// appendVeritySigJSON appends the padded partition content. rootHash and
// fingerprint must be lowercase hex (fingerprint may be empty), so no JSON
// escaping is needed.
func appendVeritySigJSON(b []byte, rootHash, fingerprint string, sigDER []byte) []byte {
	b = append(b, `{"rootHash":"`...)
	b = append(b, rootHash...)
	if fingerprint != "" {
		b = append(b, `","certificateFingerprint":"`...)
		b = append(b, fingerprint...)
	}
	b = append(b, `","signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, sigDER)
	b = append(b, `"}`...)
	if r := len(b) % veritySigAlign; r != 0 {
		b = append(b, make([]byte, veritySigAlign-r)...)
	}
	return b
}
