package activate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/verinit/verinit/pkg/config"
)

// BenchmarkPrepare is the init's root-hash check without a signature:
// read the veritysetup superblock, merge it with the command line's
// options, hash the tree's top block and compare it with roothash=.
// The devices are in memory, so this is the CPU's part only.
func BenchmarkPrepare(b *testing.B) {
	data := randomFile(b, 1<<20)
	hash := filepath.Join(b.TempDir(), "hash")
	root := veritysetupFormat(b, data, hash, "--salt=abcd")
	hb, err := os.ReadFile(hash)
	if err != nil {
		b.Fatal(err)
	}
	hr := bytes.NewReader(hb)
	v := &config.Verity{RootHash: root, Options: config.VerityOptions{Mode: config.ModeRestart}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prepare(v, nil, 1<<20, "data", hr, "hash", Trust{}); err != nil {
			b.Fatal(err)
		}
	}
}
