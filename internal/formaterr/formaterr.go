// Package formaterr writes the text of the parsers' FormatError types, so
// that every parser reports invalid content in one shape:
//
//	PKG: MSG at byte 0xOFFSET: got VALUE, want WANT
//
// or, for an error in a line of a text format (LVM2 metadata),
//
//	PKG: LINEOF line N: MSG: got VALUE, want WANT
//
// Each parser keeps its own FormatError type, with its exported fields and
// its sentinel, and its own rule for which fields print in hex; its Error
// method fills in a Text and returns Text.String.
package formaterr

import (
	"fmt"
	"strconv"
)

// Text is what one FormatError says.
type Text struct {
	Pkg string // the reporting package, which starts the text: "gpt"
	Msg string // what is wrong, e.g. "primary header: bad header CRC"

	// Offset is the byte offset of the offending field, printed in hex
	// after Msg ("at byte 0x210", as fmt's %#x prints it, which the
	// parsers also use for the offsets in their I/O errors) unless Line
	// is set.
	Offset int64

	// Line, when > 0, is the 1-based line of the text format named by
	// LineOf that holds the error; the line is then named before Msg
	// instead of the offset after it: "lvm: metadata line 17: MSG".
	Line   int
	LineOf string

	// Value is the value found. When it is nil, neither it nor Want is
	// printed. Want is the value or bound expected, or nil.
	//
	// Integers print in decimal, or with %#x (hex with a 0x prefix) if Hex
	// is set; strings as they are; byte slices quoted as by strconv.Quote;
	// errors by their Error method and other fmt.Stringers by their String
	// method; any other value as "?". A package that shows a value
	// otherwise (a quoted string, bytes in hex) passes it as a string.
	Value, Want any
	Hex         bool
}

// String returns the one-line text: where, what is wrong, and the value
// found compared with the one wanted.
func (t Text) String() string {
	var s string
	if t.Line > 0 {
		s = fmt.Sprintf("%s: %s line %d: %s", t.Pkg, t.LineOf, t.Line, t.Msg)
	} else {
		s = fmt.Sprintf("%s: %s at byte %#x", t.Pkg, t.Msg, t.Offset)
	}
	if t.Value != nil {
		s += ": got " + value(t.Value, t.Hex)
		if t.Want != nil {
			s += ", want " + value(t.Want, t.Hex)
		}
	}
	return s
}

// value renders one value by the rules documented on Text.
func value(v any, hex bool) string {
	switch v := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		if hex {
			return fmt.Sprintf("%#x", v)
		}
		return fmt.Sprint(v)
	case string:
		return v
	case []byte:
		return strconv.Quote(string(v))
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	return "?"
}
