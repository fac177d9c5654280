package dps

import (
	"cmp"
	"strings"
)

// compareVersions compares two partition labels the way systemd's
// strverscmp_improved (src/fundamental/string-util-fundamental.c) does and
// returns -1, 0 or +1 when a is older than, as new as or newer than b.
// systemd uses it to pick the newest of several root, /usr or verity
// partitions (find_gpt_root, dissect_image), and DPS asks for "strverscmp()
// or similar logic" there.
//
// The labels are split into segments of digits or of ASCII letters; other
// bytes separate segments and are otherwise ignored, except for the
// prefixes '~' (pre-release: older than anything), '-' (release
// separator), '^' (patch: newer than '-') and '.' (point release). Digit
// segments compare by value (leading zeros dropped) and are newer than
// letter segments; letter segments compare bytewise, a longer one being
// newer; a label with more segments is newer. A NUL byte ends a label, as
// in C.
//
// Examples, oldest first: 122.1, 123~rc1-1, 123, 123-a, 123-a.1, 123-1,
// 123-1.1, 123^post1, 123.a-1, 123.1-1, 123a-1, 124-1. Note that "root-b"
// is newer than "root-a".
func compareVersions(a, b string) int {
	if i := strings.IndexByte(a, 0); i >= 0 {
		a = a[:i]
	}
	if i := strings.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	i, j := 0, 0
	for {
		// Drop leading bytes that are not part of a version.
		for i < len(a) && !isVersionChar(a[i]) {
			i++
		}
		for j < len(b) && !isVersionChar(b[j]) {
			j++
		}

		// '~' marks a pre-release: the label with it is older.
		if byteAt(a, i) == '~' || byteAt(b, j) == '~' {
			if r := cmpBool(byteAt(a, i) != '~', byteAt(b, j) != '~'); r != 0 {
				return r
			}
			i++
			j++
		}

		// Past the '~' check, a label with more segments is newer.
		if i >= len(a) || j >= len(b) {
			return cmp.Compare(len(a)-i, len(b)-j)
		}

		// '-', '^' and '.' in this order: the label without the prefix
		// is newer.
		for _, sep := range [...]byte{'-', '^', '.'} {
			if byteAt(a, i) == sep || byteAt(b, j) == sep {
				if r := cmpBool(byteAt(a, i) != sep, byteAt(b, j) != sep); r != 0 {
					return r
				}
				i++
				j++
			}
		}

		var ea, eb int
		if isDigit(byteAt(a, i)) || isDigit(byteAt(b, j)) {
			// Digit segments; an empty one (the other label has
			// letters here) is older.
			for ea = i; isDigit(byteAt(a, ea)); ea++ {
			}
			for eb = j; isDigit(byteAt(b, eb)); eb++ {
			}
			if r := cmpBool(ea != i, eb != j); r != 0 {
				return r
			}
			for byteAt(a, i) == '0' {
				i++
			}
			for byteAt(b, j) == '0' {
				j++
			}
			if r := cmp.Compare(ea-i, eb-j); r != 0 { // more digits, larger number
				return r
			}
			if r := strings.Compare(a[i:ea], b[j:eb]); r != 0 {
				return r
			}
		} else {
			// Letter segments: bytewise, then the longer is newer.
			for ea = i; isAlpha(byteAt(a, ea)); ea++ {
			}
			for eb = j; isAlpha(byteAt(b, eb)); eb++ {
			}
			n := min(ea-i, eb-j)
			if r := strings.Compare(a[i:i+n], b[j:j+n]); r != 0 {
				return r
			}
			if r := cmp.Compare(ea-i, eb-j); r != 0 {
				return r
			}
		}
		i, j = ea, eb
	}
}

// byteAt returns s[i], or 0 (C's terminating NUL) past the end.
func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isVersionChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'
}

// cmpBool orders false before true, like systemd's CMP on booleans.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
