package modules

import (
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Alias is one line of modules.alias: the module Name provides every name
// matching the shell glob Pattern (such as a modalias "pci:v00001AF4d*" or
// "crypto-crc32c").
type Alias struct {
	Pattern string // as written in the file
	Name    string // module name, normalised
}

// ParseAlias parses modules.alias: lines "alias PATTERN NAME". Blank lines and
// '#' comments are accepted.
func ParseAlias(r io.Reader) ([]Alias, error) {
	const file = "modules.alias"
	var out []Alias
	err := scanLines(r, file, maxAliasLineBytes, maxAliasLines, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) == 0 || f[0][0] == '#' {
			return nil
		}
		if f[0] != "alias" {
			return &FormatError{File: file, Line: n, Field: "keyword", Value: f[0], Msg: `want "alias"`}
		}
		if len(f) != 3 {
			return &FormatError{File: file, Line: n, Msg: "want \"alias PATTERN NAME\""}
		}
		a := Alias{Pattern: f[1], Name: NormalizeName(f[2])}
		if !printable(a.Pattern) {
			return &FormatError{File: file, Line: n, Field: "pattern", Value: a.Pattern, Msg: "not printable ASCII"}
		}
		if !loadlist.ValidName(a.Name) {
			return &FormatError{File: file, Line: n, Field: "name", Value: f[2], Msg: "not a module name"}
		}
		if !modalias.Valid(a.Pattern) {
			return &FormatError{File: file, Line: n, Field: "pattern", Value: a.Pattern, Msg: "malformed glob"}
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// normalizeAlias replaces '-' with '_' outside bracket expressions, as kmod's
// alias_normalize does, so that "crypto-crc32c" matches "crypto_crc32c".
func normalizeAlias(s string) string { return modalias.Normalize(s) }

// hasMeta reports whether a glob pattern contains a metacharacter.
func hasMeta(pattern string) bool { return modalias.HasMeta(pattern) }
