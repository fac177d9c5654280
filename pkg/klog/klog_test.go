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
