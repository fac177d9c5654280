package verity

// ParseHexRootHash decodes a root hash given in hex (upper or lower case, as
// the kernel's hex2bin accepts) for the hash algorithm alg. The length must
// be exactly twice the digest size. The error matches ErrInvalidParams.
func ParseHexRootHash(s string, alg string) ([]byte, error) {
	d := digestSize(alg)
	if d == 0 {
		return nil, invalid("unsupported hash algorithm ", quote(alg), " (want sha1, sha256 or sha512)")
	}
	if len(s) != 2*d {
		return nil, invalid("root hash of ", itoa(len(s)), " hex digits for ", alg, ", want ", itoa(2*d))
	}
	b, ok := hexDecode(s)
	if !ok {
		return nil, invalid("root hash ", quote(s), " is not hex")
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
		return nil, invalid("salt of ", itoa(len(s)), " hex digits is longer than 256 bytes")
	}
	if len(s)%2 != 0 {
		return nil, invalid("salt has an odd number of hex digits")
	}
	b, ok := hexDecode(s)
	if !ok {
		return nil, invalid("salt ", quote(s), " is not hex")
	}
	return b, nil
}

// ParseUUID decodes a UUID in the canonical 8-4-4-4-12 hex form (either
// case, as libuuid's uuid_parse accepts) into the byte order of the
// superblock. The error matches ErrInvalidParams.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, invalid("UUID ", quote(s), " is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return [16]byte{}, invalid("UUID ", quote(s), " is not hex")
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexEncode returns b in lower-case hex, as cryptsetup's crypt_bytes_to_hex
// prints it. (encoding/hex would link fmt and reflect into the init.)
func hexEncode(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 2*len(b))
	for i, c := range b {
		s[2*i], s[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(s)
}

// hexDecode decodes an even number of hex digits of either case.
func hexDecode(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	b := make([]byte, len(s)/2)
	for i := range b {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		b[i] = hi<<4 | lo
	}
	return b, true
}
