package loadlist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Path is where the load list lives in the initramfs.
const Path = "/lib/modules/verinit.load"

// Header is the comment line [Write] writes first.
const Header = "# verinit load list v1: NAME PATH [DEP ...]"

// Limits of the load list. A generic initramfs packs about 50 modules and a
// whole distribution kernel about 6,000; a line is a name (at most 55 bytes),
// a path of about 100 bytes and a few direct dependencies. Lines, counting
// comments and blank lines, may be up to twice the entries.
const (
	MaxLineBytes = 4096
	MaxEntries   = 8192
	MaxLines     = 2 * MaxEntries
)

// maxNameBytes is the longest module name the kernel accepts:
// MODULE_NAME_LEN (64 - sizeof(unsigned long)) minus the terminating NUL.
const maxNameBytes = 55

// maxErrorValueBytes caps how much of an offending value an error quotes.
const maxErrorValueBytes = 64

// Entry is one line of the load list.
type Entry struct {
	Name string   // normalised module name, e.g. "dm_verity"
	Path string   // absolute path of the uncompressed .ko in the initramfs
	Deps []string // names of modules on earlier lines to load first
}

// FormatError reports a load list that breaks the format. Write returns it
// too, for entries it refuses to write.
type FormatError struct {
	Line  int    // 1-based line number; 0 if not about one line
	Field string // "name", "path" or "dep"; may be empty
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

// Write writes entries as a load list: [Header], then one line
// "NAME PATH [DEP ...]" per entry, in the given order. It refuses, with a
// *FormatError, any list that [Parse] would refuse.
func Write(w io.Writer, entries []Entry) error {
	if len(entries) > MaxEntries {
		return &FormatError{Msg: fmt.Sprintf("%d entries; at most %d allowed", len(entries), MaxEntries)}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(Header + "\n")
	seen := make(map[string]bool, len(entries))
	var line strings.Builder
	for i, e := range entries {
		n := i + 2 // line number in the output, after the header
		if err := check(e, seen, n); err != nil {
			return err
		}
		line.Reset()
		line.WriteString(e.Name)
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
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("loadlist: write: %w", err)
	}
	return nil
}

// Parse reads a load list. It checks that every name is a normalised module
// name that appears once, every path is absolute, clean and names NAME.ko,
// every dependency names a module on an earlier line (at most once), and that
// the input stays within [MaxLineBytes], [MaxLines] and [MaxEntries]. Content
// errors are *FormatError values naming the line; read errors are wrapped.
func Parse(r io.Reader) ([]Entry, error) {
	var out []Entry
	seen := make(map[string]bool)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, MaxLineBytes+1), MaxLineBytes+1)
	n := 0
	for sc.Scan() {
		n++
		if n > MaxLines {
			return nil, &FormatError{Line: n, Msg: fmt.Sprintf("more than %d lines", MaxLines)}
		}
		line := sc.Text()
		if len(line) > MaxLineBytes {
			return nil, &FormatError{Line: n, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		f := strings.Fields(line)
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		if len(f) < 2 {
			return nil, &FormatError{Line: n, Msg: "want NAME PATH [DEP ...]"}
		}
		if len(out) == MaxEntries {
			return nil, &FormatError{Line: n, Msg: fmt.Sprintf("more than %d entries", MaxEntries)}
		}
		e := Entry{Name: f[0], Path: f[1]}
		if len(f) > 2 {
			e.Deps = f[2:]
		}
		if err := check(e, seen, n); err != nil {
			return nil, err
		}
		seen[e.Name] = true
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FormatError{Line: n + 1, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		return nil, fmt.Errorf("loadlist: read: %w", err)
	}
	return out, nil
}

// check checks e, the entry on line n, given the names on earlier lines.
func check(e Entry, earlier map[string]bool, n int) error {
	bad := func(field, value, msg string) error {
		return &FormatError{Line: n, Field: field, Value: value, Msg: msg}
	}
	if !validName(e.Name) {
		return bad("name", e.Name, "not 1-55 characters of [A-Za-z0-9_]")
	}
	if earlier[e.Name] {
		return bad("name", e.Name, "listed twice")
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
		case !validName(d):
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

// validName reports whether name is a normalised module name: 1 to
// maxNameBytes bytes of [A-Za-z0-9_].
func validName(name string) bool {
	if name == "" || len(name) > maxNameBytes {
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
