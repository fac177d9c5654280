package units

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

// TestRunLowestError: whatever the scheduling, the error is the lowest
// failing unit's, every unit below it ran, and none ran twice.
func TestRunLowestError(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 16} {
		for range 20 {
			var ran [100]atomic.Int32
			err := Run(context.Background(), workers, 100, func() func(uint64) error {
				return func(u uint64) error {
					ran[u].Add(1)
					if u == 37 || u == 80 {
						return fmt.Errorf("unit %d", u)
					}
					return nil
				}
			})
			if err == nil || err.Error() != "unit 37" {
				t.Fatalf("workers %d: %v, want unit 37", workers, err)
			}
			for u := range ran {
				if n := ran[u].Load(); n > 1 || u < 37 && n != 1 {
					t.Fatalf("workers %d: unit %d ran %d times", workers, u, n)
				}
			}
		}
	}
}

// TestRunCancelled: a cancelled context starts no unit and is the error.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	err := Run(ctx, 2, 10, func() func(uint64) error {
		return func(uint64) error { ran.Add(1); return nil }
	})
	if !errors.Is(err, context.Canceled) || ran.Load() != 0 {
		t.Fatalf("Run with a cancelled context: %v, %d units ran", err, ran.Load())
	}
	if err := Run(context.Background(), 4, 0, nil); err != nil {
		t.Fatalf("no units: %v", err)
	}
}
