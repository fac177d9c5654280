package modalias

import (
	"slices"
	"strings"
)

// Alias says that Module provides every name matching Pattern.
type Alias struct {
	Pattern string // a glob, normalised with Normalize
	Module  string // module name
}

// Table finds the modules whose aliases match a name. The zero Table
// matches nothing; a Table is read-only once made, so lookups may run
// concurrently.
type Table struct {
	// byPrefix groups the patterns by their literal prefix (the bytes
	// before the first metacharacter; all of an exact alias), so a
	// lookup only tries patterns whose prefix starts the name.
	byPrefix map[string][]Alias
	// lengths are the distinct prefix lengths, ascending.
	lengths []int
}

// NewTable indexes aliases. Patterns are taken as given: normalise them
// first.
func NewTable(aliases []Alias) *Table {
	t := &Table{byPrefix: make(map[string][]Alias)}
	for _, a := range aliases {
		pre := literalPrefix(a.Pattern)
		if _, ok := t.byPrefix[pre]; !ok {
			t.lengths = append(t.lengths, len(pre))
		}
		t.byPrefix[pre] = append(t.byPrefix[pre], a)
	}
	slices.Sort(t.lengths)
	t.lengths = slices.Compact(t.lengths)
	return t
}

// Lookup returns the modules with an alias matching name (normalised
// here), sorted, each once.
func (t *Table) Lookup(name string) []string {
	if t == nil {
		return nil
	}
	name = Normalize(name)
	var out []string
	for _, n := range t.lengths {
		if n > len(name) {
			break
		}
		for _, a := range t.byPrefix[name[:n]] {
			if Match(a.Pattern, name) {
				out = append(out, a.Module)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// literalPrefix returns the bytes of pattern before its first
// metacharacter.
func literalPrefix(pattern string) string {
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		return pattern[:i]
	}
	return pattern
}
