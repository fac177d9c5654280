package veritysig

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// MaxPartitionBytes is the largest root-verity-sig partition content
// Parse reads, the limit systemd applies (it refuses larger partitions
// with EFBIG).
const MaxPartitionBytes = 4 << 20

// maxJSONDepth bounds the nesting of unknown members' values, which are
// skipped.
const maxJSONDepth = 32

// maxKeyLen is the longest member name that is decoded and compared; longer
// names cannot be one of the three known ones and are skipped undecoded.
const maxKeyLen = 64

// fingerprintHexLen is the length of a SHA-256 fingerprint in hex.
const fingerprintHexLen = 64

// Partition is the content of a DPS root-verity-sig (or usr-verity-sig)
// partition.
type Partition struct {
	// RootHash is the "rootHash" member: the root hash as lowercase hex,
	// which is also the exact text the signature is over.
	RootHash string

	// CertificateFingerprint is the optional "certificateFingerprint"
	// member: SHA-256 of the signer certificate's DER, lowercase hex, or ""
	// when absent. It is informational (systemd does not read it); a caller
	// may compare it with Signer.FingerprintSHA256 after verifying.
	CertificateFingerprint string

	// Signature is the "signature" member, base64-decoded: a DER PKCS#7
	// detached signature over RootHash, for sig.Verify.
	Signature []byte
}

