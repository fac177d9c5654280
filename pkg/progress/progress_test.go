package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/internal/ptytest"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB", 1 << 62: "4.0 EiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMeterThrottlesAndEnds(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, "hash", 4<<20, true)
	clock := time.Unix(1000, 0)
	m.now = func() time.Time { return clock }
	m.Add(1 << 20) // first Add draws
	m.Add(1 << 20) // too soon: no draw
	clock = clock.Add(Interval)
	m.Add(1 << 20)
	m.Done()
	want := "\rhash: 1.0 MiB of 4.0 MiB (25%)" +
		"\rhash: 3.0 MiB of 4.0 MiB (75%)" +
		"\rhash: 3.0 MiB of 4.0 MiB (75%)\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}

func TestMeterUnknownTotalBlanksLongerLine(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, "write", 0, true)
	m.Add(2000)
	m.done = 0 // a shorter line is padded to blank the longer one
	m.Done()
	m.done = 5
	m.Done()
	want := "\rwrite: 2.0 KiB\rwrite: 0 B    \n\rwrite: 5 B\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}

func TestNilMeterIsQuiet(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, "x", 10, false)
	if m != nil {
		t.Fatal("New with on=false returned a meter")
	}
	m.Add(5)
	m.Done()
	r := m.ReaderAt(strings.NewReader("abc"))
	b := make([]byte, 3)
	if _, err := r.ReadAt(b, 0); err != nil || string(b) != "abc" {
		t.Fatalf("ReadAt: %q, %v", b, err)
	}
	if _, err := m.Writer(&buf).Write([]byte("ok")); err != nil || buf.String() != "ok" {
		t.Fatalf("Write: %q, %v", buf.String(), err)
	}
}

func TestWrappersCount(t *testing.T) {
	var out bytes.Buffer
	m := New(io.Discard, "x", 0, true)
	if _, err := m.ReaderAt(strings.NewReader("abcdef")).ReadAt(make([]byte, 4), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Writer(&out).Write([]byte("xyz")); err != nil {
		t.Fatal(err)
	}
	if m.done != 7 {
		t.Errorf("counted %d bytes, want 7", m.done)
	}
}

func TestTerminal(t *testing.T) {
	master, tty, err := ptytest.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name string
		w    io.Writer
		term string
		want bool
	}{
		{"pty", tty, "xterm", true},
		{"pty, TERM unset", tty, "", true},
		{"pty, dumb terminal", tty, "dumb", false},
		{"pipe", w, "xterm", false},
		{"file", f, "xterm", false},
		{"buffer", &bytes.Buffer{}, "xterm", false},
	} {
		if got := Terminal(tc.w, tc.term); got != tc.want {
			t.Errorf("%s: Terminal = %v, want %v", tc.name, got, tc.want)
		}
	}
}
