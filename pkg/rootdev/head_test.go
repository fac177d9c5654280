//go:build linux

package rootdev

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// flakyReader reads from b until broken, then fails every read.
type flakyReader struct {
	b      []byte
	broken bool
	reads  int
}

func (f *flakyReader) ReadAt(p []byte, off int64) (int, error) {
	f.reads++
	if f.broken {
		return 0, errors.New("I/O error")
	}
	return bytes.NewReader(f.b).ReadAt(p, off)
}

func TestHeadReader(t *testing.T) {
	disk := make([]byte, 3*headBytes)
	for i := range disk {
		disk[i] = byte(i * 7)
	}
	r := &flakyReader{b: disk}
	h := newHeadReader(r, int64(len(disk)))
	r.broken = true // from now on, only the head can answer
	p := make([]byte, 16<<10)
	if n, err := h.ReadAt(p, 1024); err != nil || n != len(p) || !bytes.Equal(p, disk[1024:1024+len(p)]) {
		t.Errorf("read inside the head: %d, %v", n, err)
	}
	if _, err := h.ReadAt(p, headBytes-1024); err == nil {
		t.Error("a read past the head did not go to the disk")
	}

	// A failed head read leaves every read to the disk.
	r = &flakyReader{b: disk, broken: true}
	h = newHeadReader(r, int64(len(disk)))
	r.broken = false
	if n, err := h.ReadAt(p, 0); err != nil || n != len(p) || r.reads != 2 {
		t.Errorf("after a failed head read: %d, %v, %d reads", n, err, r.reads)
	}

	// A disk smaller than the head is read whole.
	small := disk[:4096]
	h = newHeadReader(bytes.NewReader(small), int64(len(small)))
	if len(h.head) != len(small) {
		t.Errorf("head of a %d-byte disk: %d bytes", len(small), len(h.head))
	}
	if _, err := h.ReadAt(p[:512], 4096); err != io.EOF {
		t.Errorf("read at the end of a small disk: %v, want io.EOF", err)
	}
}
