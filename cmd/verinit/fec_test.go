package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fecLayout is one way veritysetup and verinit lay out a tree with
// forward error correction, as file names and options.
type fecLayout struct {
	name string
	size int // data bytes
	// hash and fec name the hash and FEC devices: "data", "hash" or "fec".
	hash, fec string
	opts      []string
}

var fecLayouts = []fecLayout{
	{"separate files", 3<<20 + 4096, "hash", "fec", nil},
	{"roots 7 at an offset", 1 << 20, "hash", "fec", []string{"--fec-roots=7", "--fec-offset=8192"}},
	// Right after the tree: veritysetup cannot read a gap it has not
	// written yet ("Failed to read RS block").
	{"parity on the hash device", 2 << 20, "hash", "hash", []string{"--fec-roots=24", "--fec-offset=24576"}},
	{"all on the data device", 2 << 20, "data", "data", []string{"--hash-offset=2097152", "--fec-offset=2121728", "--data-blocks=512"}},
}

// formatFEC runs `verinit verity format` (ours) or veritysetup format on a
// copy of data in a new directory laid out as l, and returns the paths of
// the data, hash and FEC devices and what the command printed.
func formatFEC(t *testing.T, l fecLayout, data string, ours bool) (paths map[string]string, out string) {
	t.Helper()
	dir := t.TempDir()
	paths = map[string]string{"data": filepath.Join(dir, "data"), "hash": filepath.Join(dir, "hash"), "fec": filepath.Join(dir, "fec")}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths["data"], b, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"format", paths["data"], paths[l.hash], "--fec-device", paths[l.fec],
		"--salt=0011223344", "--uuid=0d7e57ab-1e00-4000-8000-000000000002"}, l.opts...)
	if !ours {
		return paths, veritysetup(t, args...)
	}
	out, code := run(t, append([]string{"verity"}, args...)...)
	if code != 0 {
		t.Fatalf("verinit verity %s: %s", strings.Join(args, " "), out)
	}
	return paths, out
}

// TestVerityFECInterop: `verinit verity format --fec-device` writes the
// hash device and parity of veritysetup byte for byte and prints the same
// fields; veritysetup verify --fec-device accepts ours and verinit verity
// verify --fec-device accepts veritysetup's, in each layout.
func TestVerityFECInterop(t *testing.T) {
	if _, err := exec.LookPath("veritysetup"); err != nil {
		t.Fatal("veritysetup is needed (cryptsetup-bin): run scripts/prereqs.sh")
	}
	for _, l := range fecLayouts {
		t.Run(l.name, func(t *testing.T) {
			data := testData(t, l.size)
			ours, out := formatFEC(t, l, data, true)
			theirs, vout := formatFEC(t, l, data, false)
			for _, dev := range []string{"data", "hash", "fec"} {
				a, _ := os.ReadFile(ours[dev])
				b, _ := os.ReadFile(theirs[dev])
				if i := firstMismatch(a, b); len(a) != len(b) || i >= 0 {
					t.Errorf("%s device: ours %d bytes, veritysetup's %d, first difference at byte %d", dev, len(a), len(b), i)
				}
			}
			for _, label := range []string{"Data blocks", "Hash blocks", "FEC RS roots", "FEC blocks", "Salt", "Root hash", "Hash device size", "FEC device size"} {
				re := regexp.MustCompile(`(?m)^` + label + `:\s+(.*)$`)
				if x, y := re.FindStringSubmatch(out), re.FindStringSubmatch(vout); (x == nil) != (y == nil) || x != nil && x[1] != y[1] {
					t.Errorf("%s: ours %q, veritysetup %q", label, x, y)
				}
			}
			root := rootHashRE.FindStringSubmatch(out)[1]
			verifyArgs := func(p map[string]string) []string {
				return append([]string{"verify", p["data"], p[l.hash], root, "--fec-device", p[l.fec]}, fecOnly(l.opts)...)
			}
			veritysetup(t, verifyArgs(ours)...)
			if out, code := run(t, append([]string{"verity"}, verifyArgs(theirs)...)...); code != 0 || !strings.Contains(out, "the FEC parity matches them") {
				t.Errorf("verinit verity verify of veritysetup's tree and parity (exit %d): %s", code, out)
			}
		})
	}
}

