package lvm

import (
	"hash/crc32"
	"strings"
)

// initialCRC is lvm2's INITIAL_CRC (lib/misc/crc.h).
const initialCRC = 0xf597a6cf

// lvmCRC continues lvm2's calc_crc from crc over p: the reflected CRC-32
// with the IEEE polynomial, without the pre- and post-inversion that
// crc32.Update applies. Chaining is allowed:
// lvmCRC(lvmCRC(initialCRC, a), b) == lvmCRC(initialCRC, a‖b).
func lvmCRC(crc uint32, p []byte) uint32 {
	return ^crc32.Update(^crc, crc32.IEEETable, p)
}

// idLen is lvm2's ID_LEN: a UUID is 32 characters from idChars.
const idLen = 32

// validIDChar reports whether c may appear in an lvm2 UUID
// (lib/id/id.c, _c: 0-9, a-z, A-Z, '!' and '#').
func validIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '!' || c == '#'
}

// formatID prints a 32-character ID the way lvm2's id_write_format does:
// groups of 6-4-4-4-4-4-6 characters joined by dashes, except that an ID
// starting with '#' is printed as it is.
func formatID(raw string) string {
	if len(raw) != idLen || raw[0] == '#' {
		return raw
	}
	var b strings.Builder
	b.Grow(idLen + 6)
	at := 0
	for i, n := range [...]int{6, 4, 4, 4, 4, 4, 6} {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(raw[at : at+n])
		at += n
	}
	return b.String()
}

// parseID reads an ID the way lvm2's id_read_format does (every dash is
// dropped, wherever it is; exactly 32 valid characters must remain) and
// returns it without dashes.
func parseID(s string) (string, bool) {
	if len(s) > 2*idLen { // bound the work on hostile input
		return "", false
	}
	raw := make([]byte, 0, idLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			continue
		}
		if len(raw) == idLen || !validIDChar(c) {
			return "", false
		}
		raw = append(raw, c)
	}
	if len(raw) != idLen {
		return "", false
	}
	return string(raw), true
}

// rawID returns a printed ID without its dashes.
func rawID(printed string) string { return strings.ReplaceAll(printed, "-", "") }
