package modalias

import (
	"cmp"
	"slices"
	"sort"
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
	// entries are the patterns sorted by their literal prefix (the
	// bytes before the first metacharacter; all of an exact alias), so
	// a lookup only tries patterns whose prefix starts the name, found
	// by binary search. One sorted slice rather than a map of slices:
	// the init builds its tables at every boot, and a thousand small
	// allocations cost more there than the searches.
	entries []entry
	// lengths are the distinct prefix lengths, ascending.
	lengths []int
}

type entry struct {
	prefix string
	Alias
}

// NewTable indexes aliases. Patterns are taken as given: normalise them
// first.
func NewTable(aliases []Alias) *Table {
	t := &Table{entries: make([]entry, len(aliases))}
	for i, a := range aliases {
		t.entries[i] = entry{prefix: literalPrefix(a.Pattern), Alias: a}
		// A handful of distinct lengths among a thousand aliases.
		if n := len(t.entries[i].prefix); !slices.Contains(t.lengths, n) {
			t.lengths = append(t.lengths, n)
		}
	}
	less := func(i, j int) bool { return t.entries[i].prefix < t.entries[j].prefix }
	if !sort.SliceIsSorted(t.entries, less) {
		sort.SliceStable(t.entries, less)
	}
	sort.Ints(t.lengths)
	return t
}

// Sort puts aliases in the order a Table keeps them (by literal prefix,
// otherwise as given), which NewTable checks before sorting: the packer
// sorts once so that the init need not at every boot.
func Sort(aliases []Alias) {
	slices.SortStableFunc(aliases, func(a, b Alias) int {
		return strings.Compare(literalPrefix(a.Pattern), literalPrefix(b.Pattern))
	})
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
		pre := name[:n]
		i, _ := slices.BinarySearchFunc(t.entries, pre, func(e entry, p string) int { return cmp.Compare(e.prefix, p) })
		for ; i < len(t.entries) && t.entries[i].prefix == pre; i++ {
			if Match(t.entries[i].Pattern, name) {
				out = append(out, t.entries[i].Module)
			}
		}
	}
	sort.Strings(out)
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
