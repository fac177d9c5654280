package kmod

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Module is one entry of the load list.
type Module struct {
	Name string   // normalised name ("dm_verity")
	Path string   // the .ko file inside the initramfs
	Deps []string // names of modules that must be loaded first
}

// Outcome says what happened to one module.
type Outcome int

// The outcomes of loading a module.
const (
	Loaded      Outcome = iota // the kernel accepted it
	Present                    // it was loaded already (EEXIST)
	Blacklisted                // modprobe.blacklist= names it
	Missing                    // its file is not in the initramfs
	NoDevice                   // the module found nothing to drive (ENODEV), e.g. crc32c_intel without SSE4.2
	DepFailed                  // a dependency was not loaded
	Failed                     // the kernel refused it
)

var outcomeNames = [...]string{"loaded", "present", "blacklisted", "missing", "no device", "dependency failed", "failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is the outcome for one module.
type Result struct {
	Name     string
	Outcome  Outcome
	Err      error
	Duration time.Duration
}

// OK reports whether the module is in the kernel now.
func (r Result) OK() bool { return r.Outcome == Loaded || r.Outcome == Present }

// ordered reports whether modules listed after this one may go ahead.
// A module without hardware (ENODEV) is often only a soft dependency,
// such as an accelerated CRC: its dependents are still tried, and the
// kernel refuses them itself if they needed its symbols.
func (r Result) ordered() bool { return r.OK() || r.Outcome == NoDevice }

// Options tell Load what the command line asks for.
type Options struct {
	// Params returns the "param=value" options for a module.
	Params func(module string) []string
	// Blacklisted reports whether modprobe.blacklist= names a module.
	Blacklisted func(module string) bool
}

// loader is the system call behind Load; tests replace it.
type loader func(path, params string) error

// errMissing marks a module file that is not there.
var errMissing = errors.New("module file not found")

// Load loads the modules in the order given. A module whose dependency
// is not loaded is skipped (it would fail with unknown symbols anyway).
// It never stops early: every module gets a Result.
func Load(mods []Module, opts Options) []Result {
	return load(mods, opts, loadModule)
}

func load(mods []Module, opts Options, sys loader) []Result {
	results := make([]Result, 0, len(mods))
	ok := make(map[string]bool, len(mods))
	for _, m := range mods {
		r := Result{Name: m.Name}
		start := time.Now()
		switch {
		case opts.Blacklisted != nil && opts.Blacklisted(m.Name):
			r.Outcome = Blacklisted
		case !depsLoaded(m, ok):
			r.Outcome = DepFailed
			r.Err = fmt.Errorf("kmod: %s: dependency not loaded: %s", m.Name, strings.Join(failedDeps(m, ok), " "))
		default:
			var params []string
			if opts.Params != nil {
				params = opts.Params(m.Name)
			}
			err := sys(m.Path, strings.Join(params, " "))
			switch {
			case err == nil:
				r.Outcome = Loaded
			case errors.Is(err, errExist):
				r.Outcome = Present
			case errors.Is(err, errNoDevice):
				r.Outcome = NoDevice
			case errors.Is(err, errMissing):
				r.Outcome = Missing
				r.Err = fmt.Errorf("kmod: %s: %w", m.Name, err)
			default:
				r.Outcome = Failed
				r.Err = fmt.Errorf("kmod: %s: %w", m.Name, err)
			}
		}
		r.Duration = time.Since(start)
		ok[m.Name] = r.ordered()
		results = append(results, r)
	}
	return results
}

func depsLoaded(m Module, ok map[string]bool) bool {
	return len(failedDeps(m, ok)) == 0
}

func failedDeps(m Module, ok map[string]bool) []string {
	var failed []string
	for _, d := range m.Deps {
		if loaded, known := ok[d]; known && !loaded {
			failed = append(failed, d)
		}
	}
	return failed
}