// Parse parses the content of a root-verity-sig partition: a
// flat JSON object followed by NUL padding, as the Discoverable Partitions
// Specification ("Verity" section) defines and systemd-repart writes it
// ({"rootHash":"…","certificateFingerprint":"…","signature":"…"}).
//
// The parser is strict: the text must be valid UTF-8 JSON holding one
// object; after the first NUL every byte must be NUL; rootHash (2 to 128
// lowercase hex digits) and signature (padded standard base64 of 1 to
// MaxSignatureBytes bytes) are required; certificateFingerprint, if present,
// must be 64 lowercase hex digits; a member may not repeat. Members of other
// names, which later revisions of the specification may add, are skipped
// whatever their value (nested up to 32 levels). b may be at most
// MaxPartitionBytes long.
//
// Errors are *FormatError and match ErrMalformed. Nothing is allocated in
// proportion to the input except the signature: its decoded bytes (at most
// MaxSignatureBytes) and, when its JSON text has escapes, an unescaped copy
// of that text, which may be at most twice the base64 length (about 170
// KiB).
func Parse(b []byte) (Partition, error) {
	if len(b) > MaxPartitionBytes {
		return Partition{}, &FormatError{Offset: MaxPartitionBytes, Value: len(b), Msg: "partition content is larger than 4 MiB"}
	}
	// The padding is most of a partition (1 MiB from verinit disk
	// create): find and check it a word at a time, not a byte.
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		end = len(b)
	}
	if i := nonZero(b[end:]); i >= 0 {
		return Partition{}, &FormatError{Offset: int64(end + i), Value: b[end+i], Msg: "non-NUL byte after the NUL padding began"}
	}
	p := jsonParser{b: b[:end]}
	if !utf8.Valid(p.b) {
		off := 0
		for off < end {
			r, n := utf8.DecodeRune(p.b[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return Partition{}, &FormatError{Offset: int64(off), Value: p.b[off], Msg: "text is not valid UTF-8"}
	}
	return p.parse()
}

// jsonParser reads the flat object of a verity-sig partition.
type jsonParser struct {
	b   []byte
	pos int
}

func (p *jsonParser) errAt(off int, field, msg string) *FormatError {
	return &FormatError{Offset: int64(off), Field: field, Msg: msg}
}

// errUnexpected reports the byte at p.pos, or the end of the text.
func (p *jsonParser) errUnexpected(want string) *FormatError {
	if p.pos >= len(p.b) {
		return p.errAt(p.pos, "", "text ends where "+want+" is expected")
	}
	return &FormatError{Offset: int64(p.pos), Value: p.b[p.pos], Msg: "unexpected byte where " + want + " is expected"}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// consume skips white space and then the byte c, if it is next.
func (p *jsonParser) consume(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.b) && p.b[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *jsonParser) parse() (Partition, error) {
	var v Partition
	var seen [3]bool // rootHash, certificateFingerprint, signature
	var sigOff int
	var sigRaw []byte
	if !p.consume('{') {
		return v, p.errUnexpected("'{'")
	}
	if !p.consume('}') {
		for {
			p.skipSpace()
			keyOff := p.pos
			key, err := p.scanString()
			if err != nil {
				return v, err
			}
			if !p.consume(':') {
				return v, p.errUnexpected("':'")
			}
			p.skipSpace()
			valOff := p.pos
			idx := -1
			if len(key) <= maxKeyLen {
				switch string(decodeString(key)) {
				case "rootHash":
					idx = 0
				case "certificateFingerprint":
					idx = 1
				case "signature":
					idx = 2
				}
			}
			if idx < 0 {
				if err := p.skipValue(0); err != nil {
					return v, err
				}
			} else {
				name := [...]string{"rootHash", "certificateFingerprint", "signature"}[idx]
				if seen[idx] {
					return v, p.errAt(keyOff, name, "member "+name+" appears twice")
				}
				seen[idx] = true
				if p.pos >= len(p.b) || p.b[p.pos] != '"' {
					if err := p.skipValue(0); err != nil {
						return v, err
					}
					return v, p.errAt(valOff, name, name+" is not a string")
				}
				raw, err := p.scanString()
				if err != nil {
					return v, err
				}
				switch idx {
				case 0:
					if v.RootHash, err = lowerHex(raw, valOff, name, 2, maxRootHashHex); err != nil {
						return v, err
					}
				case 1:
					if v.CertificateFingerprint, err = lowerHex(raw, valOff, name, fingerprintHexLen, fingerprintHexLen); err != nil {
						return v, err
					}
				case 2:
					sigOff, sigRaw = valOff, raw
				}
			}
			if p.consume(',') {
				continue
			}
			if p.consume('}') {
				break
			}
			return v, p.errUnexpected("',' or '}'")
		}
	}
	p.skipSpace()
	if p.pos != len(p.b) {
		return v, p.errUnexpected("the end of the text (or NUL padding)")
	}
	if !seen[0] {
		return v, p.errAt(0, "rootHash", "required member rootHash is missing")
	}
	if !seen[2] {
		return v, p.errAt(0, "signature", "required member signature is missing")
	}
	sig, err := decodeSignature(sigRaw, sigOff)
	if err != nil {
		return v, err
	}
	v.Signature = sig
	return v, nil
}

// scanString reads a JSON string at p.pos and returns its raw body (between
// the quotes, escapes not decoded) after checking its syntax.
func (p *jsonParser) scanString() ([]byte, error) {
	if p.pos >= len(p.b) || p.b[p.pos] != '"' {
		return nil, p.errUnexpected("a string")
	}
	start := p.pos + 1
	for i := start; i < len(p.b); i++ {
		c := p.b[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return p.b[start:i], nil
		case c < 0x20:
			return nil, &FormatError{Offset: int64(i), Value: c, Msg: "control character in string"}
		case c == '\\':
			if i+1 >= len(p.b) {
				return nil, p.errAt(i, "", "text ends inside an escape")
			}
			switch p.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+6 > len(p.b) || !isHex(p.b[i+2]) || !isHex(p.b[i+3]) || !isHex(p.b[i+4]) || !isHex(p.b[i+5]) {
					return nil, p.errAt(i, "", "invalid \\u escape")
				}
				i += 5
			default:
				return nil, &FormatError{Offset: int64(i + 1), Value: p.b[i+1], Msg: "invalid escape"}
			}
		}
	}
	return nil, p.errAt(len(p.b), "", "text ends inside a string")
}

// skipValue skips any JSON value at p.pos (after white space).
func (p *jsonParser) skipValue(depth int) error {
	p.skipSpace()
	if p.pos >= len(p.b) {
		return p.errUnexpected("a value")
	}
	switch c := p.b[p.pos]; {
	case c == '"':
		_, err := p.scanString()
		return err
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return p.errAt(p.pos, "", "values nested more than 32 levels deep")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.pos++
		if p.consume(closer) {
			return nil
		}
		for {
			if c == '{' {
				p.skipSpace()
				if _, err := p.scanString(); err != nil {
					return err
				}
				if !p.consume(':') {
					return p.errUnexpected("':'")
				}
			}
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			if p.consume(',') {
				continue
			}
			if p.consume(closer) {
				return nil
			}
			return p.errUnexpected("',' or '" + string(closer) + "'")
		}
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	default:
		return p.errUnexpected("a value")
	}
}

func (p *jsonParser) literal(word string) error {
	if len(p.b)-p.pos < len(word) || string(p.b[p.pos:p.pos+len(word)]) != word {
		return p.errAt(p.pos, "", "invalid literal (want "+word+")")
	}
	p.pos += len(word)
	return nil
}

// number skips a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() error {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.b) && '0' <= p.b[p.pos] && p.b[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.b[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.b) && p.b[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return p.errAt(start, "", "invalid number")
	}
	if p.pos < len(p.b) && p.b[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return p.errAt(start, "", "invalid number")
		}
	}
	if p.pos < len(p.b) && (p.b[p.pos] == 'e' || p.b[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.b) && (p.b[p.pos] == '+' || p.b[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return p.errAt(start, "", "invalid number")
		}
	}
	return nil
}

