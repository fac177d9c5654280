// Package extentimage is a compact encoding of sparse disk images for fuzz
// seeds: a device that is zero except for a few runs of bytes. Seeds stay
// small, which keeps Go's fuzzer minimisation fast, and still describe
// real images of many megabytes. Only tests use it.
package extentimage

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// Extent is a run of bytes at a byte offset.
type Extent struct {
	Off  int64
	Data []byte
}

// MaxExtents bounds Decode, so that reads stay cheap.
const MaxExtents = 256

// Decode parses repeated records of uvarint offset, uvarint length and
// that many bytes. It stops at the first malformed record.
func Decode(b []byte) []Extent {
	var ext []Extent
	for len(b) > 0 && len(ext) < MaxExtents {
		off, n1 := binary.Uvarint(b)
		if n1 <= 0 || off > math.MaxInt64 {
			break
		}
		l, n2 := binary.Uvarint(b[n1:])
		if n2 <= 0 || l > uint64(len(b)-n1-n2) {
			break
		}
		b = b[n1+n2:]
		ext = append(ext, Extent{Off: int64(off), Data: b[:l]})
		b = b[l:]
	}
	return ext
}

// Encode encodes the non-zero runs of the given extents, joining runs
// separated by fewer than 16 zero bytes.
func Encode(in ...Extent) []byte {
	var out []byte
	for _, e := range in {
		d := e.Data
		for i := 0; i < len(d); {
			if d[i] == 0 {
				i++
				continue
			}
			j, zeros := i, 0
			for k := i; k < len(d) && zeros < 16; k++ {
				if d[k] == 0 {
					zeros++
				} else {
					zeros, j = 0, k+1
				}
			}
			out = binary.AppendUvarint(out, uint64(e.Off)+uint64(i))
			out = binary.AppendUvarint(out, uint64(j-i))
			out = append(out, d[i:j]...)
			i = j
		}
	}
	return out
}

// Image is a device of Size bytes that is zero except for its extents;
// later extents win where they overlap.
type Image struct {
	Size    int64
	Extents []Extent
}

// ReadAt implements io.ReaderAt.
func (e *Image) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("extentimage: negative offset")
	}
	if off >= e.Size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > e.Size-off {
		n = int(e.Size - off)
	}
	clear(p[:n])
	end := off + int64(n)
	for _, x := range e.Extents {
		xend := x.Off + int64(len(x.Data))
		if xend < x.Off { // overflow: clip
			xend = math.MaxInt64
		}
		lo, hi := max(off, x.Off), min(end, xend)
		if lo < hi {
			copy(p[lo-off:hi-off], x.Data[lo-x.Off:])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
