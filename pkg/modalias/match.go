package modalias

import "strings"

// Normalize replaces '-' with '_' outside bracket expressions, as kmod's
// alias_normalize does, so that "crypto-crc32c" and "crypto_crc32c" are one
// alias. It stops normalising at an unclosed '[', as kmod does.
func Normalize(s string) string {
	if !strings.Contains(s, "-") {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[':
			end := classEnd(s, i)
			if end < 0 {
				return string(b)
			}
			i = end - 1
		case '-':
			b[i] = '_'
		}
	}
	return string(b)
}

// Valid reports whether pattern is a well-formed glob: every '[' closed by
// a ']' and no '\' at the end. Match treats a malformed bracket as a
// literal '[' (as fnmatch does), but the packer refuses such patterns so
// that what the init matches is what the table says.
func Valid(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 == len(pattern) {
				return false
			}
			i++
		case '[':
			end := classEnd(pattern, i)
			if end < 0 {
				return false
			}
			i = end - 1
		}
	}
	return true
}

// HasMeta reports whether pattern has a glob metacharacter, that is,
// whether it can match more than the one string it spells.
func HasMeta(pattern string) bool {
	return strings.ContainsAny(pattern, `*?[\`)
}

// Match reports whether name matches the glob pattern, as fnmatch(pattern,
// name, 0) does for ASCII. It runs in O(len(pattern)*len(name)) time: a
// failed match after a '*' restarts from the last '*' only.
func Match(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			if w, ok := matchOne(pattern, p, name[n]); ok {
				p += w
				n++
				continue
			}
			if pattern[p] == '*' {
				starP, starN = p, n
				p++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOne matches the pattern element at pattern[p] (not a '*') against
// the byte c. It returns the element's width and whether it matched.
func matchOne(pattern string, p int, c byte) (width int, ok bool) {
	switch pattern[p] {
	case '*':
		return 0, false
	case '?':
		return 1, true
	case '\\':
		if p+1 < len(pattern) {
			return 2, pattern[p+1] == c
		}
		return 1, c == '\\'
	case '[':
		end := classEnd(pattern, p)
		if end < 0 {
			return 1, c == '[' // no closing ']': a literal '['
		}
		return end - p, inClass(pattern[p+1:end-1], c)
	default:
		return 1, pattern[p] == c
	}
}

// classEnd returns the index just past the ']' closing the bracket
// expression that starts at s[i] == '[', or -1 if it is not closed.
func classEnd(s string, i int) int {
	j := i + 1
	if j < len(s) && (s[j] == '!' || s[j] == '^') {
		j++
	}
	if j < len(s) && s[j] == ']' { // a ']' first is literal
		j++
	}
	for ; j < len(s); j++ {
		switch s[j] {
		case ']':
			return j + 1
		case '\\':
			j++
		}
	}
	return -1
}

// inClass matches c against the body of a bracket expression (without the
// brackets).
func inClass(body string, c byte) bool {
	neg := false
	if body != "" && (body[0] == '!' || body[0] == '^') {
		neg, body = true, body[1:]
	}
	match := false
	for i := 0; i < len(body); i++ {
		lo := body[i]
		if lo == '\\' && i+1 < len(body) {
			i++
			lo = body[i]
		}
		hi := lo
		if i+2 < len(body) && body[i+1] == '-' {
			hi = body[i+2]
			i += 2
			if hi == '\\' && i+1 < len(body) {
				i++
				hi = body[i]
			}
		}
		if lo <= c && c <= hi {
			match = true
		}
	}
	return match != neg
}
