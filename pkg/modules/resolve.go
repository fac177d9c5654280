package modules

import (
	"fmt"
	"slices"

	"github.com/verinit/verinit/pkg/modalias"
)

// maxReduceModules bounds the plans whose dependency lists [Resolve] reduces
// to direct dependencies; the reduction keeps a bit set of ancestors per
// module (n²/8 bytes). Larger plans keep every predecessor, which is still a
// valid order.
const maxReduceModules = 8192

// Plan is the result of [Resolve].
type Plan struct {
	// Modules to load, in load order: every module comes after the modules
	// it depends on and its softdep "pre:" modules, and before its softdep
	// "post:" modules (unless a cycle forbids it).
	Modules []Module
	// Builtin lists the names that were requested or needed but are
	// compiled into the kernel, in the order they were met.
	Builtin []string
	// Missing lists requested names that are neither a module, built in,
	// nor an alias of either, and dependencies that modules.dep names
	// without listing them, in the order they were met.
	Missing []string
}

// Module is one module of a [Plan].
type Module struct {
	Name string   // normalised module name
	Path string   // module file relative to the modules directory, as in modules.dep
	Deps []string // names of earlier modules of the plan that must be loaded first
}

// Resolve returns the modules to load for the requested names: each name's
// module with its modules.dep dependencies and softdep "pre:" and "post:"
// modules, transitively. Names are module names ('-' and '_' are equal) or
// aliases; an alias a built-in module declares (DB.BuiltinAliases) stands
// for that built-in alone. Built-in modules are listed in Plan.Builtin, unknown requested names
// in Plan.Missing; softdep names that resolve to nothing are skipped, as
// modprobe skips them. The order is deterministic: requested names in order,
// then dependencies by name, depth first. Dependency cycles (which depmod
// refuses) do not loop: the edge closing a cycle is dropped.
//
// Module.Deps lists only direct predecessors: a predecessor that another
// predecessor already needs is left out.
func Resolve(db *DB, names []string) (Plan, error) {
	ix, err := newIndex(db)
	if err != nil {
		return Plan{}, err
	}
	r := resolver{
		index: ix,
		state: make(map[string]visitState),
		preds: make(map[string][]string),
		met:   make(map[string]bool),
	}
	for _, n := range names {
		if !printable(n) {
			return Plan{}, fmt.Errorf("modules: resolve: invalid module name %q", n)
		}
		mods, builtin := ix.lookup(n)
		r.addBuiltin(builtin)
		if len(mods) == 0 && len(builtin) == 0 {
			r.addMissing(NormalizeName(n))
		}
		for _, m := range mods {
			r.visit(m)
		}
	}
	return r.plan(), nil
}

type softdeps struct{ pre, post []string }

type index struct {
	mods    map[string]*DepEntry
	builtin map[string]bool
	soft    map[string]*softdeps
	exact   map[string][]string // alias without glob metacharacters -> modules
	globs   []Alias             // normalised patterns with metacharacters
	// builtinAliases finds the built-in modules an alias stands for.
	builtinAliases *modalias.Table
}

func newIndex(db *DB) (*index, error) {
	ix := &index{
		mods:    make(map[string]*DepEntry, len(db.Deps)),
		builtin: make(map[string]bool, len(db.Builtin)),
		soft:    make(map[string]*softdeps),
		exact:   make(map[string][]string),
	}
	for i := range db.Deps {
		e := &db.Deps[i]
		name := Name(e.Path)
		if name == "" {
			return nil, fmt.Errorf("modules: resolve: %q is not a module path", e.Path)
		}
		if prev, dup := ix.mods[name]; dup {
			return nil, fmt.Errorf("modules: resolve: module %s listed twice: %s and %s", name, prev.Path, e.Path)
		}
		ix.mods[name] = e
	}
	for _, p := range db.Builtin {
		if n := Name(p); n != "" {
			ix.builtin[n] = true
		}
	}
	for _, sd := range db.Softdeps {
		name := NormalizeName(sd.Name)
		s := ix.soft[name]
		if s == nil {
			s = &softdeps{}
			ix.soft[name] = s
		}
		s.pre = append(s.pre, sd.Pre...)
		s.post = append(s.post, sd.Post...)
	}
	builtinAliases := make([]modalias.Alias, len(db.BuiltinAliases))
	for i, a := range db.BuiltinAliases {
		builtinAliases[i] = modalias.Alias{Pattern: normalizeAlias(a.Pattern), Module: NormalizeName(a.Name)}
	}
	ix.builtinAliases = modalias.NewTable(builtinAliases)
	for _, a := range db.Aliases {
		a.Pattern = normalizeAlias(a.Pattern)
		a.Name = NormalizeName(a.Name)
		if hasMeta(a.Pattern) {
			ix.globs = append(ix.globs, a)
		} else {
			ix.exact[a.Pattern] = append(ix.exact[a.Pattern], a.Name)
		}
	}
	return ix, nil
}

