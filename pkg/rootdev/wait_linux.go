package rootdev

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
)

// SysBlock is where the kernel lists block devices.
const SysBlock = "/sys/class/block"

// Waiter waits for devices under one deadline shared by every wait.
type Waiter struct {
	w        *blockdev.Watcher
	prober   *Prober
	timeout  time.Duration
	deadline time.Time // zero: none
	debugf   func(format string, args ...any)
}

// NewWaiter starts the clock: all waits together end timeout (0: never)
// from now. debugf, if not nil, gets a line per scan.
func NewWaiter(w *blockdev.Watcher, timeout time.Duration, debugf func(format string, args ...any)) *Waiter {
	wt := &Waiter{w: w, prober: NewProber(), timeout: timeout, debugf: debugf}
	if timeout > 0 {
		wt.deadline = time.Now().Add(timeout)
	}
	return wt
}

// watch calls check with a fresh view after every change until it is
// done or fails, or the deadline passes (the error then wraps
// context.DeadlineExceeded).
func (wt *Waiter) watch(need Needs, check func(View) (bool, error)) (View, error) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if !wt.deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, wt.deadline)
	}
	defer cancel()
	var view View
	err := wt.w.Wait(ctx, SysBlock, func(devs []blockdev.Device) (bool, error) {
		view = wt.prober.View(devs, need)
		if wt.debugf != nil {
			wt.debugf("%s", Explain(view))
		}
		return check(view)
	})
	return view, err
}

// Wait waits until every spec resolves to a device, or one of them is
// ambiguous. On a timeout the error names what is missing and what was
// seen.
func (wt *Waiter) Wait(specs ...Spec) ([]Match, View, error) {
	matches := make([]Match, len(specs))
	found := make([]bool, len(specs))
	view, err := wt.watch(NeedsOf(specs...), func(v View) (bool, error) {
		all := true
		for i, s := range specs {
			m, ok, err := s.Resolve(v)
			if err != nil {
				return false, err
			}
			matches[i], found[i] = m, ok
			all = all && ok
		}
		return all, nil
	})
	if errors.Is(err, context.DeadlineExceeded) {
		var missing []string
		for i, s := range specs {
			if !found[i] {
				missing = append(missing, fmt.Sprintf("%s: no such %s", s.Raw, s.Kind.Noun()))
			}
		}
		return nil, view, fmt.Errorf("%s after %s; %s", strings.Join(missing, "; "), wt.timeout, Explain(view))
	}
	return matches, view, err
}

// Discover finds the root by the Discoverable Partitions Specification:
// the root partition of arch on the boot disk (the one holding the
// partition loader names, when the boot loader told), else on the only
// disk that has one; ambiguity is an error.
func (wt *Waiter) Discover(arch dps.Arch, loader gpt.GUID) (Match, dps.Candidate, View, error) {
	var m Match
	var c dps.Candidate
	var last error
	view, err := wt.watch(Needs{Tables: true}, func(v View) (bool, error) {
		var disks []dps.Disk
		for _, name := range sortedKeys(v.Disks) {
			t := v.Disks[name].Table
			disks = append(disks, dps.Disk{Name: name, Table: t, Boot: dps.IsBootDisk(t, loader)})
		}
		var err error
		c, err = dps.SelectRoot(disks, arch)
		if errors.Is(err, dps.ErrNotFound) {
			last = err
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for _, d := range v.Devices {
			if d.Disk == c.Disk.Name && d.Partition == c.Partition.Number {
				m = Match{Device: d, Key: "DPS", Value: c.Partition.UUID.String()}
				return true, nil
			}
		}
		return false, nil // in the table, not announced yet
	})
	if errors.Is(err, context.DeadlineExceeded) {
		why := "no disk holds one"
		if last != nil {
			why = last.Error()
		}
		return m, c, view, fmt.Errorf("no %s root partition (Discoverable Partitions) after %s: %s; %s", arch, wt.timeout, why, Explain(view))
	}
	return m, c, view, err
}

// Listed reports whether some disk's partition table holds the
// partition s names, whether or not the kernel announced it yet.
func (s Spec) Listed(v View) bool {
	for _, d := range v.Disks {
		if d.Table == nil {
			continue
		}
		for _, p := range d.Table.Partitions {
			if (s.Kind == ByPartUUID && p.UUID == s.PartUUID) || (s.Kind == ByPartLabel && p.KernelLabel() == s.Value) {
				return true
			}
		}
	}
	return false
}
