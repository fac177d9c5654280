package kmod

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Loader loads modules of a load list when asked: each after its
// dependencies, modules that do not depend on each other in parallel,
// each at most once. Requests return at once; Wait and Results block.
// A Loader is safe for concurrent use.
type Loader struct {
	opts   Options
	sys    sysLoader
	nodes  []*node // list order
	byName map[string]*node
	// devices matches modaliases against the aliases of storage
	// drivers; named knows every other alias (crypto-sha256, fs-ext4,
	// ...) for the stages' requests. Storage drivers are found by device
	// only: their aliases name buses (pci:..., usb:...), never a request.
	devices, named *modalias.Table
	buses          []string // the buses the storage aliases name ("pci", "virtio", ...)
	everyBus       bool     // some storage alias can match a device on any bus

	mu sync.Mutex
	wg sync.WaitGroup
}

type node struct {
	loadlist.Entry
	deps    []*node
	trigger Trigger       // set under Loader.mu when started
	done    chan struct{} // closed once res is final
	res     Result
}

// NewLoader makes a Loader for mods (each after its Deps, as in the load
// list) and the aliases of the list. Nothing loads until asked.
func NewLoader(mods []loadlist.Entry, aliases []modalias.Alias, opts Options) *Loader {
	return newLoader(mods, aliases, opts, loadModule)
}

func newLoader(mods []loadlist.Entry, aliases []modalias.Alias, opts Options, sys sysLoader) *Loader {
	l := &Loader{opts: opts, sys: sys, byName: make(map[string]*node, len(mods))}
	for _, m := range mods {
		n := &node{Entry: m, done: make(chan struct{})}
		for _, d := range m.Deps {
			if dn := l.byName[d]; dn != nil {
				n.deps = append(n.deps, dn)
			}
		}
		l.nodes = append(l.nodes, n)
		l.byName[m.Name] = n
	}
	// Nearly every alias is a storage driver's (about a thousand in the
	// default set, split at every boot): size for them at once.
	storage, other := make([]modalias.Alias, 0, len(aliases)), []modalias.Alias(nil)
	for _, a := range aliases {
		if n := l.byName[a.Module]; n == nil || n.Class != loadlist.Storage {
			other = append(other, a)
		} else {
			storage = append(storage, a)
			bus, _, ok := strings.Cut(a.Pattern, ":")
			switch {
			case !ok || modalias.HasMeta(bus) || firmwarePrefix(bus):
				l.everyBus = true
			case !slices.Contains(l.buses, bus):
				l.buses = append(l.buses, bus)
			}
		}
	}
	l.devices, l.named = modalias.NewTable(storage), modalias.NewTable(other)
	return l
}

// firmwarePrefix reports whether prefix starts the modaliases of devices
// that firmware describes (ACPI, device tree): such a device can sit on
// any bus (platform, i2c, spi, ...), not on one named like the prefix.
func firmwarePrefix(prefix string) bool { return prefix == "acpi" || prefix == "of" }

// Buses returns the buses whose devices coldplug must read: those the
// storage drivers' aliases name, such as "pci" and "virtio" (a device's
// modalias starts with its bus's name). every is true when some alias can
// match a device on any bus (a firmware prefix, or a pattern for the
// bus): then every bus must be read, the named ones first.
func (l *Loader) Buses() (names []string, every bool) {
	return slices.Clone(l.buses), l.everyBus
}

// Class starts every module of a class, with its dependencies; it
// returns their names.
func (l *Loader) Class(class loadlist.Class, trigger Trigger) []string {
	var names []string
	for _, n := range l.nodes {
		if n.Class == class {
			names = append(names, n.Name)
		}
	}
	l.Start(trigger, names...)
	return names
}

// Modalias starts the storage drivers with an alias matching a device's
// modalias, with their dependencies. It returns the modules it started
// now (not those already started).
func (l *Loader) Modalias(modalias string) []string {
	return l.Start(ByDevice, l.devices.Lookup(modalias)...)
}

