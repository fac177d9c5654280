package vmtest

import (
	"regexp"
	"strings"
	"testing"
)

// WantLine fails unless the console has a line matching re.
func WantLine(t testing.TB, console, re string) {
	t.Helper()
	if !regexp.MustCompile("(?m)" + re).MatchString(console) {
		t.Errorf("console lacks a line matching %s", re)
	}
}

// Field digs a value out of the status record: Field(st, "root", "device").
func Field(st map[string]any, path ...string) any {
	var v any = st
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// WantStages fails unless status.json's stages_ms names exactly want, in
// order, and its durations add up to total_ms: the record must account
// for the whole of the init's time.
func WantStages(t testing.TB, st map[string]any, want ...string) {
	t.Helper()
	list, _ := st["stages_ms"].([]any)
	var names []string
	var sum float64
	for _, s := range list {
		m, _ := s.(map[string]any)
		name, _ := m["stage"].(string)
		ms, ok := m["ms"].(float64)
		if !ok || ms < 0 {
			t.Errorf("stage %q: bad ms %v", name, m["ms"])
		}
		names = append(names, name)
		sum += ms
	}
	if got := strings.Join(names, " "); got != strings.Join(want, " ") {
		t.Errorf("stages %q, want %q", got, strings.Join(want, " "))
	}
	total, _ := st["total_ms"].(float64)
	if d := total - sum; d < -0.01 || d > 1 {
		t.Errorf("stages add up to %.3f ms, total_ms is %.3f", sum, total)
	}
}
