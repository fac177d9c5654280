package verity

import "encoding/hex"

// ParseHexRootHash decodes a root hash given in hex (upper or lower case, as
// the kernel's hex2bin accepts) for the hash algorithm alg. The length must
// be exactly twice the digest size. The error matches ErrInvalidParams.
func ParseHexRootHash(s string, alg string) ([]byte, error) {
	d := digestSize(alg)
	if d == 0 {
		return nil, invalid("unsupported hash algorithm %q (want sha1, sha256 or sha512)", alg)
	}
	if len(s) != 2*d {
		return nil, invalid("root hash of %d hex digits for %s, want %d", len(s), alg, 2*d)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, invalid("root hash %q is not hex", s)
	}
	return b, nil
}

// ParseSalt decodes a salt as veritysetup prints it: hex digits, or "-" (or
// an empty string) for no salt, which gives a nil slice. The salt is at most
// MaxSaltSize bytes. The error matches ErrInvalidParams.
func ParseSalt(s string) ([]byte, error) {
	if s == "" || s == "-" {
		return nil, nil
	}
	if len(s) > 2*MaxSaltSize {
		return nil, invalid("salt of %d hex digits is longer than 256 bytes", len(s))
	}
	if len(s)%2 != 0 {
		return nil, invalid("salt has an odd number of hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, invalid("salt %q is not hex", s)
	}
	return b, nil
}

// ParseUUID decodes a UUID in the canonical 8-4-4-4-12 hex form (either
// case, as libuuid's uuid_parse accepts) into the byte order of the
// superblock. The error matches ErrInvalidParams.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, invalid("UUID %q is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return [16]byte{}, invalid("UUID %q is not hex", s)
	}
	return u, nil
}