// lookup resolves a name as modprobe does: a module, else a built-in module,
// else an alias. Unlike modprobe, an alias that a built-in module declares
// stands for that built-in only. It returns the modules (sorted, for an
// alias) and built-ins the name stands for.
func (ix *index) lookup(name string) (mods, builtin []string) {
	n := NormalizeName(name)
	if _, ok := ix.mods[n]; ok {
		return []string{n}, nil
	}
	if ix.builtin[n] {
		return nil, []string{n}
	}
	a := normalizeAlias(name)
	// A name a built-in module declares (crypto-sha256 for a built-in
	// sha256_generic) is one the kernel has: it never asks for it, and
	// the init loads nothing for it (kmod.Provided), so the modules of
	// modules.alias for it (sha256_ssse3) would be packed for nothing.
	if builtin := ix.builtinAliases.Lookup(a); len(builtin) > 0 {
		return nil, builtin
	}
	targets := slices.Clone(ix.exact[a])
	for _, g := range ix.globs {
		if modalias.Match(g.Pattern, a) {
			targets = append(targets, g.Name)
		}
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	for _, t := range targets {
		if _, ok := ix.mods[t]; ok {
			mods = append(mods, t)
		} else if ix.builtin[t] {
			builtin = append(builtin, t)
		}
	}
	return mods, builtin
}

type visitState uint8

const (
	unvisited visitState = iota
	visiting
	visited
)

type resolver struct {
	*index
	state    map[string]visitState
	preds    map[string][]string // module -> modules to load before it (unfiltered)
	order    []string
	builtins []string
	missing  []string
	met      map[string]bool // names already in builtins or missing
}

// visit adds name (a module in the index) and everything it needs to the
// order, depth first.
func (r *resolver) visit(name string) {
	if r.state[name] != unvisited {
		return
	}
	r.state[name] = visiting
	var preds []string
	sd := r.soft[name]
	if sd != nil {
		for _, s := range sd.pre {
			mods, builtin := r.lookup(s)
			r.addBuiltin(builtin)
			for _, m := range mods {
				r.visit(m)
				preds = append(preds, m)
			}
		}
	}
	deps := make([]string, 0, len(r.mods[name].Deps))
	for _, d := range r.mods[name].Deps {
		deps = append(deps, Name(d))
	}
	slices.Sort(deps)
	for _, d := range slices.Compact(deps) {
		if _, ok := r.mods[d]; !ok {
			if r.builtin[d] {
				r.addBuiltin([]string{d})
			} else {
				r.addMissing(d)
			}
			continue
		}
		r.visit(d)
		preds = append(preds, d)
	}
	r.preds[name] = append(r.preds[name], preds...)
	r.order = append(r.order, name)
	r.state[name] = visited
	if sd != nil {
		for _, s := range sd.post {
			mods, builtin := r.lookup(s)
			r.addBuiltin(builtin)
			for _, m := range mods {
				r.visit(m)
				r.preds[m] = append(r.preds[m], name)
			}
		}
	}
}

func (r *resolver) addBuiltin(names []string) {
	for _, n := range names {
		if !r.met[n] {
			r.met[n] = true
			r.builtins = append(r.builtins, n)
		}
	}
}

func (r *resolver) addMissing(n string) {
	if !r.met[n] {
		r.met[n] = true
		r.missing = append(r.missing, n)
	}
}

// plan turns the order into a Plan, keeping for each module only the
// predecessors that come earlier in the order, reduced to direct ones.
func (r *resolver) plan() Plan {
	pos := make(map[string]int, len(r.order))
	for i, n := range r.order {
		pos[n] = i
	}
	n := len(r.order)
	reduce := n <= maxReduceModules
	words := (n + 63) / 64
	var anc [][]uint64 // anc[i]: bit set of modules that must load before module i
	if reduce {
		anc = make([][]uint64, n)
	}
	p := Plan{Modules: make([]Module, 0, n), Builtin: r.builtins, Missing: r.missing}
	for i, name := range r.order {
		var idx []int
		for _, d := range r.preds[name] {
			if j, ok := pos[d]; ok && j < i {
				idx = append(idx, j)
			}
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		if reduce {
			anc[i] = make([]uint64, words)
			for _, j := range idx {
				anc[i][j/64] |= 1 << (j % 64)
				for w := range anc[j] {
					anc[i][w] |= anc[j][w]
				}
			}
			all := slices.Clone(idx)
			idx = slices.DeleteFunc(idx, func(j int) bool {
				for _, k := range all {
					if k != j && anc[k][j/64]&(1<<(j%64)) != 0 {
						return true
					}
				}
				return false
			})
		}
		m := Module{Name: name, Path: r.mods[name].Path}
		for _, j := range idx {
			m.Deps = append(m.Deps, r.order[j])
		}
		p.Modules = append(p.Modules, m)
	}
	return p
}

// Finder tells what a name stands for in one kernel's modules, as Resolve
// looks names up.
type Finder struct {
	ix *index
	db *DB
}

// NewFinder indexes db.
func NewFinder(db *DB) (*Finder, error) {
	ix, err := newIndex(db)
	if err != nil {
		return nil, err
	}
	return &Finder{ix, db}, nil
}

// Find returns the modules and built-in modules that name (a module name
// or an alias such as a device's modalias) stands for.
func (f *Finder) Find(name string) (mods, builtin []string) { return f.ix.lookup(name) }
