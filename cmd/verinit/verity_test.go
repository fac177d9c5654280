package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testData writes size bytes of pseudo-random data with some zero blocks.
func testData(t *testing.T, size int) string {
	t.Helper()
	b := make([]byte, size)
	rng := rand.New(rand.NewPCG(7, uint64(size)))
	for i := range b {
		if (i/4096)%5 != 3 {
			b[i] = byte(rng.Uint32())
		}
	}
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(args, &stdout, &stderr)
	return stdout.String() + stderr.String(), code
}

var rootHashRE = regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`)

func veritysetup(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("veritysetup", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("veritysetup %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestVerityInterop: trees made by `verinit verity format` equal
// veritysetup's byte for byte and pass `veritysetup verify`; trees made by
// veritysetup pass `verinit verity verify`; the root hashes agree.
func TestVerityInterop(t *testing.T) {
	if _, err := exec.LookPath("veritysetup"); err != nil {
		t.Fatal("veritysetup is needed (cryptsetup-bin): run scripts/prereqs.sh")
	}
	fixed := []string{"--uuid=0d7e57ab-1e00-4000-8000-000000000001"}
	tests := []struct {
		name string
		size int
		opts []string
	}{
		{"defaults", 3<<20 + 4096, []string{"--salt=00112233445566778899aabbccddeeff"}},
		{"no salt", 1 << 20, []string{"--salt=-"}},
		{"sha512 1024-byte blocks", 1 << 20, []string{"--hash=sha512", "--data-block-size=1024", "--hash-block-size=1024", "--salt=ab"}},
		{"sha1 format 0", 1 << 20, []string{"--hash=sha1", "--format=0", "--salt=abcdef"}},
		{"mixed block sizes", 1 << 20, []string{"--data-block-size=4096", "--hash-block-size=512", "--salt=01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := testData(t, tc.size)
			dir := t.TempDir()
			ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
			out, code := run(t, append([]string{"verity", "format", data, ours}, append(fixed, tc.opts...)...)...)
			if code != 0 {
				t.Fatalf("verinit verity format: %s", out)
			}
			m := rootHashRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no Root hash line in %q", out)
			}
			vout := veritysetup(t, append([]string{"format", data, theirs}, append(fixed, tc.opts...)...)...)
			vm := rootHashRE.FindStringSubmatch(vout)
			if vm == nil || vm[1] != m[1] {
				t.Fatalf("root hash %s, veritysetup %v", m[1], vm)
			}
			a, _ := os.ReadFile(ours)
			b, _ := os.ReadFile(theirs)
			if !bytes.Equal(a, b) {
				t.Errorf("hash files differ (%d and %d bytes)", len(a), len(b))
			}
			// The printed fields match veritysetup's, line for line.
			for _, label := range []string{"UUID", "Hash type", "Data blocks", "Data block size", "Hash blocks", "Hash block size", "Hash algorithm", "Salt", "Hash device size"} {
				re := regexp.MustCompile(`(?m)^` + label + `:\s+(.*)$`)
				if x, y := re.FindStringSubmatch(out), re.FindStringSubmatch(vout); x == nil || y == nil || x[1] != y[1] {
					t.Errorf("%s: ours %q, veritysetup %q", label, x, y)
				}
			}
			veritysetup(t, "verify", data, ours, m[1])
			if out, code := run(t, "verity", "verify", data, theirs, m[1]); code != 0 {
				t.Errorf("verinit verity verify of veritysetup's tree: %s", out)
			}
		})
	}
}

// TestVerityVerifyVeritysetupLayouts: the same-file layout with
// --hash-offset and --no-superblock with parameters given explicitly.
func TestVerityVerifyVeritysetupLayouts(t *testing.T) {
	data := testData(t, 2<<20)
	// Hash appended to the data file.
	img := filepath.Join(t.TempDir(), "img")
	b, _ := os.ReadFile(data)
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	off := fmt.Sprint(len(b))
	root := rootHashRE.FindStringSubmatch(veritysetup(t, "format", img, img, "--hash-offset="+off, "--data-blocks=512"))[1]
	if out, code := run(t, "verity", "verify", img, img, root, "--hash-offset", off); code != 0 {
		t.Errorf("appended: %s", out)
	}
	// No superblock: every parameter explicit.
	hash := filepath.Join(t.TempDir(), "hash")
	root = rootHashRE.FindStringSubmatch(veritysetup(t, "format", data, hash, "--no-superblock", "--salt=abcd", "--hash=sha512"))[1]
	if out, code := run(t, "verity", "verify", data, hash, root, "--no-superblock", "--salt=abcd", "--hash=sha512"); code != 0 {
		t.Errorf("no superblock: %s", out)
	}
	// Our own appended layout passes veritysetup.
	img2 := filepath.Join(t.TempDir(), "img2")
	if err := os.WriteFile(img2, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, "verity", "format", img2, img2, "--hash-offset", off)
	if code != 0 {
		t.Fatalf("format appended: %s", out)
	}
	veritysetup(t, "verify", img2, img2, rootHashRE.FindStringSubmatch(out)[1], "--hash-offset="+off)
}

// TestVerityVerifyNamesBadBlock: a flipped byte is reported by block.
func TestVerityVerifyNamesBadBlock(t *testing.T) {
	data := testData(t, 1<<20)
	hash := filepath.Join(t.TempDir(), "hash")
	out, code := run(t, "verity", "format", data, hash)
	if code != 0 {
		t.Fatal(out)
	}
	root := rootHashRE.FindStringSubmatch(out)[1]
	b, _ := os.ReadFile(data)
	b[30*4096+17] ^= 1
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "verity", "verify", data, hash, root)
	if code != 1 || !strings.Contains(out, "data block 30 (byte 0x1e000 of the data device) does not match its hash") {
		t.Errorf("exit %d: %s", code, out)
	}
	if out, code := run(t, "verity", "dump", hash, "--json"); code != 0 || !strings.Contains(out, `"data_blocks": 256`) {
		t.Errorf("dump: exit %d: %s", code, out)
	}
}
