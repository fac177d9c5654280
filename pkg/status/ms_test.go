package status

import (
	"strconv"
	"testing"
	"time"
)

// The integer formatting writes what AppendFloat wrote before.
func TestMillisecondsAsAppendFloat(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, 999 * time.Microsecond, time.Millisecond, 1234567 * time.Microsecond, -1500 * time.Microsecond, 90 * time.Minute, 1234567891 * time.Nanosecond} {
		w := writer{first: true}
		w.ms("x", d)
		want := `"x":` + strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64)
		if got := string(w.b); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