// fecOnly keeps the options verify takes as well as format.
func fecOnly(opts []string) []string {
	var keep []string
	for _, o := range opts {
		if strings.HasPrefix(o, "--fec-") || strings.HasPrefix(o, "--hash-offset") {
			keep = append(keep, o)
		}
	}
	return keep
}

// TestVerityVerifyRepairs damages a veritysetup-made tree and checks that
// `verinit verity verify --fec-device` repairs what two parity bytes can
// (blocks in different rounds, a hash block among them), names them and
// succeeds; and that it fails, naming the cause, on damage beyond that, on
// damaged parity, and without the parity.
func TestVerityVerifyRepairs(t *testing.T) {
	if _, err := exec.LookPath("veritysetup"); err != nil {
		t.Fatal("veritysetup is needed (cryptsetup-bin): run scripts/prereqs.sh")
	}
	l := fecLayouts[0]
	data := testData(t, l.size)
	p, out := formatFEC(t, l, data, false)
	root := rootHashRE.FindStringSubmatch(out)[1]
	// 3 MiB + 4 KiB of data, 7 hash blocks: 776 input blocks, 4 rounds of
	// 253, so blocks 4 apart share their codewords.
	const rounds = 4
	damage := func(t *testing.T, dev string, blocks ...int) map[string]string {
		t.Helper()
		dir := t.TempDir()
		q := map[string]string{}
		for name, path := range p {
			b, _ := os.ReadFile(path)
			if name == dev {
				for _, blk := range blocks {
					for k := 100; k < 140; k++ {
						b[blk*4096+k] ^= 0x5a
					}
				}
			}
			q[name] = filepath.Join(dir, name)
			if err := os.WriteFile(q[name], b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return q
	}
	verify := func(q map[string]string, extra ...string) (string, int) {
		return run(t, append([]string{"verity", "verify", q["data"], q["hash"], root}, extra...)...)
	}
	t.Run("repairable", func(t *testing.T) {
		q := damage(t, "data", 3, 3+rounds, 700)
		hashDamaged, _ := os.ReadFile(q["hash"])
		hashDamaged[2*4096+17] ^= 1 // level 0's first block, after the superblock and level 1
		os.WriteFile(q["hash"], hashDamaged, 0o644)
		out, code := verify(q, "--fec-device", q["fec"])
		if code != 0 {
			t.Fatalf("verify --fec-device failed: %s", out)
		}
		for _, want := range []string{"repaired in memory from the FEC parity", "hash block 0 of level 0", "data block 3,", "data block 7", "data block 700", "the FEC parity matches them"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if out, code := verify(q); code == 0 || !strings.Contains(out, "does not match its hash") {
			t.Errorf("without the parity, verify says (exit %d): %s", code, out)
		}
		// (veritysetup verify --fec-device decodes without knowing which
		// blocks are bad, so two roots repair one bad block per round for
		// it, and it refuses this.)
	})
	t.Run("three in one round", func(t *testing.T) {
		q := damage(t, "data", 10, 10+rounds, 10+2*rounds)
		out, code := verify(q, "--fec-device", q["fec"])
		if code == 0 || !strings.Contains(out, "cannot repair it") || !strings.Contains(out, "data block 10 ") {
			t.Errorf("verify of damage beyond two roots (exit %d): %s", code, out)
		}
	})
	t.Run("damaged parity", func(t *testing.T) {
		q := damage(t, "fec", 5)
		out, code := verify(q, "--fec-device", q["fec"])
		if code == 0 || !strings.Contains(out, "the FEC parity at byte 0x5064 does not match the data and hash tree") {
			t.Errorf("verify with damaged parity (exit %d): %s", code, out)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--fec-roots=1"}, "roots 1: want 2 to 24"},
			{[]string{"--fec-offset=512"}, "not a multiple of the block size 4096"},
			{[]string{"--fec-offset=4096", "--fec-device", p["hash"]}, "before the end of its tree"},
		} {
			args := append([]string{"--fec-device", p["fec"]}, tc.args...)
			if out, code := verify(p, args...); code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("verify %v: exit %d, %s; want %q", tc.args, code, out, tc.want)
			}
		}
	})
}
