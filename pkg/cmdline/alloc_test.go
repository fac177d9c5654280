package cmdline

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/alloctest"
)

// TestParseAllocation parses the worst command lines of 4 KiB (s390's
// COMMAND_LINE_SIZE, the largest default; most architectures have 2 KiB)
// and of 256 KiB (verinit inspect --cmdline takes any string): the most
// parameters, the most init arguments, quotes everywhere. Parse keeps
// substrings of its input, so what it allocates is the parameter list:
// a bound in proportion to the number of words (at most half the length),
// so about 100 times the length: 400 KiB for 4 KiB.
func TestParseAllocation(t *testing.T) {
	for _, n := range []int{4 << 10, 256 << 10} {
		for _, tc := range []struct {
			name string
			word string
		}{
			{"one-letter flags", "a "},
			{"empty values", "a= "},
			{"quoted keys and values", `"a"="b" `},
			{"init arguments", "-- a "},
			{"module parameters", "m.p=1 "},
		} {
			line := strings.Repeat(tc.word, n/len(tc.word))
			if tc.word == "-- a " {
				line = "-- " + strings.Repeat("a ", (n-3)/2)
			}
			var c *Cmdline
			got := alloctest.Bytes(func() { c = Parse(line) })
			// A Param is 40 bytes; append grows a large slice by a
			// quarter at a time, so all the copies together come to
			// about five times the last: some 200 bytes a word.
			limit := uint64(256*(len(c.Params)+len(c.InitArgs)) + 4<<10)
			if got > limit {
				t.Errorf("%d-byte line of %s: Parse allocated %d bytes for %d parameters and %d init arguments, limit %d",
					len(line), tc.name, got, len(c.Params), len(c.InitArgs), limit)
			}
		}
	}
}
