package modules

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// maxModinfoBytes caps the .modinfo section of one module. Its records
// are mostly the aliases of the devices a driver handles; Debian 6.1's
// largest (a few hundred aliases) is well below 100 KiB.
const maxModinfoBytes = 1 << 20

// Modinfo is what a module declares about itself in its .modinfo section:
// NUL-separated "key=value" strings that the MODULE_* macros and modpost
// write (kmod's modinfo(8) prints them). Only the keys depmod turns into
// modules.alias and modules.softdep, and modpost's depends=, are kept.
type Modinfo struct {
	// Aliases are the alias= values in order, each a shell glob such as
	// "pci:v00001AF4d00001001sv*sd*bc*sc*i*" or "crypto-sha256".
	Aliases []string
	// Softdeps are the softdep= values in order. Their Name is empty:
	// the module's name comes from its file name, as depmod takes it.
	Softdeps []Softdep
	// Depends are the modules named by depends=, which modpost writes
	// from the symbols the module uses and other modules export when the
	// kernel is built. depmod does not read it (see [Scan]).
	Depends []string
}

// ParseModinfo parses the contents of a module's .modinfo section. Records
// are split at runs of NUL bytes, as kmod splits them; a record without
// '=' is a key with an empty value. An alias must be printable ASCII
// without spaces and a well-formed glob, a softdep's names printable ASCII
// and depends= a comma-separated list of module names; other keys (such
// as description= or author=, which may be UTF-8) are not looked at.
// Errors are a *FormatError whose Line is the record's number.
func ParseModinfo(b []byte) (Modinfo, error) {
	const file = ".modinfo"
	var mi Modinfo
	if len(b) > maxModinfoBytes {
		return mi, &FormatError{File: file, Msg: fmt.Sprintf("%d bytes; at most %d allowed", len(b), maxModinfoBytes)}
	}
	n := 0
	for rest := b; len(rest) > 0; {
		rec := rest
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			rec, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(rec) == 0 {
			continue // padding between and after records
		}
		n++
		key, value, _ := strings.Cut(string(rec), "=")
		switch key {
		case "alias":
			if !printable(value) {
				return Modinfo{}, &FormatError{File: file, Line: n, Field: key, Value: value, Msg: "not printable ASCII without spaces"}
			}
			if !modalias.Valid(value) {
				return Modinfo{}, &FormatError{File: file, Line: n, Field: key, Value: value, Msg: "malformed glob"}
			}
			mi.Aliases = append(mi.Aliases, value)
		case "softdep":
			pre, post, bad := softdepWords(strings.Fields(value))
			if bad != "" {
				return Modinfo{}, &FormatError{File: file, Line: n, Field: key, Value: bad, Msg: "not printable ASCII"}
			}
			mi.Softdeps = append(mi.Softdeps, Softdep{Pre: pre, Post: post})
		case "depends":
			for _, d := range strings.Split(value, ",") {
				if d == "" {
					continue // "depends=" of a module that needs none
				}
				name := NormalizeName(d)
				if !loadlist.ValidName(name) {
					return Modinfo{}, &FormatError{File: file, Line: n, Field: key, Value: d, Msg: "not a module name"}
				}
				mi.Depends = append(mi.Depends, name)
			}
		}
	}
	return mi, nil
}
