package modules

import (
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
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

// ParseBuiltinModinfo reads the aliases of built-in modules from
// modules.builtin.modinfo (Linux 5.2 and later): NUL-terminated records
// "MODULE.KEY=VALUE", of which only the "alias" keys are kept. An alias
// a built-in module declares, such as "crypto-sha256" for a built-in
// sha256_generic, names something the kernel has without any module.
// Errors count records as lines.
func ParseBuiltinModinfo(r io.Reader) ([]Alias, error) {
	const file = "modules.builtin.modinfo"
	var out []Alias
	err := scanRecords(r, scanNUL, file, maxDepLineBytes, maxDepLines, func(n int, rec string) error {
		if rec == "" {
			return nil
		}
		name, kv, ok := strings.Cut(rec, ".")
		key, value, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 {
			return &FormatError{File: file, Line: n, Field: "record", Value: rec, Msg: "want MODULE.KEY=VALUE"}
		}
		module := NormalizeName(name)
		if !loadlist.ValidName(module) {
			return &FormatError{File: file, Line: n, Field: "module", Value: name, Msg: "not a module name"}
		}
		if key != "alias" {
			return nil
		}
		if !printable(value) {
			return &FormatError{File: file, Line: n, Field: "alias", Value: value, Msg: "not printable ASCII"}
		}
		if !modalias.Valid(value) {
			return &FormatError{File: file, Line: n, Field: "alias", Value: value, Msg: "malformed glob"}
		}
		out = append(out, Alias{Pattern: value, Name: module})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
