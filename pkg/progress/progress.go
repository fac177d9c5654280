package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Interval is the least time between two redraws.
const Interval = 200 * time.Millisecond

// Meter counts bytes of one task and draws "LABEL: N of TOTAL (P%)" (or
// "LABEL: N" without a total) on its writer. It is safe for concurrent
// use. A nil *Meter is valid and does nothing.
type Meter struct {
	w     io.Writer
	label string
	total int64
	now   func() time.Time

	mu    sync.Mutex
	done  int64
	drawn time.Time // zero until the first draw
	width int       // of the last line drawn, to blank what it leaves
}

// New returns a meter for a task of total bytes (0 if unknown) that
// draws on w, or nil if on is false. The caller decides on, usually with
// Terminal.
func New(w io.Writer, label string, total int64, on bool) *Meter {
	if !on {
		return nil
	}
	return &Meter{w: w, label: label, total: total, now: time.Now}
}

// Add counts n more bytes and redraws if Interval has passed since the
// last draw (or nothing was drawn yet).
func (m *Meter) Add(n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	if t := m.now(); m.drawn.IsZero() || t.Sub(m.drawn) >= Interval {
		m.drawn = t
		m.draw("")
	}
}

// Done draws the final count and ends the line.
func (m *Meter) Done() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.draw("\n")
}

// draw overwrites the current line; m.mu is held.
func (m *Meter) draw(end string) {
	line := m.label + ": " + Bytes(m.done)
	if m.total > 0 {
		line += fmt.Sprintf(" of %s (%d%%)", Bytes(m.total), min(100, m.done*100/m.total))
	}
	pad := max(0, m.width-len(line))
	m.width = len(line)
	fmt.Fprintf(m.w, "\r%s%s%s", line, strings.Repeat(" ", pad), end)
}

// Bytes formats n in binary units with one decimal: "512 B", "1.5 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ReaderAt returns r, counting every byte read through it.
func (m *Meter) ReaderAt(r io.ReaderAt) io.ReaderAt {
	if m == nil {
		return r
	}
	return readerAt{r, m}
}

type readerAt struct {
	r io.ReaderAt
	m *Meter
}

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	r.m.Add(int64(n))
	return n, err
}

// Writer returns w, counting every byte written through it.
func (m *Meter) Writer(w io.Writer) io.Writer {
	if m == nil {
		return w
	}
	return writer{w, m}
}

type writer struct {
	w io.Writer
	m *Meter
}

func (w writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.Add(int64(n))
	return n, err
}