// Need starts the modules that names stand for (module names, '-' and
// '_' alike, or aliases such as "crypto-sha256", "fs-ext4"), with their
// dependencies, and returns them (started now or before). Names that
// stand for no packed module are skipped: they may be built in. So are
// names that Options.Provided says the kernel has already.
func (l *Loader) Need(trigger Trigger, names ...string) []string {
	var mods []string
	for _, name := range names {
		if l.opts.Provided != nil && l.opts.Provided(name) {
			continue
		}
		if n := l.byName[strings.ReplaceAll(name, "-", "_")]; n != nil {
			mods = append(mods, n.Name)
			continue
		}
		mods = append(mods, l.named.Lookup(name)...)
	}
	l.Start(trigger, mods...)
	return mods
}

// Start starts the named modules of the list (unknown names are
// skipped), each after its dependencies, and returns those it started
// now.
func (l *Loader) Start(trigger Trigger, names ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var started []string
	for _, name := range names {
		if n := l.byName[name]; n != nil && l.start(n, trigger) {
			started = append(started, name)
		}
	}
	return started
}

// start starts n and its dependencies; l.mu is held.
func (l *Loader) start(n *node, trigger Trigger) bool {
	if n.trigger != NotStarted {
		return false
	}
	n.trigger = trigger
	for _, d := range n.deps {
		l.start(d, trigger)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(n.done)
		for _, d := range n.deps {
			<-d.done
		}
		n.res = l.load(n)
	}()
	return true
}

// load loads n once its dependencies are done.
func (l *Loader) load(n *node) Result {
	r := Result{Name: n.Name, Class: n.Class, Trigger: n.trigger}
	var failed []string
	for _, d := range n.deps {
		if !d.res.ordered() {
			failed = append(failed, d.Name)
		}
	}
	switch {
	case l.opts.Blacklisted != nil && l.opts.Blacklisted(n.Name):
		r.Outcome = Blacklisted
	case len(failed) > 0:
		r.Outcome = DepFailed
		r.Err = fmt.Errorf("kmod: %s: dependency not loaded: %s", n.Name, strings.Join(failed, " "))
	default:
		var params []string
		if l.opts.Params != nil {
			params = l.opts.Params(n.Name)
		}
		r.Started = time.Now()
		err := l.sys(n.Path, strings.Join(params, " "))
		r.Duration = time.Since(r.Started)
		r.Outcome, r.Err = outcome(n.Name, err)
	}
	return r
}

// Wait blocks until the named modules (and so their dependencies) are
// done. Names not started are not waited for.
func (l *Loader) Wait(names ...string) {
	for _, name := range names {
		n := l.byName[name]
		if n == nil {
			continue
		}
		l.mu.Lock()
		started := n.trigger != NotStarted
		l.mu.Unlock()
		if started {
			<-n.done
		}
	}
}

// Running returns nil when no load is running, else a channel closed once
// every load running now has ended. Loads started meanwhile are not
// waited for: ask again.
func (l *Loader) Running() <-chan struct{} {
	l.mu.Lock()
	var running []*node
	for _, n := range l.nodes {
		if n.trigger == NotStarted {
			continue
		}
		select {
		case <-n.done:
		default:
			running = append(running, n)
		}
	}
	l.mu.Unlock()
	if len(running) == 0 {
		return nil
	}
	ended := make(chan struct{})
	go func() {
		for _, n := range running {
			<-n.done
		}
		close(ended)
	}()
	return ended
}

// Results waits for every module started and returns a Result for each
// module of the list, in list order; modules never started are Unused.
func (l *Loader) Results() []Result {
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Result, len(l.nodes))
	for i, n := range l.nodes {
		if n.trigger == NotStarted {
			out[i] = Result{Name: n.Name, Class: n.Class, Outcome: Unused}
			continue
		}
		out[i] = n.res
	}
	return out
}

// Finished returns the results of the modules whose load has ended, in
// list order, without waiting for the others: what a failure report can
// say while loads may still be running.
func (l *Loader) Finished() []Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Result
	for _, n := range l.nodes {
		if n.trigger == NotStarted {
			continue
		}
		select {
		case <-n.done:
			out = append(out, n.res)
		default:
		}
	}
	return out
}
