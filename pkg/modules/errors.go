package modules

import (
	"fmt"
	"strings"
)

// maxErrorValueBytes caps how much of an offending value an error quotes, so
// that one bad line still gives a one-line message.
const maxErrorValueBytes = 64

// FormatError reports content that does not follow one of the formats this
// package reads. I/O errors are returned wrapped, never as a FormatError.
type FormatError struct {
	File  string // file being read: "modules.dep", "modules.softdep", ...
	Line  int    // 1-based line number; 0 if the error is not about one line
	Field string // which part of the line, e.g. "path" or "dep"; may be empty
	Value string // the offending value; may be empty
	Msg   string // what is wrong
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("modules: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Value != "" {
			v := e.Value
			if len(v) > maxErrorValueBytes {
				v = v[:maxErrorValueBytes] + "..."
			}
			fmt.Fprintf(&b, " %q", v)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
