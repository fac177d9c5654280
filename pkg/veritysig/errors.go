package veritysig

import (
	"errors"
	"strconv"
	"strings"
)

// ErrMalformed is matched (with errors.Is) by every *FormatError of
// Parse.
var ErrMalformed = errors.New("veritysig: malformed root-verity-sig partition")

// A FormatError reports content of a root-verity-sig partition that breaks
// the Discoverable Partitions Specification or this package's bounds. Its
// Error text is one line naming what is wrong, where and the value found,
// e.g.
//
//	veritysig: JSON: rootHash is not lowercase hex at byte 13: got "ABCD"
//
// Offset counts from the start of the bytes given to Parse. A
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
	b.WriteString("veritysig: JSON: ")
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
