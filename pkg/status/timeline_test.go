package status

import (
	"reflect"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	start := time.Unix(1000, 0)
	clock := start
	tl := NewTimeline(start, func() time.Time { return clock })
	tick := func(ms int) { clock = clock.Add(time.Duration(ms) * time.Millisecond) }

	tl.Begin("mount")
	tick(5)
	if d := tl.End(); d != 5*time.Millisecond {
		t.Errorf("mount: %v", d)
	}
	tl.Begin("device")
	tick(30)
	tl.Part("discovery", 8*time.Millisecond)
	tl.Part("lvm", 0) // nothing happened: not recorded
	tl.Part("lvm", 4*time.Millisecond)
	if tl.Stage() != "device" {
		t.Errorf("stage %q", tl.Stage())
	}
	if d := tl.End(); d != 30*time.Millisecond {
		t.Errorf("device, with its parts: %v", d)
	}
	tl.Begin("switch")
	tick(7)
	if tl.Since() != 42*time.Millisecond {
		t.Errorf("since %v", tl.Since())
	}
	tl.End()
	want := []Stage{
		{"mount", 5 * time.Millisecond},
		{"device", 18 * time.Millisecond},
		{"discovery", 8 * time.Millisecond},
		{"lvm", 4 * time.Millisecond},
		{"switch", 7 * time.Millisecond},
	}
	if got := tl.Stages(); !reflect.DeepEqual(got, want) {
		t.Errorf("stages\n got %v\nwant %v", got, want)
	}
	var sum time.Duration
	for _, s := range tl.Stages() {
		sum += s.Duration
	}
	if sum != tl.Total() || tl.Total() != 42*time.Millisecond {
		t.Errorf("stages add up to %v, total %v", sum, tl.Total())
	}
}