// decodeString decodes the escapes of a raw string body that scanString
// accepted, returning raw itself when it has none. \u escapes of UTF-16 surrogates become U+FFFD unless they form
// a pair. Only called on short member names and on hex and base64 values,
// whose length is bounded by the callers.
func decodeString(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(raw[i+1 : i+5]))
			i += 4
			if 0xd800 <= r && r < 0xdc00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo := rune(hex4(raw[i+3 : i+7])); 0xdc00 <= lo && lo < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					i += 6
				}
			}
			if 0xd800 <= r && r < 0xe000 {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
	}
	return out
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b {
		v <<= 4
		switch {
		case '0' <= c && c <= '9':
			v |= uint16(c - '0')
		case 'a' <= c && c <= 'f':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}

// lowerHex decodes a string member that must be lowercase hex of an even
// length from minLen to maxLen.
func lowerHex(raw []byte, off int, field string, minLen, maxLen int) (string, error) {
	if len(raw) > 6*maxLen { // each character takes at most 6 bytes (\u0061)
		return "", &FormatError{Offset: int64(off), Field: field, Value: len(raw), Msg: field + " is too long"}
	}
	s := decodeString(raw)
	if len(s) < minLen || len(s) > maxLen || len(s)%2 != 0 {
		return "", &FormatError{Offset: int64(off), Field: field, Value: len(s), Msg: field + " has a bad length"}
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", &FormatError{Offset: int64(off), Field: field, Value: truncate(s), Msg: field + " is not lowercase hex"}
		}
	}
	return string(s), nil
}

// decodeSignature decodes the signature member: padded standard base64 of
// 1 to MaxSignatureBytes bytes.
func decodeSignature(raw []byte, off int) ([]byte, error) {
	const field = "signature"
	// A JSON encoder that escapes "/" as "\/" doubles the text at most.
	if len(raw) > 2*base64.StdEncoding.EncodedLen(MaxSignatureBytes) {
		return nil, &FormatError{Offset: int64(off), Field: field, Value: len(raw), Msg: "signature is longer than the limit"}
	}
	s := decodeString(raw)
	if len(s) > base64.StdEncoding.EncodedLen(MaxSignatureBytes) {
		return nil, &FormatError{Offset: int64(off), Field: field, Value: len(s), Msg: "signature is longer than the limit"}
	}
	sig := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	// Go's decoder skips CR and LF, which JSON can carry as escapes; they
	// are not base64.
	n, err := base64.StdEncoding.Strict().Decode(sig, s)
	if err != nil || bytes.ContainsAny(s, "\r\n") {
		return nil, &FormatError{Offset: int64(off), Field: field, Value: truncate(s), Msg: "signature is not padded standard base64"}
	}
	if n == 0 {
		return nil, &FormatError{Offset: int64(off), Field: field, Msg: "signature is empty"}
	}
	if n > MaxSignatureBytes {
		return nil, &FormatError{Offset: int64(off), Field: field, Value: n, Msg: "signature is longer than the limit"}
	}
	return sig[:n:n], nil
}

// partitionAlign is the size the root-verity-sig partition content is
// NUL-padded to a multiple of.
const partitionAlign = 4096

// Marshal returns the content of a root-verity-sig partition: the JSON
// object systemd-repart writes, {"rootHash":"…","certificateFingerprint":
// "…","signature":"…"} without white space or newline, then NUL bytes up to
// the next multiple of 4096 bytes. fingerprintSHA256 is the SHA-256 of the
// signer certificate's DER as lowercase hex, or "" to leave the member out.
// rootHashHex is lower-cased; sigDER is a signature sig.Verify accepts.
// Parse reads the result back.
func Marshal(rootHashHex, fingerprintSHA256 string, sigDER []byte) ([]byte, error) {
	rootHash, err := SignedText(rootHashHex)
	if err != nil {
		return nil, err
	}
	if len(sigDER) == 0 || len(sigDER) > MaxSignatureBytes {
		return nil, fmt.Errorf("veritysig: signature is %d bytes, want 1 to %d", len(sigDER), MaxSignatureBytes)
	}
	if fingerprintSHA256 != "" {
		if _, err := lowerHex([]byte(fingerprintSHA256), 0, "certificateFingerprint", fingerprintHexLen, fingerprintHexLen); err != nil {
			return nil, fmt.Errorf("veritysig: certificate fingerprint %q is not 64 lowercase hex digits", fingerprintSHA256)
		}
	}
	return appendJSON(nil, rootHash, fingerprintSHA256, sigDER), nil
}

// appendJSON appends the padded partition content. rootHash and
// fingerprint must be lowercase hex (fingerprint may be empty), so no JSON
// escaping is needed.
func appendJSON(b []byte, rootHash, fingerprint string, sigDER []byte) []byte {
	b = append(b, `{"rootHash":"`...)
	b = append(b, rootHash...)
	if fingerprint != "" {
		b = append(b, `","certificateFingerprint":"`...)
		b = append(b, fingerprint...)
	}
	b = append(b, `","signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, sigDER)
	b = append(b, `"}`...)
	if r := len(b) % partitionAlign; r != 0 {
		b = append(b, make([]byte, partitionAlign-r)...)
	}
	return b
}

// truncate returns at most the first 64 bytes of s as a string, for error
// values.
func truncate(s []byte) string {
	if len(s) > 64 {
		return string(s[:64]) + "…"
	}
	return string(s)
}

// nonZero returns the index of the first non-zero byte of b, or -1.
func nonZero(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}
