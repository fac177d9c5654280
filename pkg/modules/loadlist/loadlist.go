package loadlist

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/modalias"
)

// Path is where the load list lives in the initramfs.
const Path = "/lib/modules/verinit.load"

// Header is the comment line [Write] writes first; VersionLine the line
// that must come before any other (comments and blank lines aside).
const (
	Header      = "# verinit load list: module NAME CLASS PATH [DEP ...] | alias PATTERN NAME"
	VersionLine = "verinit-load 2"
)

// Limits of the load list. A generic initramfs packs about 50 modules and a
// whole distribution kernel about 6,000; a line is a name (at most 55 bytes),
// a path of about 100 bytes and a few direct dependencies. The default set's
// storage drivers have about 1,000 aliases, a whole kernel about 27,000.
// Lines, counting comments and blank lines, may be up to twice the entries.
// A whole kernel's list is a few megabytes.
const (
	MaxLineBytes = 4096
	MaxEntries   = 8192
	MaxAliases   = 32768
	MaxLines     = 2 * (MaxEntries + MaxAliases)
	MaxBytes     = 16 << 20
)

// MaxNameBytes is the longest module name the kernel accepts:
// MODULE_NAME_LEN (64 - sizeof(unsigned long)) minus the terminating NUL.
const MaxNameBytes = 55

// maxErrorValueBytes caps how much of an offending value an error quotes.
const maxErrorValueBytes = 64

// Class says when the init loads a module for its own sake. Whatever the
// class, a module is also loaded, first, when a module that depends on it is.
type Class uint8

// The classes.
const (
	Start   Class = iota // at start, before anything else
	Storage              // when a device's modalias matches one of its aliases
	DM                   // just before device-mapper devices are made
	FS                   // when the root's file system type is known
	Dep                  // only as a dependency of another module
	numClasses
)

