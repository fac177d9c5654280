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

// Wait waits until every spec resolves to a device, or one of them is
// ambiguous, or timeout (0: none) passes. On a timeout the error names
// what is missing and what was seen. debugf, if not nil, gets a line
// per scan.
func Wait(w *blockdev.Watcher, specs []Spec, timeout time.Duration, debugf func(format string, args ...any)) ([]Match, error) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	prober := NewProber()
	matches := make([]Match, len(specs))
	found := make([]bool, len(specs))
	var view View
	err := w.Wait(ctx, SysBlock, func(devs []blockdev.Device) (bool, error) {
		all := true
		view = prober.View(devs, specs...)
		for i, s := range specs {
			m, ok, err := s.Resolve(view)
			if err != nil {
				return false, err
			}
			matches[i], found[i] = m, ok
			all = all && ok
		}
		if debugf != nil {
			debugf("%s", Explain(view))
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
		return nil, fmt.Errorf("%s after %s; %s", strings.Join(missing, "; "), timeout, Explain(view))
	}
	return matches, err
}
