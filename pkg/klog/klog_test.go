package klog

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLogf(t *testing.T) {
	var kmsg, console bytes.Buffer
	l := New(&kmsg, &console, "verinit", time.Now())
	l.Errorf("root", "no such partition")
	l.Debugf("root", "hidden")
	l.SetDebug(true)
	l.Debugf("root", "shown\nsecond")
	got := kmsg.String()
	for _, want := range []string{"<3>verinit: [root +", "] no such partition\n", "<6>verinit: [root +", "] shown\n", "] second\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("kmsg output %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "hidden") {
		t.Errorf("debug line written while debug is off: %q", got)
	}
	if console.Len() != 0 {
		t.Errorf("console written although kmsg worked: %q", console.String())
	}
}

func TestLogfFallsBackToConsoleAndTrims(t *testing.T) {
	var console bytes.Buffer
	l := New(nil, &console, "verinit", time.Now())
	l.Infof("x", "%s", strings.Repeat("a", 5000))
	line := strings.TrimSuffix(console.String(), "\n")
	if len(line) != maxLine {
		t.Errorf("line length %d, want %d", len(line), maxLine)
	}
}

// TestOnRateLimit: the hook runs once, just before the record the
// kernel's burst of 10 per opener would drop, and never for fewer.
func TestOnRateLimit(t *testing.T) {
	var kmsg bytes.Buffer
	l := New(&kmsg, nil, "verinit", time.Now())
	calls, before := 0, 0
	l.OnRateLimit(func() { calls++; before = strings.Count(kmsg.String(), "\n") })
	for range kmsgBurst - 1 {
		l.Infof("x", "line")
	}
	l.Infof("x", "tenth")
	if calls != 0 {
		t.Fatalf("hook called within the burst (after %d records)", before)
	}
	l.Infof("x", "eleventh\ntwelfth")
	l.Infof("x", "thirteenth")
	if calls != 1 || before != kmsgBurst {
		t.Errorf("hook called %d times, first after %d records; want once, after %d", calls, before, kmsgBurst)
	}
}
