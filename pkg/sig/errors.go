package sig

import (
	"errors"
	"strconv"
	"strings"
)

// ErrMalformed is matched (with errors.Is) by the errors of Verify for a
// signature that is empty, too large, not DER/BER PKCS#7 SignedData, has no
// signer, embeds content (even empty), has a content type other than
// id-data, lacks a required signed attribute or repeats one, has a
// malformed root version, or embeds a certificate that does not parse (an
// RSA key over the bounds included), and by every *FormatError of
// ParseVeritySigJSON.
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

// A FormatError reports content of a root-verity-sig partition that breaks
// the Discoverable Partitions Specification or this package's bounds. Its
// Error text is one line naming what is wrong, where and the value found,
// e.g.
//
//	sig: verity-sig JSON: rootHash is not lowercase hex at byte 13: got "ABCD"
//
// Offset counts from the start of the bytes given to ParseVeritySigJSON. A
// FormatError matches ErrMalformed with errors.Is.
type FormatError struct {
	Offset int64  // byte offset of the offending token
	Field  string // JSON member name ("rootHash", "signature", ...), or "" for syntax
	Value  any    // the value found (a string, truncated to 64 bytes), or nil
	Msg    string // what is wrong
}

// Error returns a one-line description: what is wrong, where, and the value
// found.
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("sig: verity-sig JSON: ")
	b.WriteString(e.Msg)
	b.WriteString(" at byte ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	if e.Value != nil {
		b.WriteString(": got ")
		switch v := e.Value.(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case byte:
			if 0x20 <= v && v < 0x7f {
				b.WriteString(strconv.QuoteRune(rune(v)))
			} else {
				b.WriteString("byte 0x")
				b.WriteString(strconv.FormatUint(uint64(v)|0x100, 16)[1:])
			}
		default:
			b.WriteString("?")
		}
	}
	return b.String()
}

// Is reports whether target is ErrMalformed.
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }
