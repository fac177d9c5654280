package verity

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/devtest"
)

// memDev is the shared in-memory device.
type memDev = devtest.MemDev

// genData returns size bytes of pseudo-random data from seed in which every
// block of bs bytes whose index is a multiple of 7, and blocks 3..5, are
// zero, so that zero blocks are hashed too.
func genData(seed uint64, size, bs int) []byte {
	b := make([]byte, size)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'v', 'e', 'r', 'i', 't', 'y'})
	_, _ = r.Read(b)
	for i := 0; i*bs < size; i++ {
		if i%7 == 0 || (i >= 3 && i <= 5) {
			clear(b[i*bs : min((i+1)*bs, size)])
		}
	}
	return b
}

// veritysetup is the veritysetup binary, as devtest finds it.
var veritysetup = devtest.Veritysetup

// runVS runs veritysetup with args and returns its standard output.
func runVS(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(veritysetup(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("veritysetup %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// runVSErr runs veritysetup with args and returns its error, if any.
func runVSErr(t testing.TB, args ...string) error {
	t.Helper()
	return exec.Command(veritysetup(t), args...).Run()
}

// dumpFields parses "Label:<spaces>\t<value>" lines of veritysetup's
// format and dump output.
func dumpFields(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}

func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	writeFile = devtest.WriteFile
	readFile  = devtest.ReadFile
)

// testUUID is the fixed UUID of the Yocto dm-verity class.
var testUUID = [16]byte{0x8a, 0x67, 0x81, 0x32, 0xd4, 0x93, 0x40, 0x1d, 0xa0, 0xf6, 0x90, 0x30, 0x06, 0xc0, 0xa5, 0xd8}

// stdParams returns format-1 sha256 parameters with 4 KiB blocks, a
// 32-byte salt and testUUID for n data blocks.
func stdParams(n uint64) Params {
	return Params{
		HashType:      1,
		Algorithm:     "sha256",
		DataBlockSize: 4096,
		HashBlockSize: 4096,
		DataBlocks:    n,
		Salt:          []byte("0123456789abcdef0123456789abcdef"),
		UUID:          testUUID,
	}
}

// formatMem runs Format into a memDev and returns the hash device bytes
// and the root hash.
func formatMem(t testing.TB, data []byte, p Params, workers int) ([]byte, []byte) {
	t.Helper()
	hash := &memDev{}
	root, err := Format(bytes.NewReader(data), hash, p, workers)
	if err != nil {
		t.Fatalf("Format: %v", err)
	}
	return hash.Bytes(), root
}