var classNames = [numClasses]string{"start", "storage", "dm", "fs", "dep"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// ParseClass returns the class named s.
func ParseClass(s string) (Class, bool) {
	for i, n := range classNames {
		if n == s {
			return Class(i), true
		}
	}
	return 0, false
}

// Entry is one module line of the load list.
type Entry struct {
	Name  string   // normalised module name, e.g. "dm_verity"
	Class Class    // when to load it
	Path  string   // absolute path of the uncompressed .ko in the initramfs
	Deps  []string // names of modules on earlier lines to load first
}

// List is a whole load list.
type List struct {
	// Modules in an order where each comes after its Deps.
	Modules []Entry
	// Aliases of the modules, patterns normalised (modalias.Normalize).
	// Each names a module listed before it.
	Aliases []modalias.Alias
}

// FormatError reports a load list that breaks the format. Write returns it
// too, for entries it refuses to write.
type FormatError struct {
	Line  int    // 1-based line number; 0 if not about one line
	Field string // "version", "class", "name", "path", "dep", "pattern" or "module"; may be empty
	Value string // the offending value; may be empty
	Msg   string // what is wrong
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("loadlist: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
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

// Write writes l as a load list: [Header], [VersionLine], a line
// "module NAME CLASS PATH [DEP ...]" per module and then a line
// "alias PATTERN NAME" per alias, in the given order. It refuses, with a
// *FormatError, any list that [Parse] would refuse.
func Write(w io.Writer, l List) error {
	if len(l.Modules) > MaxEntries {
		return &FormatError{Msg: fmt.Sprintf("%d modules; at most %d allowed", len(l.Modules), MaxEntries)}
	}
	if len(l.Aliases) > MaxAliases {
		return &FormatError{Msg: fmt.Sprintf("%d aliases; at most %d allowed", len(l.Aliases), MaxAliases)}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(Header + "\n" + VersionLine + "\n")
	seen := make(map[string]bool, len(l.Modules))
	var line strings.Builder
	n := 2 // line number in the output
	for _, e := range l.Modules {
		n++
		if err := check(e, seen, n); err != nil {
			return err
		}
		line.Reset()
		line.WriteString("module ")
		line.WriteString(e.Name)
		line.WriteByte(' ')
		line.WriteString(e.Class.String())
		line.WriteByte(' ')
		line.WriteString(e.Path)
		for _, d := range e.Deps {
			line.WriteByte(' ')
			line.WriteString(d)
		}
		if line.Len() > MaxLineBytes {
			return &FormatError{Line: n, Field: "name", Value: e.Name,
				Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		line.WriteByte('\n')
		bw.WriteString(line.String())
		seen[e.Name] = true
	}
	aliases := make(map[modalias.Alias]bool, len(l.Aliases))
	for _, a := range l.Aliases {
		n++
		if err := checkAlias(a, seen, aliases, n); err != nil {
			return err
		}
		if len("alias  ")+len(a.Pattern)+len(a.Module) > MaxLineBytes {
			return &FormatError{Line: n, Field: "pattern", Value: a.Pattern,
				Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		aliases[a] = true
		bw.WriteString("alias " + a.Pattern + " " + a.Module + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("loadlist: write: %w", err)
	}
	return nil
}

// Parse reads a load list. The first line that is not blank or a comment
// must be [VersionLine]; a list of another version (version 1 had none) is
// refused, since the init and its list are packed together. It checks that
// every module name is a normalised module name that appears once, every
// class is known, every path is absolute, clean and names NAME.ko, every
// dependency names a module on an earlier line (at most once), every alias
// is a well-formed normalised glob of a module on an earlier line (each
// pattern and module pair once), and that the input stays within
// [MaxBytes], [MaxLineBytes], [MaxLines], [MaxEntries] and [MaxAliases].
// Content errors are *FormatError values naming the line; read errors are
// wrapped.
func Parse(r io.Reader) (List, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return List{}, fmt.Errorf("loadlist: read: %w", err)
	}
	return ParseBytes(data)
}

// ParseBytes is [Parse] of a list already in memory.
func ParseBytes(data []byte) (List, error) {
	if len(data) > MaxBytes {
		return List{}, &FormatError{Msg: fmt.Sprintf("longer than %d bytes", MaxBytes)}
	}
	// One copy of the whole list: every name, path and pattern below is a
	// slice of it. The init parses this list at every boot, and a copy per
	// line and slices grown alias by alias cost it more than the checks.
	text := string(data)
	nAliases := strings.Count(text, "\nalias ")
	var out List
	if nAliases > 0 {
		out.Aliases = make([]modalias.Alias, 0, nAliases)
	}
	seen := make(map[string]bool)
	aliases := make(map[modalias.Alias]bool, nAliases)
	version := false
	var buf []string // a line's fields, reused
	for n := 1; text != ""; n++ {
		if n > MaxLines {
			return List{}, &FormatError{Line: n, Msg: fmt.Sprintf("more than %d lines", MaxLines)}
		}
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if len(line) > MaxLineBytes {
			return List{}, &FormatError{Line: n, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		f := fields(buf[:0], line)
		buf = f
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		if !version {
			if len(f) != 2 || f[0] != "verinit-load" {
				return List{}, &FormatError{Line: n, Field: "version", Msg: "want \"" + VersionLine + "\" first (a version 1 list has none): pack the initramfs with the verinit of this init"}
			}
			if f[1] != "2" {
				return List{}, &FormatError{Line: n, Field: "version", Value: f[1], Msg: "unsupported; this init reads version 2"}
			}
			version = true
			continue
		}
		switch f[0] {
		case "module":
			if len(f) < 4 {
				return List{}, &FormatError{Line: n, Msg: "want module NAME CLASS PATH [DEP ...]"}
			}
			if len(out.Modules) == MaxEntries {
				return List{}, &FormatError{Line: n, Msg: fmt.Sprintf("more than %d modules", MaxEntries)}
			}
			if len(out.Aliases) > 0 {
				return List{}, &FormatError{Line: n, Msg: "module line after an alias line"}
			}
			c, ok := ParseClass(f[2])
			if !ok {
				return List{}, &FormatError{Line: n, Field: "class", Value: f[2], Msg: "unknown; want start, storage, dm, fs or dep"}
			}
			e := Entry{Name: f[1], Class: c, Path: f[3]}
			if len(f) > 4 {
				e.Deps = slices.Clone(f[4:])
			}
			if err := check(e, seen, n); err != nil {
				return List{}, err
			}
			seen[e.Name] = true
			out.Modules = append(out.Modules, e)
		case "alias":
			if len(f) != 3 {
				return List{}, &FormatError{Line: n, Msg: "want alias PATTERN NAME"}
			}
			if len(out.Aliases) == MaxAliases {
				return List{}, &FormatError{Line: n, Msg: fmt.Sprintf("more than %d aliases", MaxAliases)}
			}
			a := modalias.Alias{Pattern: f[1], Module: f[2]}
			if err := checkAlias(a, seen, aliases, n); err != nil {
				return List{}, err
			}
			aliases[a] = true
			out.Aliases = append(out.Aliases, a)
		default:
			return List{}, &FormatError{Line: n, Field: "keyword", Value: f[0], Msg: "want module or alias"}
		}
	}
	if !version {
		// Even a list of no modules says its version.
		return List{}, &FormatError{Field: "version", Msg: "no \"" + VersionLine + "\" line"}
	}
	return out, nil
}

// checkAlias checks a, the alias on line n, given the modules and aliases
// on earlier lines.
func checkAlias(a modalias.Alias, modules map[string]bool, earlier map[modalias.Alias]bool, n int) error {
	bad := func(field, value, msg string) error {
		return &FormatError{Line: n, Field: field, Value: value, Msg: msg}
	}
	switch {
	case !printable(a.Pattern):
		return bad("pattern", a.Pattern, "not printable ASCII")
	case !modalias.Valid(a.Pattern):
		return bad("pattern", a.Pattern, "malformed glob")
	case modalias.Normalize(a.Pattern) != a.Pattern:
		return bad("pattern", a.Pattern, "not normalised ('_' for '-' outside brackets)")
	case !ValidName(a.Module):
		return bad("module", a.Module, "not 1-55 characters of [A-Za-z0-9_]")
	case !modules[a.Module]:
		return bad("module", a.Module, "not on an earlier module line")
	case earlier[a]:
		return bad("pattern", a.Pattern, "listed twice for module "+a.Module)
	}
	return nil
}

// check checks e, the entry on line n, given the names on earlier lines.
func check(e Entry, earlier map[string]bool, n int) error {
	bad := func(field, value, msg string) error {
		return &FormatError{Line: n, Field: field, Value: value, Msg: msg}
	}
	if !ValidName(e.Name) {
		return bad("name", e.Name, "not 1-55 characters of [A-Za-z0-9_]")
	}
	if earlier[e.Name] {
		return bad("name", e.Name, "listed twice")
	}
	if e.Class >= numClasses {
		return bad("class", e.Class.String(), "unknown")
	}
	switch {
	case !printable(e.Path):
		return bad("path", e.Path, "not printable ASCII")
	case !path.IsAbs(e.Path):
		return bad("path", e.Path, "not absolute")
	case path.Clean(e.Path) != e.Path:
		return bad("path", e.Path, "not a clean path")
	case !strings.HasSuffix(e.Path, ".ko"):
		return bad("path", e.Path, "not an uncompressed module (.ko)")
	case strings.ReplaceAll(strings.TrimSuffix(path.Base(e.Path), ".ko"), "-", "_") != e.Name:
		return bad("path", e.Path, "file name does not match module "+e.Name)
	}
	// A line holds at most about 2,000 deps; past a few, find repeats with a
	// set rather than a quadratic scan.
	var set map[string]bool
	if len(e.Deps) > 16 {
		set = make(map[string]bool, len(e.Deps))
	}
	for i, d := range e.Deps {
		switch {
		case !ValidName(d):
			return bad("dep", d, "not 1-55 characters of [A-Za-z0-9_]")
		case d == e.Name:
			return bad("dep", d, "module depends on itself")
		case !earlier[d]:
			return bad("dep", d, "not on an earlier line")
		case set == nil && slices.Contains(e.Deps[:i], d), set[d]:
			return bad("dep", d, "listed twice")
		}
		if set != nil {
			set[d] = true
		}
	}
	return nil
}

// fields appends the fields of line, split at runs of ASCII white space,
// to buf. Unlike strings.Fields it allocates nothing once buf has room;
// a non-ASCII space stays inside its field, where the checks refuse it.
func fields(buf []string, line string) []string {
	start := -1
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ' || c >= '\t' && c <= '\r':
			if start >= 0 {
				buf = append(buf, line[start:i])
				start = -1
			}
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		buf = append(buf, line[start:])
	}
	return buf
}

// ValidName reports whether name is a normalised module name the kernel
// could load: 1 to MaxNameBytes bytes of [A-Za-z0-9_]. It is the one
// check of module names, for the host's parsers (pkg/modules) too.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameBytes {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// printable reports whether s is non-empty printable ASCII without spaces.
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
