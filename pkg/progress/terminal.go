package progress

import (
	"io"
	"os"
)

// Terminal reports whether progress belongs on w: w is a terminal and
// term (the TERM variable) is not "dumb". Anything but an *os.File, such
// as a buffer or a pipe, is not a terminal.
func Terminal(w io.Writer, term string) bool {
	f, ok := w.(*os.File)
	return ok && term != "dumb" && isTerminal(f)
}
