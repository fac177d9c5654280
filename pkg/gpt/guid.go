package gpt

import (
	"encoding/hex"
	"errors"
	"strconv"
)

// GUID is a GPT GUID in on-disk (EFI_GUID, mixed-endian) byte order: the
// first three groups are little-endian, the last eight bytes are stored as
// written (dps.md §1.5).
type GUID [16]byte

// GUIDFromBytes returns the GUID whose text form lists the bytes of b in
// order, as they are held in RFC 4122 byte order (big-endian, as in
// systemd's sd_id128_t and libuuid's uuid_t). It is the inverse of
// GUID.Bytes.
func GUIDFromBytes(b [16]byte) GUID {
	return GUID(swapGroups(b))
}

// Bytes returns the bytes of g in the order of its text form, the order
// String prints them in (RFC 4122 byte order, as systemd's sd_id128_t
// holds them): the first three groups byte-swapped from the on-disk order.
func (g GUID) Bytes() [16]byte {
	return swapGroups(g)
}

// swapGroups reverses the bytes of each of the first three groups (4, 2
// and 2 bytes), which turns one byte order of a GUID into the other.
func swapGroups(b [16]byte) [16]byte {
	return [16]byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
		b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]}
}

// textGroups are where the hex digits of each group start in the text form
// and which of the bytes in text order (Bytes) they spell.
var textGroups = [5]struct{ at, from, to int }{
	{0, 0, 4}, {9, 4, 6}, {14, 6, 8}, {19, 8, 10}, {24, 10, 16},
}

// String returns the canonical lowercase text form, in the order the kernel
// prints PARTUUIDs (%pUl), e.g. "4f68bce3-e8cd-4db1-96e7-fbcaf984b709".
func (g GUID) String() string {
	b := g.Bytes()
	s := [36]byte{8: '-', 13: '-', 18: '-', 23: '-'}
	for _, gr := range textGroups {
		hex.Encode(s[gr.at:], b[gr.from:gr.to])
	}
	return string(s[:])
}

// IsZero reports whether g is the all-zero GUID, which marks an unused
// partition entry when it is the type GUID.
func (g GUID) IsZero() bool {
	return g == GUID{}
}

// maxQuotedInput bounds how much of a bad GUID string an error repeats.
const maxQuotedInput = 64

// ParseGUID parses the canonical 36-character text form of a GUID
// (8-4-4-4-12 hex digits, upper or lower case, no braces) into on-disk order.
// It is the inverse of GUID.String.
func ParseGUID(s string) (GUID, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return GUID{}, errors.New("gpt: invalid GUID " + quoteBounded(s) + ": want 8-4-4-4-12 hex digits")
	}
	var b [16]byte
	for _, gr := range textGroups {
		digits := s[gr.at : gr.at+2*(gr.to-gr.from)]
		// n is the number of bytes decoded before the pair with a bad digit.
		if n, err := hex.Decode(b[gr.from:gr.to], []byte(digits)); err != nil {
			return GUID{}, errors.New("gpt: invalid GUID " + quoteBounded(s) + ": bad hex digit at index " + strconv.Itoa(gr.at+2*n))
		}
	}
	return GUIDFromBytes(b), nil
}

func quoteBounded(s string) string {
	if len(s) > maxQuotedInput {
		return strconv.Quote(s[:maxQuotedInput]) + "..."
	}
	return strconv.Quote(s)
}
