package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/alloctest"
	"github.com/verinit/verinit/internal/fuzzseed"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate the dm-verity.env seeds of testdata/fuzz/FuzzParseVerityEnv with veritysetup")

// processVerity is meta-security's dm-verity-img.bbclass process_verity,
// unchanged but for the output file: the first line of veritysetup's
// output is dropped, "Key: value" becomes KEY=value with the key upper-cased
// and its spaces turned into '_', and all spaces and tabs of the value
// removed.
const processVerity = `tail -n +2 | {
IFS=":"
while read KEY VAL; do
    printf '%s=%s\n' \
        "$(echo "$KEY" | tr '[:lower:]' '[:upper:]' | sed 's/ /_/g')" \
        "$(echo "$VAL" | tr -d ' \t')"
done
}`

// TestGenerateVerityEnvSeeds writes dm-verity.env files made as the
// Yocto class makes them, from veritysetup format on a 2 MiB image with the
// class's default block sizes, appended and separate. It runs only with
// -genseeds (see testdata/README.md).
func TestGenerateVerityEnvSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("regenerates testdata; run with -genseeds")
	}
	img := filepath.Join(t.TempDir(), "rootfs.ext4.verity")
	const size = 2 << 20
	for _, tc := range []struct {
		name     string
		args     []string
		separate bool
	}{
		{"yocto-appended-ok", []string{"--hash-offset=" + strconv.Itoa(size), img, img}, false},
		{"yocto-separate-ok", []string{img, img + ".vhash"}, true},
	} {
		// A fresh image each time: the appended tree grows the file.
		if err := os.WriteFile(img, bytes.Repeat([]byte("verinit "), size/8), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--data-block-size=1024", "--hash-block-size=4096", "--salt=5ecc8487", "--uuid=8a678132-d493-401d-a0f6-903006c0a5d8", "format"}, tc.args...)
		cmd := exec.Command("sh", "-c", "veritysetup \"$@\" | "+processVerity, "sh")
		cmd.Args = append(cmd.Args, args...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("veritysetup %s: %v", strings.Join(args, " "), err)
		}
		env := string(out) + fmt.Sprintf("DATA_SIZE=%d\n", size)
		if tc.separate {
			e, err := ParseVerityEnv(out)
			if err != nil {
				t.Fatal(err)
			}
			h := e.RootHash // the class's ROOT_UUID and RHASH_UUID: the halves of the root hash
			uuid := func(s string) string { return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32] }
			env += "SEPARATE_HASH=1\nROOT_UUID=" + uuid(h[:32]) + "\nRHASH_UUID=" + uuid(h[32:]) + "\n"
		} else {
			env += "SEPARATE_HASH=0\n"
		}
		fuzzseed.Write(t, "FuzzParseVerityEnv", tc.name, []byte(env))
	}
	// cryptsetup 2.8 prints " [bytes]" after sizes, which the class keeps.
	s := string(fuzzseed.Read(t, filepath.Join("testdata", "fuzz", "FuzzParseVerityEnv", "yocto-appended-ok")))
	for _, k := range []string{"DATA_BLOCK_SIZE=1024", "HASH_BLOCK_SIZE=4096"} {
		s = strings.Replace(s, k+"\n", k+"[bytes]\n", 1)
	}
	fuzzseed.Write(t, "FuzzParseVerityEnv", "yocto-appended-cryptsetup28-ok", []byte(s))
}

// TestVerityEnvSeeds checks that the veritysetup-made seeds parse to what
// veritysetup printed.
func TestVerityEnvSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseVerityEnv", "yocto-*-ok"))
	if err != nil || len(files) < 3 {
		t.Fatalf("%d yocto-*-ok seeds, %v", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			e, err := ParseVerityEnv(fuzzseed.Read(t, file))
			if err != nil {
				t.Fatal(err)
			}
			sep := strings.Contains(file, "separate")
			if len(e.RootHash) != 64 || e.Salt != "5ecc8487" || e.Algorithm != "sha256" || e.HashType != 1 || e.DataBlocks != 2048 ||
				e.DataBlockSize != 1024 || e.HashBlockSize != 4096 || e.DataSize != 2<<20 || e.SeparateHash != sep ||
				(sep && (e.RootUUID == "" || e.HashUUID == "")) {
				t.Errorf("ParseVerityEnv = %+v", e)
			}
		})
	}
}

// TestVerityEnvAllocation checks that the size cap comes before any work:
// an oversized dm-verity.env or policy costs nothing, and the largest
// accepted one costs a small multiple of its size (about 34 times for
// 64 KiB of short keys: the lines, the map of keys seen, the values).
func TestVerityEnvAllocation(t *testing.T) {
	line := "ROOT_HASH=" + strings.Repeat("a", 64) + "\n"
	many := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(line)
		for i := 0; b.Len() < n-20; i++ {
			fmt.Fprintf(&b, "K%d=%d\n", i, i)
		}
		return b.Bytes()
	}
	for _, tc := range []struct {
		name  string
		parse func([]byte) error
		in    []byte
		limit uint64
	}{
		{"dm-verity.env of 64 MiB", func(b []byte) error { _, err := ParseVerityEnv(b); return err }, make([]byte, 64<<20), 1 << 10},
		{"policy of 64 MiB", func(b []byte) error { _, err := ParsePolicy(b); return err }, make([]byte, 64<<20), 1 << 10},
		{"dm-verity.env of 64 KiB of keys", func(b []byte) error { _, err := ParseVerityEnv(b); return err }, many(maxEnvBytes), 48 * maxEnvBytes},
		{"dm-verity.env of one 64 KiB line", func(b []byte) error { _, err := ParseVerityEnv(b); return err }, []byte(line + "X=" + strings.Repeat("x", maxEnvBytes-len(line)-3) + "\n"), 8 * maxEnvBytes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := alloctest.Bytes(func() { err = tc.parse(tc.in) })
			if got > tc.limit {
				t.Errorf("allocated %d bytes for %d bytes of input (%v), limit %d", got, len(tc.in), err, tc.limit)
			}
		})
	}
}
