package verity

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The two benchmarks below format the same 256 MiB file of data (made once,
// synced and left in the page cache) with the default veritysetup options,
// so that
//
//	go test -run '^$' -bench Format -benchtime 3x ./pkg/verity
//
// shows the throughput of Format and of veritysetup side by side. Both end
// with the hash file synced to disk, as veritysetup format does (fsync in
// VERITY_create_or_verify_hash), and both recreate the hash file each time.

const benchBytes = 256 << 20

// benchFile is the data file both benchmarks format, made once per test
// binary run and removed by TestMain.
var benchFile struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFile.dir != "" {
		os.RemoveAll(benchFile.dir)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) (dir, dataPath string, p Params) {
	b.Helper()
	benchFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "verity-bench-")
		if err != nil {
			benchFile.err = err
			return
		}
		benchFile.dir, benchFile.path = dir, filepath.Join(dir, "data")
		if err := os.WriteFile(benchFile.path, genData(99, benchBytes, 4096), 0o600); err != nil {
			benchFile.err = err
			return
		}
		// Write the data back now, so that the kernel's writeback does not
		// compete with the timed loops; the pages stay in the page cache.
		f, err := os.Open(benchFile.path)
		if err != nil {
			benchFile.err = err
			return
		}
		benchFile.err = f.Sync()
		f.Close()
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return b.TempDir(), benchFile.path, stdParams(benchBytes / 4096)
}

func reportMBs(b *testing.B, elapsed time.Duration) {
	b.ReportMetric(float64(benchBytes)*float64(b.N)/elapsed.Seconds()/1e6, "MB/s")
}

// BenchmarkFormat runs Format with one goroutine per CPU.
func BenchmarkFormat(b *testing.B) {
	dir, dataPath, p := benchSetup(b)
	data, err := os.Open(dataPath)
	if err != nil {
		b.Fatal(err)
	}
	defer data.Close()
	hashPath := filepath.Join(dir, "hash")
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := os.Remove(hashPath); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		f, err := os.OpenFile(hashPath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Format(data, f, p, runtime.NumCPU()); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportMBs(b, time.Since(start))
}

// BenchmarkVeritysetupFormat runs veritysetup format on the same data.
func BenchmarkVeritysetupFormat(b *testing.B) {
	veritysetup(b) // fails the benchmark if it is missing
	dir, dataPath, p := benchSetup(b)
	hashPath := filepath.Join(dir, "hash")
	args := []string{"format", dataPath, hashPath, "--salt=" + hex.EncodeToString(p.Salt), "--uuid=" + uuidString(p.UUID)}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := os.Remove(hashPath); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		runVS(b, args...)
	}
	reportMBs(b, time.Since(start))
}
