package sig

import "errors"

// ErrMalformed is matched (with errors.Is) by the errors of Verify for a
// signature that is empty, too large, not DER/BER PKCS#7 SignedData, has no
// signer, embeds content (even empty), has a content type other than
// id-data, lacks a required signed attribute or repeats one, has a
// malformed root version, or embeds a certificate that does not parse (an
// RSA key over the bounds included).
var ErrMalformed = errors.New("sig: malformed signature")

// ErrUntrusted is matched (with errors.Is) by the error Verify returns when
// the signature is valid for its signer certificate but that certificate does
// not chain to one of the trusted certificates (under the validity rule of
// VerifyOptions), or when the signer certificate is neither embedded nor
// trusted.
var ErrUntrusted = errors.New("sig: not signed by a trusted key")

// ErrMismatch is matched (with errors.Is) by the error Verify returns when
// the signature does not verify over the given root hash with its signer's
// key: it was made over another root hash (or other data), or it is
// corrupted.
var ErrMismatch = errors.New("sig: signature does not match the root hash")

// ErrUnsupported is matched (with errors.Is) by the error Verify returns for
// a well-formed signature that uses something this package refuses: a digest
// other than SHA-256/384/512 (SHA-1 included), a key or signature algorithm
// other than RSA PKCS#1 v1.5 (named rsaEncryption) and ECDSA, more than one
// signer, versions other than 1, signed attributes or embedded
// certificates the kernel refuses, or more public-key work than the
// bounds allow.
var ErrUnsupported = errors.New("sig: unsupported signature")
