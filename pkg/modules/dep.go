package modules

import (
	"fmt"
	"io"
	"strings"
)

// Limits for the kmod text files. A Debian 6.1 kernel has about 4,000 lines in
// modules.dep (longest about 1,000 bytes) and 26,000 in modules.alias.
const (
	maxDepLineBytes   = 64 << 10
	maxDepLines       = 1 << 16
	maxAliasLineBytes = 4 << 10
	maxAliasLines     = 1 << 20
)

// DepEntry is one line of modules.dep.
type DepEntry struct {
	Name string   // module name, from Path
	Path string   // module file, relative to the modules directory
	Deps []string // files it depends on (depmod lists the full closure), relative
}

// ParseDep parses modules.dep. Blank lines, '#' comments and runs of white
// space are accepted. Every other line must be "PATH:" followed by zero or
// more dependency paths; paths must be clean, relative, inside the modules
// directory and end in .ko, .ko.xz, .ko.zst or .ko.gz. Two lines for the same
// module name, or a module depending on itself, are errors.
func ParseDep(r io.Reader) ([]DepEntry, error) {
	const file = "modules.dep"
	var out []DepEntry
	seen := make(map[string]int) // module name -> line
	err := scanLines(r, file, maxDepLineBytes, maxDepLines, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if isComment(line) {
			return nil
		}
		p, rest, ok := strings.Cut(line, ":")
		if !ok {
			return &FormatError{File: file, Line: n, Msg: `missing ':' after the module path`}
		}
		p = strings.TrimSpace(p)
		name, reason := checkRelPath(p)
		if reason != "" {
			return &FormatError{File: file, Line: n, Field: "path", Value: p, Msg: reason}
		}
		if prev, dup := seen[name]; dup {
			return &FormatError{File: file, Line: n, Field: "path", Value: p,
				Msg: fmt.Sprintf("module %s already listed on line %d", name, prev)}
		}
		seen[name] = n
		e := DepEntry{Name: name, Path: p}
		for _, d := range strings.Fields(rest) {
			dn, reason := checkRelPath(d)
			if reason != "" {
				return &FormatError{File: file, Line: n, Field: "dep", Value: d, Msg: reason}
			}
			if dn == name {
				return &FormatError{File: file, Line: n, Field: "dep", Value: d, Msg: "module depends on itself"}
			}
			e.Deps = append(e.Deps, d)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
