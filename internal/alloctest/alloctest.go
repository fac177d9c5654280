// Package alloctest measures heap allocation for the tests that bound what
// a parser allocates on hostile input.
package alloctest

import "runtime"

// Bytes returns the bytes f allocates on the heap: the least of three
// runs, as TotalAlloc also counts what other goroutines (the test
// framework's) allocate meanwhile.
func Bytes(f func()) uint64 {
	least := ^uint64(0)
	for range 3 {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		f()
		runtime.ReadMemStats(&m1)
		least = min(least, m1.TotalAlloc-m0.TotalAlloc)
	}
	return least
}
