package fec

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// Input returns the bytes that the parity of l covers, as one io.ReaderAt
// to give Encode, and their number of blocks (the table's fec_blocks, as
// Blocks returns it): the data blocks from data, then the hash blocks from
// hash (see Layout). data and hash may be the same device. Reads past the
// covered area return io.EOF; a device that ends early gives an error that
// names it and the offset. The error matches ErrInvalidParams.
func (p Params) Input(data, hash io.ReaderAt, l Layout) (io.ReaderAt, uint64, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, 0, err
	}
	blocks, err := p.Blocks(l)
	if err != nil {
		return nil, 0, err
	}
	if data == nil || hash == nil {
		return nil, 0, invalid("nil data or hash device")
	}
	bs := uint64(p.BlockSize)
	in := &concat{
		data:      data,
		hash:      hash,
		dataBytes: int64(l.DataBlocks * bs), // Blocks checked blocks*bs
		size:      int64(blocks * bs),
	}
	if blocks > l.DataBlocks {
		// Blocks checked HashStartBlock <= HashEndBytes/bs.
		in.hashStart = int64(l.HashStartBlock * bs)
		if in.hashStart > math.MaxInt64-(in.size-in.dataBytes) {
			return nil, 0, invalid("hash area at block %d overflows a 63-bit byte offset", l.HashStartBlock)
		}
	}
	return in, blocks, nil
}

// concat is the data area followed by the hash area.
type concat struct {
	data, hash io.ReaderAt
	dataBytes  int64 // bytes from data, from its byte 0
	hashStart  int64 // first byte read from hash
	size       int64 // total bytes
}

func (c *concat) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("fec: negative input offset")
	}
	n := 0
	for len(b) > 0 && off < c.size {
		dev, name, at, avail := c.data, "data", off, c.dataBytes-off
		if off >= c.dataBytes {
			dev, name, at, avail = c.hash, "hash", c.hashStart+off-c.dataBytes, c.size-off
		}
		chunk := b[:min(int64(len(b)), avail)]
		m, err := readFull(dev, chunk, at)
		n += m
		if err != nil {
			return n, fmt.Errorf("%s device at byte %#x: %w", name, at+int64(m), err)
		}
		b, off = b[m:], off+int64(m)
	}
	if len(b) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// readFull reads len(b) bytes at off. It treats a short read as
// io.ErrUnexpectedEOF, ignores io.EOF after a full one (which io.ReaderAt
// allows), and does not trust a reader's count beyond len(b).
func readFull(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	n = max(0, min(n, len(b)))
	if n == len(b) {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
