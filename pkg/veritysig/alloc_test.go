package veritysig

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/alloctest"
)

// TestAllocationBounded checks that hostile input of any size makes Parse
// allocate only for the signature member.
func TestAllocationBounded(t *testing.T) {
	rh := `"rootHash":"` + testRootHash + `"`
	for _, tc := range []struct {
		name  string
		in    []byte
		limit uint64
	}{
		{"8 MiB", make([]byte, 8<<20), 4 << 10},
		{"4 MiB unknown string", []byte(`{"x":"` + strings.Repeat("a", MaxPartitionBytes-16) + `"}`), 4 << 10},
		{"4 MiB unknown array", []byte(`{"x":[` + strings.Repeat("1,", MaxPartitionBytes/2-8) + `1]}`), 4 << 10},
		{"4 MiB of white space", []byte("{" + rh + strings.Repeat(" ", MaxPartitionBytes-100) + "}"), 4 << 10},
		{"4 MiB signature", []byte("{" + rh + `,"signature":"` + strings.Repeat("A", MaxPartitionBytes-100) + `"}`), 4 << 10},
		{"4 MiB escaped signature", []byte("{" + rh + `,"signature":"` + strings.Repeat(`\/`, MaxPartitionBytes/2-100) + `"}`), 4 << 10},
		{"largest accepted signature, escaped", []byte("{" + rh + `,"signature":"` + strings.Repeat(`\u0041`, 87380/6) + `AA=="}`), 512 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := alloctest.Bytes(func() { Parse(tc.in) }); got > tc.limit {
				t.Errorf("Parse allocated %d bytes for %d bytes of input, limit %d", got, len(tc.in), tc.limit)
			}
		})
	}
}
