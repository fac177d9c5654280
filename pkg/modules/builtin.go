package modules

import (
	"io"
	"strings"
)

// ParseBuiltin parses modules.builtin: one path per line of a module compiled
// into the kernel, relative to the modules directory. Blank lines and '#'
// comments are accepted. It returns the paths in file order.
func ParseBuiltin(r io.Reader) ([]string, error) {
	const file = "modules.builtin"
	var out []string
	err := scanLines(r, file, maxDepLineBytes, maxDepLines, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if isComment(line) {
			return nil
		}
		if _, reason := checkRelPath(line); reason != "" {
			return &FormatError{File: file, Line: n, Field: "path", Value: line, Msg: reason}
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
