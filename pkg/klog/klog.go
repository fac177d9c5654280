package klog

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Level is a syslog severity as /dev/kmsg understands it.
type Level int

// The levels the init uses.
const (
	Err    Level = 3
	Warn   Level = 4
	Notice Level = 5
	Info   Level = 6
	Debug  Level = 7
)

// maxLine keeps a record below the kernel's LOG_LINE_MAX (1024 minus
// the prefix the kernel adds itself).
const maxLine = 976

// kmsgBurst is how many records the kernel takes from one opener of
// /dev/kmsg before its rate limit drops the rest (printk_devkmsg=ratelimit,
// the default: a burst of 10 per 5 s, kept per open file).
const kmsgBurst = 10

// Logger writes tagged, timed lines. The zero value is not usable; use New.
type Logger struct {
	mu      sync.Mutex
	kmsg    io.Writer // /dev/kmsg, or nil
	console io.Writer // the console, or nil
	start   time.Time
	tag     string
	debug   bool
	records int    // written to kmsg so far
	limit   func() // see OnRateLimit; nil once called
}

// New returns a logger that writes to kmsg (each line one record, with
// its level) and, when console is not nil, also to the console. Lines at
// level Debug are only written once SetDebug(true) was called.
func New(kmsg, console io.Writer, tag string, start time.Time) *Logger {
	return &Logger{kmsg: kmsg, console: console, tag: tag, start: start}
}

// SetDebug turns debug lines on or off.
func (l *Logger) SetDebug(on bool) {
	l.mu.Lock()
	l.debug = on
	l.mu.Unlock()
}

// OnRateLimit sets what the logger calls, once, before the first record
// that the kernel's rate limit on /dev/kmsg could drop: lifting it costs
// a write to /proc/sys, which a boot that logs less never pays.
func (l *Logger) OnRateLimit(f func()) {
	l.mu.Lock()
	l.limit = f
	l.mu.Unlock()
}

// Logf writes one line at the given level, naming the stage.
func (l *Logger) Logf(level Level, stage, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if level >= Debug && !l.debug {
		return
	}
	msg := fmt.Sprintf(format, args...)
	ms := time.Since(l.start).Milliseconds()
	for _, line := range strings.Split(msg, "\n") {
		text := fmt.Sprintf("%s: [%s +%dms] %s", l.tag, stage, ms, line)
		if len(text) > maxLine {
			text = text[:maxLine]
		}
		wrote := false
		if l.kmsg != nil {
			if l.records++; l.records > kmsgBurst && l.limit != nil {
				l.limit()
				l.limit = nil
			}
			// Debug lines were asked for: send them at info level so
			// that the console shows them without loglevel=8.
			_, err := fmt.Fprintf(l.kmsg, "<%d>%s\n", min(level, Info), text)
			wrote = err == nil
		}
		// Without kmsg, or for the console when the kernel would not
		// print the record itself, write the console directly.
		if l.console != nil && !wrote {
			fmt.Fprintf(l.console, "%s\n", text)
		}
	}
}

// Errorf logs at error level.
func (l *Logger) Errorf(stage, format string, args ...any) { l.Logf(Err, stage, format, args...) }

// Infof logs at info level.
func (l *Logger) Infof(stage, format string, args ...any) { l.Logf(Info, stage, format, args...) }

// Debugf logs at debug level, only when debug is on.
func (l *Logger) Debugf(stage, format string, args ...any) { l.Logf(Debug, stage, format, args...) }
