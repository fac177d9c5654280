package gpt

import (
	"errors"
	"strconv"
)

// GUID is a GPT GUID in on-disk (EFI_GUID, mixed-endian) byte order: the
// first three groups are little-endian, the last eight bytes are stored as
// written (dps.md §1.5).
type GUID [16]byte

// textOrder maps the position of each byte in the canonical text form to its
// index in the on-disk form.
var textOrder = [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}

const hexDigits = "0123456789abcdef"

// String returns the canonical lowercase text form, in the order the kernel
// prints PARTUUIDs (%pUl), e.g. "4f68bce3-e8cd-4db1-96e7-fbcaf984b709".
func (g GUID) String() string {
	var b [36]byte
	j := 0
	for i, k := range textOrder {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j] = hexDigits[g[k]>>4]
		b[j+1] = hexDigits[g[k]&0x0f]
		j += 2
	}
	return string(b[:])
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
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, errors.New("gpt: invalid GUID " + quoteBounded(s) + ": want 8-4-4-4-12 hex digits")
	}
	j := 0
	for _, k := range textOrder {
		if j == 8 || j == 13 || j == 18 || j == 23 {
			j++
		}
		hi, ok1 := unhex(s[j])
		lo, ok2 := unhex(s[j+1])
		if !ok1 || !ok2 {
			return GUID{}, errors.New("gpt: invalid GUID " + quoteBounded(s) + ": bad hex digit at index " + strconv.Itoa(j))
		}
		g[k] = hi<<4 | lo
		j += 2
	}
	return g, nil
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

func quoteBounded(s string) string {
	if len(s) > maxQuotedInput {
		return strconv.Quote(s[:maxQuotedInput]) + "..."
	}
	return strconv.Quote(s)
}
