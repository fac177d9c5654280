package status

import "time"

// Timeline records where the init's time goes, stage after stage: each
// stage lasts from the end of the one before (or the start) to its own
// End, and the parts carved out of it (the device stage's discovery,
// say, which happens between its waits) are recorded after it, its own
// duration reduced by theirs. The stages of a Timeline add up to its
// Total.
type Timeline struct {
	start, last time.Time
	stage       string
	parts       []Stage
	stages      []Stage
	now         func() time.Time
}

// NewTimeline starts a timeline at start; now is the clock (time.Now
// outside tests).
func NewTimeline(start time.Time, now func() time.Time) *Timeline {
	return &Timeline{start: start, last: start, now: now}
}

// Begin names the stage under way: the one End closes next.
func (t *Timeline) Begin(stage string) { t.stage = stage }

// Stage is the name of the stage under way.
func (t *Timeline) Stage() string { return t.stage }

// Part records that d of the stage under way went to the named piece of
// work; a zero or negative d is not recorded.
func (t *Timeline) Part(name string, d time.Duration) {
	if d > 0 {
		t.parts = append(t.parts, Stage{Name: name, Duration: d})
	}
}

// End closes the stage under way: it records the stage, less its
// parts, then the parts, and returns the whole stage's duration.
func (t *Timeline) End() time.Duration {
	now := t.now()
	d := now.Sub(t.last)
	t.last = now
	own := d
	for _, p := range t.parts {
		own -= p.Duration
	}
	t.stages = append(t.stages, Stage{Name: t.stage, Duration: own})
	t.stages = append(t.stages, t.parts...)
	t.parts = nil
	return d
}

// Stages returns what was recorded, in order.
func (t *Timeline) Stages() []Stage { return t.stages }

// Total is the time from the start to the last End.
func (t *Timeline) Total() time.Duration { return t.last.Sub(t.start) }

// Since is the time from the start to now.
func (t *Timeline) Since() time.Duration { return t.now().Sub(t.start) }

// Start is when the timeline started.
func (t *Timeline) Start() time.Time { return t.start }
