package modules

import (
	"io"
	"strings"
)

const (
	maxSoftdepLineBytes = 4 << 10
	maxSoftdepLines     = 1 << 16
)

// Softdep is one "softdep" line of modules.softdep or modprobe.d: modules to
// load before (Pre) and after (Post) the module Name, if they exist. The names
// in Pre and Post may be module names or aliases (such as "crypto-crc32c") and
// are normalised with [NormalizeName].
type Softdep struct {
	Name      string
	Pre, Post []string
}

// ParseSoftdep parses modules.softdep: lines "softdep NAME [pre: A B ...]
// [post: C ...]". Blank lines and '#' comments are accepted. Words between
// NAME and the first "pre:" or "post:" are ignored, as kmod ignores them
// (depmod writes such lines for MODULE_SOFTDEP strings without a keyword).
// Several lines for one module are returned as they are; [Resolve] merges
// them.
func ParseSoftdep(r io.Reader) ([]Softdep, error) {
	const file = "modules.softdep"
	var out []Softdep
	err := scanLines(r, file, maxSoftdepLineBytes, maxSoftdepLines, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) == 0 || f[0][0] == '#' {
			return nil
		}
		if f[0] != "softdep" {
			return &FormatError{File: file, Line: n, Field: "keyword", Value: f[0], Msg: `want "softdep"`}
		}
		if len(f) < 2 {
			return &FormatError{File: file, Line: n, Msg: "missing module name"}
		}
		sd := Softdep{Name: NormalizeName(f[1])}
		if !validName(sd.Name) {
			return &FormatError{File: file, Line: n, Field: "name", Value: f[1], Msg: "not a module name"}
		}
		var dst *[]string // nil until "pre:" or "post:"
		for _, w := range f[2:] {
			switch w {
			case "pre:":
				dst = &sd.Pre
			case "post:":
				dst = &sd.Post
			default:
				if dst == nil {
					continue
				}
				if !printable(w) {
					return &FormatError{File: file, Line: n, Field: "module", Value: w, Msg: "not printable ASCII"}
				}
				*dst = append(*dst, NormalizeName(w))
			}
		}
		out = append(out, sd)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
