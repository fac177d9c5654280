package fec

import (
	"bytes"
	"context"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/verinit/verinit/pkg/verity"
)

// The benchmarks encode the same data, made once per test binary run
// (random, every fifth 4 KiB block zero), with veritysetup's defaults (2
// roots, 4 KiB blocks, sha256), so that
//
//	go test ./pkg/fec -run '^$' -bench . -benchtime 1x -fec.benchmib 256
//
// shows Encode and veritysetup side by side. BenchmarkEncode works in
// memory; BenchmarkFormatWithFEC and BenchmarkVeritysetupFormatFEC both
// write the hash tree and the parity to files (pkg/verity's Format, then
// Encode; veritysetup format --fec-device), and BenchmarkVeritysetupFormat
// leaves the parity out, so that the difference is veritysetup's time for
// the parity alone. Each reports MB/s of data.

var benchMiB = flag.Int("fec.benchmib", 64, "MiB of data for the benchmarks")

// bench is the data the benchmarks share.
var bench struct {
	once     sync.Once
	err      error
	dir      string
	dataPath string
	data     []byte
	hash     []byte // the hash device of data, made by pkg/verity
	vp       verity.Params
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		size := *benchMiB << 20
		bench.data = genData(99, size, 4096)
		bench.vp = verity.Params{
			HashType: 1, Algorithm: "sha256", DataBlockSize: 4096, HashBlockSize: 4096,
			DataBlocks: uint64(size / 4096),
		}
		if bench.vp.Salt, bench.err = hex.DecodeString(testSalt); bench.err != nil {
			return
		}
		hash := &memDev{}
		if _, err := verity.Format(bytes.NewReader(bench.data), hash, bench.vp, 0); err != nil {
			bench.err = err
			return
		}
		bench.hash = hash.Bytes()
		if bench.dir, bench.err = os.MkdirTemp("", "fec-bench-"); bench.err != nil {
			return
		}
		bench.dataPath = filepath.Join(bench.dir, "data")
		// Written back now, so that the kernel's writeback does not compete
		// with the timed loops; the pages stay in the page cache.
		if bench.err = os.WriteFile(bench.dataPath, bench.data, 0o600); bench.err != nil {
			return
		}
		f, err := os.Open(bench.dataPath)
		if err != nil {
			bench.err = err
			return
		}
		bench.err = f.Sync()
		f.Close()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

func reportMBs(b *testing.B, elapsed time.Duration) {
	b.ReportMetric(float64(len(bench.data))*float64(b.N)/elapsed.Seconds()/1e6, "MB/s")
}

// sliceWriter writes into a slice allocated up front.
type sliceWriter []byte

func (s sliceWriter) WriteAt(p []byte, off int64) (int, error) { return copy(s[off:], p), nil }

// BenchmarkEncode encodes the data and its hash tree in memory.
func BenchmarkEncode(b *testing.B) {
	for _, bc := range []struct {
		name           string
		roots, workers int
	}{{"roots2", 2, 0}, {"roots2-1worker", 2, 1}, {"roots24", 24, 0}} {
		b.Run(bc.name, func(b *testing.B) {
			benchSetup(b)
			p := Params{Roots: bc.roots}
			l := Layout{DataBlocks: bench.vp.DataBlocks, HashStartBlock: 1, HashEndBytes: uint64(len(bench.hash))}
			in, n, err := p.Input(bytes.NewReader(bench.data), bytes.NewReader(bench.hash), l)
			if err != nil {
				b.Fatal(err)
			}
			parity, _ := p.ParityBlocks(n)
			out := make(sliceWriter, parity*4096)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := Encode(context.Background(), in, n, p, out, 0, bc.workers); err != nil {
					b.Fatal(err)
				}
			}
			reportMBs(b, time.Since(start))
		})
	}
}

// BenchmarkFormatWithFEC does what veritysetup format --fec-device does,
// with files: the tree with pkg/verity's Format, synced as veritysetup
// syncs it, then the parity into a file of its own.
func BenchmarkFormatWithFEC(b *testing.B) {
	benchSetup(b)
	dir := b.TempDir()
	hashPath, fecPath := filepath.Join(dir, "hash"), filepath.Join(dir, "fec")
	data, err := os.Open(bench.dataPath)
	if err != nil {
		b.Fatal(err)
	}
	defer data.Close()
	var p Params
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		hash := createFile(b, hashPath)
		if _, err := verity.Format(data, hash, bench.vp, 0); err != nil {
			b.Fatal(err)
		}
		if err := hash.Sync(); err != nil {
			b.Fatal(err)
		}
		fi, err := hash.Stat()
		if err != nil {
			b.Fatal(err)
		}
		l := Layout{DataBlocks: bench.vp.DataBlocks, HashStartBlock: 1, HashEndBytes: uint64(fi.Size())}
		in, n, err := p.Input(data, hash, l)
		if err != nil {
			b.Fatal(err)
		}
		fec := createFile(b, fecPath)
		if err := Encode(context.Background(), in, n, p, fec, 0, 0); err != nil {
			b.Fatal(err)
		}
		if err := fec.Close(); err != nil {
			b.Fatal(err)
		}
		hash.Close()
	}
	reportMBs(b, time.Since(start))
}

// BenchmarkVeritysetupFormatFEC runs veritysetup format --fec-device on the
// same data.
func BenchmarkVeritysetupFormatFEC(b *testing.B) {
	benchVeritysetup(b, true)
}

// BenchmarkVeritysetupFormat runs veritysetup format without parity, for
// the share of the parity in BenchmarkVeritysetupFormatFEC.
func BenchmarkVeritysetupFormat(b *testing.B) {
	benchVeritysetup(b, false)
}

func benchVeritysetup(b *testing.B, withFEC bool) {
	veritysetup(b) // fails the benchmark if it is missing
	benchSetup(b)
	dir := b.TempDir()
	hashPath, fecPath := filepath.Join(dir, "hash"), filepath.Join(dir, "fec")
	args := []string{"format", bench.dataPath, hashPath, "--salt=" + testSalt, "--uuid=" + testUUID}
	if withFEC {
		args = append(args, "--fec-device="+fecPath, "--fec-roots="+strconv.Itoa(DefaultRoots))
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for _, f := range []string{hashPath, fecPath} {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				b.Fatal(err)
			}
		}
		mustVS(b, args...)
	}
	reportMBs(b, time.Since(start))
}

// createFile creates name anew for writing and reading, closed at the end
// of the benchmark if not before.
func createFile(b *testing.B, name string) *os.File {
	b.Helper()
	if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
		b.Fatal(err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}
