// Package units runs numbered units of work on a few goroutines, with the
// error of the lowest failing unit, so that a parallel pass reports what a
// sequential one would.
package units

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Run calls a function made by newWorker on every unit in 0..n-1 from up to
// workers goroutines (GOMAXPROCS when workers < 1), each claiming
// the next unit in increasing order. Each goroutine gets its own function,
// and so its own buffers. The error returned is that of the lowest failing
// unit: once a unit fails no higher unit is started, and every lower one
// has been claimed already, so the result does not depend on scheduling. A
// function must stop at the first error within its unit. A cancelled ctx
// stops the units not yet started, with its error as theirs.
func Run(ctx context.Context, workers int, n uint64, newWorker func() func(u uint64) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = int(min(uint64(workers), n))
	var (
		next  atomic.Uint64
		stop  atomic.Uint64 // units >= stop are not started
		mu    sync.Mutex
		first error
		at    uint64
		wg    sync.WaitGroup
	)
	stop.Store(math.MaxUint64)
	fail := func(u uint64, err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil || u < at {
			first, at = err, u
			stop.Store(u)
		}
	}
	for range workers {
		wg.Go(func() {
			do := newWorker()
			for {
				u := next.Add(1) - 1
				if u >= n || u >= stop.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(u, err)
					return
				}
				if err := do(u); err != nil {
					fail(u, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
