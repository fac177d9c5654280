package initramfs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression names accepted in Spec.Compression.
const (
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
	CompressionXZ   = "xz"
	CompressionNone = "none"
)

// newCompressor returns a writer compressing into w with the named method.
// The output depends only on the input: no names or times go into headers,
// and encoders run single-threaded.
func newCompressor(method string, w io.Writer) (io.WriteCloser, error) {
	switch method {
	case CompressionGzip:
		// The zero gzip.Header writes no name and MTIME 0.
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case CompressionZstd:
		// The kernel's unzstd accepts windows up to 128 MiB; the encoder's
		// default is at most 8 MiB.
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(true))
	case CompressionXZ:
		// The kernel's xz decoder checks CRC32 but not the default CRC64.
		cfg := xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 8 << 20}
		return cfg.NewWriter(w)
	case CompressionNone:
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown compression %q", method)
}

// newDecompressor returns a reader decompressing r with the named method
// (gzip, zstd or xz), and a func that releases it. zstd's decoder memory
// and window are bounded by maxMemory and maxWindow; gzip needs no bound
// and xz offers none (its decoder allocates the dictionary a block header
// states).
func newDecompressor(method string, r io.Reader, maxMemory, maxWindow uint64) (io.Reader, func(), error) {
	switch method {
	case CompressionGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case CompressionZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(maxMemory), zstd.WithDecoderMaxWindow(maxWindow))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case CompressionXZ:
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown compression %q", method)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// moduleCompression names the method of each compressed module suffix.
var moduleCompression = map[string]string{".gz": CompressionGzip, ".zst": CompressionZstd, ".xz": CompressionXZ}

// elfMagic starts every kernel module.
var elfMagic = []byte("\x7fELF")

// readModule reads the module file p of fsys, decompressing it according to
// compression ("", ".xz", ".zst" or ".gz"), and checks that the result is
// an ELF object of at most maxModuleBytes.
func readModule(fsys fs.FS, p, compression string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	if fi.Size() > maxModuleBytes {
		return nil, fmt.Errorf("%d bytes; at most %d allowed", fi.Size(), maxModuleBytes)
	}
	var r io.Reader = f
	if compression != "" {
		method, ok := moduleCompression[compression]
		if !ok {
			return nil, fmt.Errorf("unknown compression %q", compression)
		}
		zr, release, err := newDecompressor(method, f, maxModuleBytes, maxModuleBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		defer release()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, maxModuleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxModuleBytes {
		return nil, fmt.Errorf("more than %d bytes uncompressed", maxModuleBytes)
	}
	if !bytes.HasPrefix(data, elfMagic) {
		return nil, fmt.Errorf("not an ELF object")
	}
	return data, nil
}
