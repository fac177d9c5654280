package modules

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// scanLines calls fn for each line of r with its 1-based number. Lines are
// split on '\n' with a trailing '\r' removed. A line longer than maxLineBytes
// or more than maxLines lines is a *FormatError naming file; read errors are
// wrapped with the file name.
func scanLines(r io.Reader, file string, maxLineBytes, maxLines int, fn func(n int, line string) error) error {
	return scanRecords(r, bufio.ScanLines, file, maxLineBytes, maxLines, fn)
}

// scanNUL splits at NUL bytes, as modules.builtin.modinfo separates its
// records; a last record without one is kept.
func scanNUL(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// scanRecords is scanLines with another split function; each record
// counts as a line in errors.
func scanRecords(r io.Reader, split bufio.SplitFunc, file string, maxLineBytes, maxLines int, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Split(split)
	sc.Buffer(make([]byte, 0, min(4096, maxLineBytes+1)), maxLineBytes+1)
	n := 0
	for sc.Scan() {
		n++
		if n > maxLines {
			return &FormatError{File: file, Line: n, Msg: fmt.Sprintf("more than %d lines", maxLines)}
		}
		line := sc.Text()
		if len(line) > maxLineBytes {
			return &FormatError{File: file, Line: n, Msg: fmt.Sprintf("line longer than %d bytes", maxLineBytes)}
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &FormatError{File: file, Line: n + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxLineBytes)}
		}
		return fmt.Errorf("modules: read %s: %w", file, err)
	}
	return nil
}

// isComment reports whether a line with leading and trailing white space
// removed is blank or a '#' comment.
func isComment(trimmed string) bool {
	return trimmed == "" || trimmed[0] == '#'
}

// printable reports whether s is non-empty and consists only of printable
// ASCII other than space.
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
