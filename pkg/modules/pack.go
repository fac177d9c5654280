package modules

import (
	"fmt"
	"strings"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// LoadList makes the load list of plan, a [Resolve] of the names in want:
// each module with its class and direct dependencies, and the aliases the
// init may look up. path gives a module's path in the initramfs.
//
// A module gets the class of the wanted name that stands for it (a name or
// an alias); a module only needed by others is a loadlist.Dep. A storage
// driver without a device alias (one with a ':', such as
// "pci:v*d*sv*sd*bc01sc06i01*") could never be matched, so it loads at
// start. Kept aliases: the device aliases of storage drivers (matched
// against modaliases) and every alias of dm and fs modules (looked up by
// name, such as "crypto-sha256" or "fs-ext4"); patterns are normalised and
// each (pattern, module) pair is kept once.
func LoadList(db *DB, plan Plan, want []Want, path func(Module) string) (loadlist.List, error) {
	ix, err := newIndex(db)
	if err != nil {
		return loadlist.List{}, err
	}
	class := make(map[string]loadlist.Class)
	for _, w := range want {
		mods, _ := ix.lookup(w.Name)
		for _, m := range mods {
			if c, ok := class[m]; !ok || w.Class < c {
				class[m] = w.Class // the earliest class wins
			}
		}
	}
	byModule := make(map[string][]string)
	for _, a := range db.Aliases {
		byModule[NormalizeName(a.Name)] = append(byModule[NormalizeName(a.Name)], a.Pattern)
	}
	var l loadlist.List
	for _, m := range plan.Modules {
		c, ok := class[m.Name]
		if !ok {
			c = loadlist.Dep
		}
		var keep []string
		for _, p := range byModule[m.Name] {
			p = modalias.Normalize(p)
			if !modalias.Valid(p) {
				return loadlist.List{}, fmt.Errorf("modules: alias %q of %s: malformed glob", p, m.Name)
			}
			if c == loadlist.DM || c == loadlist.FS || c == loadlist.Storage && deviceAlias(p) {
				keep = append(keep, p)
			}
		}
		if c == loadlist.Storage && len(keep) == 0 {
			c = loadlist.Start
		}
		l.Modules = append(l.Modules, loadlist.Entry{Name: m.Name, Class: c, Path: path(m), Deps: m.Deps})
		seen := make(map[string]bool, len(keep))
		for _, p := range keep {
			if !seen[p] {
				seen[p] = true
				l.Aliases = append(l.Aliases, modalias.Alias{Pattern: p, Module: m.Name})
			}
		}
	}
	// In the table's order, so that the init's tables need no sort.
	modalias.Sort(l.Aliases)
	return l, nil
}

// deviceAlias reports whether an alias pattern can match a device's
// modalias ("BUS:..."), rather than a name such as "crypto-sha256" or a
// device node ("devname:...").
func deviceAlias(p string) bool {
	bus, _, ok := strings.Cut(p, ":")
	return ok && bus != "" && bus != "devname"
}

// Eager returns l with every module loaded at start and no aliases: the
// load list of an initramfs that loads all it packs, whatever the machine.
func Eager(l loadlist.List) loadlist.List {
	out := loadlist.List{Modules: make([]loadlist.Entry, len(l.Modules))}
	for i, e := range l.Modules {
		e.Class = loadlist.Start
		out.Modules[i] = e
	}
	return out
}
