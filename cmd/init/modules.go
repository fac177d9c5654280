package main

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/kmod"
	"github.com/verinit/verinit/pkg/modules/loadlist"
	"github.com/verinit/verinit/pkg/status"
)

// sysBus is where coldplug finds the devices present before the init ran.
const sysBus = "/sys/bus"

// modLoader loads the packed modules by need and keeps what the status
// record says about it. A nil *modLoader (no list packed) does nothing.
type modLoader struct {
	l        *kmod.Loader
	log      *klog.Logger
	start    time.Time                      // the init's, for the status record
	waits    map[kmod.Trigger]time.Duration // how long the init waited, per trigger
	coldplug time.Duration
}

// startModules loads the start class and waits for it, then matches the
// modalias of every device present against the storage drivers' aliases
// and starts those (coldplug), and has the watcher do the same for every
// device added later (hotplug). Storage drivers load in the background
// while the device stage waits for the root.
func (b *boot) startModules(cl *cmdline.Cmdline, w *blockdev.Watcher) *modLoader {
	mods, aliases, err := kmod.ReadList(loadlist.Path)
	if errors.Is(err, os.ErrNotExist) {
		b.done("no modules packed")
		return nil
	}
	if err != nil {
		// Loading nothing is not fatal by itself: the root may need no
		// module. If it does, waiting for it says so.
		b.log.Errorf(b.stage(), "%v", err)
	}
	m := &modLoader{l: kmod.NewLoader(mods, aliases, kmod.Options{Params: cl.ModuleParams, Blacklisted: cl.Blacklisted, Provided: kmod.KernelProvides}),
		log: b.log, start: b.tl.Start(), waits: map[kmod.Trigger]time.Duration{}}
	t := time.Now()
	start := m.l.Class(loadlist.Start, kmod.ByStart)
	m.l.Wait(start...)
	m.waits[kmod.ByStart] = time.Since(t)

	t = time.Now()
	coldplug := func() []string {
		var started []string
		named, every := m.l.Buses()
		err := blockdev.Modaliases(sysBus, named, every, func(a string) {
			started = append(started, m.l.Modalias(a)...)
		})
		if err != nil {
			b.log.Logf(klog.Warn, "modules", "%v", err)
		}
		return started
	}
	started := coldplug()
	m.coldplug = time.Since(t)
	w.OnModalias(func(a string) {
		if s := m.l.Modalias(a); len(s) > 0 {
			b.log.Debugf(b.stage(), "%s: loading %s", a, strings.Join(s, " "))
		}
	}, func() { coldplug() })
	// The device stage decides only once no storage driver is loading:
	// one still probing may add a second disk holding the same root.
	w.OnBusy(m.l.Running)
	// On a failure the status record is not written: say here which
	// modules failed, since a missing driver is a likely cause.
	b.undo = append(b.undo, func() error {
		for _, r := range m.l.Finished() {
			if r.Err != nil {
				b.log.Logf(klog.Warn, "modules", "%v", r.Err)
			}
		}
		return nil
	})
	b.done("%d of %d modules at start (%dms); devices present need %s (%dms)", len(start), len(mods), m.waits[kmod.ByStart].Milliseconds(),
		orNone(started), m.coldplug.Milliseconds())
	return m
}

// need loads the modules that names stand for (module names or aliases
// such as "crypto-sha256", "fs-ext4") and waits for them.
func (m *modLoader) need(stage string, trigger kmod.Trigger, names ...string) {
	if m == nil {
		return
	}
	t := time.Now()
	mods := m.l.Need(trigger, names...)
	m.l.Wait(mods...)
	d := time.Since(t)
	m.waits[trigger] += d
	m.log.Debugf(stage, "modules for %s: %s (%dms)", strings.Join(names, " "), orNone(mods), d.Milliseconds())
}

// record waits for every load still running and puts the outcomes into
// the status record.
func (m *modLoader) record(st *status.Status) {
	if m == nil {
		return
	}
	res := m.l.Results()
	ml := status.ModuleLoad{Packed: len(res), Coldplug: m.coldplug}
	by := map[kmod.Trigger]*status.ModuleTrigger{}
	triggers := kmod.Triggers()
	for _, t := range triggers {
		ml.Triggers = append(ml.Triggers, status.ModuleTrigger{Trigger: t.String(), Wait: m.waits[t]})
	}
	for i, t := range triggers {
		by[t] = &ml.Triggers[i]
	}
	for _, r := range res {
		mod := status.Module{Name: r.Name, Class: r.Class.String(), Outcome: r.Outcome.String(), Trigger: r.Trigger.String(), Duration: r.Duration}
		if !r.Started.IsZero() {
			mod.At = r.Started.Sub(m.start)
		}
		st.Modules = append(st.Modules, mod)
		switch {
		case r.Outcome == kmod.Unused:
			ml.Unused++
		case r.OK():
			ml.Loaded++
		case r.Outcome == kmod.Failed || r.Outcome == kmod.DepFailed || r.Outcome == kmod.Missing:
			ml.Failed++
		}
		ml.Load += r.Duration
		if t := by[r.Trigger]; t != nil {
			t.Modules++
			t.Load += r.Duration
		}
		if r.Err != nil {
			m.log.Logf(klog.Warn, "modules", "%v", r.Err)
		} else if r.Outcome != kmod.Unused {
			m.log.Debugf("modules", "%s (%s): %s by %s in %s", r.Name, r.Class, r.Outcome, r.Trigger, r.Duration)
		}
	}
	st.ModuleLoad = &ml
	m.log.Infof("modules", "%s; finit_module %dms in all", kmod.Summary(res), ml.Load.Milliseconds())
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}
