package modules

import (
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/modules/loadlist"
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
		if !loadlist.ValidName(sd.Name) {
			return &FormatError{File: file, Line: n, Field: "name", Value: f[1], Msg: "not a module name"}
		}
		var bad string
		if sd.Pre, sd.Post, bad = softdepWords(f[2:]); bad != "" {
			return &FormatError{File: file, Line: n, Field: "module", Value: bad, Msg: "not printable ASCII"}
		}
		out = append(out, sd)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// softdepWords reads the words of a softdep after the module name: names
// after "pre:" go to pre, after "post:" to post, and words before either
// keyword are ignored, as kmod ignores them. It returns the first word that
// is not printable ASCII, if any.
func softdepWords(words []string) (pre, post []string, bad string) {
	var dst *[]string // nil until "pre:" or "post:"
	for _, w := range words {
		switch w {
		case "pre:":
			dst = &pre
		case "post:":
			dst = &post
		default:
			if dst == nil {
				continue
			}
			if !printable(w) {
				return nil, nil, w
			}
			*dst = append(*dst, NormalizeName(w))
		}
	}
	return pre, post, ""
}
