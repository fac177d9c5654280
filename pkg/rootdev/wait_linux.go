package rootdev

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/blockdev"
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
	scanning time.Duration
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

// Timeout is the bound of all waits together.
func (wt *Waiter) Timeout() time.Duration { return wt.timeout }

// Scanning is how long the waits so far spent on their scans (reading
// partition tables and LVM labels, and the checks), rather than on
// waiting for devices.
func (wt *Waiter) Scanning() time.Duration { return wt.scanning }

// Watch calls check with a fresh view after every change until it is
// done or fails, or the deadline passes (the error then wraps
// context.DeadlineExceeded).
func (wt *Waiter) Watch(need Needs, check func(View) (bool, error)) (View, error) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if !wt.deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, wt.deadline)
	}
	defer cancel()
	var view View
	err := wt.w.Wait(ctx, SysBlock, func(devs []blockdev.Device, events []blockdev.Event) (bool, error) {
		t := time.Now()
		defer func() { wt.scanning += time.Since(t) }()
		view = wt.prober.View(devs, need)
		if wt.debugf != nil {
			why := "first scan"
			if len(events) > 0 {
				why = "after uevents " + blockdev.EventNames(events)
			}
			wt.debugf("%s (read in %s): %s", why, time.Since(t).Round(time.Microsecond), Explain(view))
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
	view, err := wt.Watch(NeedsOf(specs...), func(v View) (bool, error) {
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
