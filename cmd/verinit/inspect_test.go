package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// espUUID is the PARTUUID of dpsDisk's ESP.
const espUUID = "e5e5e5e5-0000-4000-8000-000000000001"

// dpsDisk makes, with sfdisk, a disk holding one DPS root partition and
// its root-verity partition paired by the root hash (tree by verinit),
// and an ESP.
func dpsDisk(t *testing.T) (disk, rootHash string) {
	t.Helper()
	data := testData(t, 1<<20)
	hash := filepath.Join(t.TempDir(), "hash")
	out, code := run(t, "verity", "format", data, hash)
	if code != 0 {
		t.Fatal(out)
	}
	rootHash = rootHashRE.FindStringSubmatch(out)[1]
	uuid := func(h string) string {
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	disk = filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(disk, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(disk, 8<<20); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("label: gpt\nfirst-lba: 2048\nsize=2MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=%s, name=root-a\n"+
		"size=1MiB, type=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5, uuid=%s, name=root-a-verity\n"+
		"size=1MiB, type=c12a7328-f81f-11d2-ba4b-00a0c93ec93b, uuid=%s, name=esp\n", uuid(rootHash[:32]), uuid(rootHash[32:]), espUUID)
	cmd := exec.Command("sfdisk", "-q", "--no-reread", "--no-tell-kernel", disk)
	cmd.Stdin = strings.NewReader(script)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk (install fdisk): %v\n%s", err, b)
	}
	f, err := os.OpenFile(disk, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for off, src := range map[int64]string{1 << 20: data, 3 << 20: hash} {
		b, _ := os.ReadFile(src)
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	return disk, rootHash
}

func TestInspect(t *testing.T) {
	disk, rootHash := dpsDisk(t)
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	wrong := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		root    string
		table   string // substring
		err     string // substring
	}{
		{"auto-discovery", []string{disk}, "", "/dev/vda1", "", ""},
		{"root hash pairs both partitions", []string{disk}, "roothash=" + rootHash, "/dev/mapper/root", "verity 1 254:1 254:2 4096 4096 256 1 sha256 " + rootHash, ""},
		{"root= and roothash=", []string{disk}, "root=PARTLABEL=root-a roothash=" + rootHash, "/dev/mapper/root", " 1 restart_on_corruption", ""},
		{"on the second disk", []string{garbage, disk}, "roothash=" + rootHash + " verinit.verity_on_corruption=eio", "/dev/mapper/root", "254:17 254:18", ""},
		{"unpaired root hash, no appended tree", []string{disk}, "root=/dev/vda1 roothash=" + wrong, "", "", "verity: hash tree appended to /dev/vda1: cannot find the end of its file system"},
		{"cloned disk", []string{disk, disk}, "roothash=" + rootHash, "", "", "matches 2 partitions: vda1 vdb1; refusing to guess"},
		{"nothing there", []string{garbage}, "root=PARTLABEL=x", "", "", "root PARTLABEL=x: no such partition (the init would wait, then fail)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(t, append([]string{"inspect", "--json", "--cmdline", tc.cmdline}, tc.disks...)...)
			var rep inspectReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("exit %d, not JSON: %v\n%s", code, err, out)
			}
			if tc.err != "" {
				if code != 1 || !strings.Contains(rep.Error, tc.err) {
					t.Errorf("exit %d, error %q, want %q", code, rep.Error, tc.err)
				}
				return
			}
			if code != 0 || rep.Decision == nil || rep.Decision.Root != tc.root || !strings.Contains(rep.Decision.Table, tc.table) {
				t.Errorf("exit %d, decision %+v, error %q", code, rep.Decision, rep.Error)
			}
		})
	}
	// The text form lists the pairing and the decision.
	out, code := run(t, "inspect", disk, "--cmdline", "roothash="+rootHash)
	for _, want := range []string{"vda1   root-a           root-x86-64", "verity partner vda2", "the root hash " + rootHash + " matches the tree"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// TestInspectLoader: with --loader-partuuid naming dpsDisk's ESP, a root
// hash whose pairing the disk lacks fails at once, as in the init; without
// it, the init would wait.
func TestInspectLoader(t *testing.T) {
	disk, _ := dpsDisk(t)
	stale := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--loader-partuuid", espUUID}, "roothash=" + stale + ": the boot disk vda (holding the boot loader's partition " + espUUID + ") has no partition pair for it"},
		{nil, "(the init would wait, then fail)"},
	} {
		out, code := run(t, append(append([]string{"inspect", "--json", "--cmdline", "roothash=" + stale}, tc.args...), disk)...)
		var rep inspectReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("exit %d, not JSON: %v\n%s", code, err, out)
		}
		if code != 1 || !strings.Contains(rep.Error, tc.err) {
			t.Errorf("%q: exit %d, error %q, want %q", tc.args, code, rep.Error, tc.err)
		}
	}
	if out, code := run(t, "inspect", "--loader-partuuid", "nope", disk); code != 2 || !strings.Contains(out, "--loader-partuuid") {
		t.Errorf("a bad PARTUUID: exit %d, %s", code, out)
	}
}

// TestInspectArch: without --arch, auto-discovery looks for the root types
// the disks hold, asks for --arch when they hold several architectures',
// and finds no root when they hold none.
func TestInspectArch(t *testing.T) {
	disk, rootHash := dpsDisk(t)
	arm := filepath.Join(t.TempDir(), "arm.img")
	if err := os.Truncate(disk, 8<<20); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(arm, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(arm, 4<<20); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sfdisk", "-q", "--no-reread", "--no-tell-kernel", arm)
	cmd.Stdin = strings.NewReader("label: gpt\nsize=1MiB, type=b921b045-1df0-41c3-af44-4c6f280d3fae, name=root-arm64\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, b)
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"the disk's root types", []string{disk}, 0, `"arch": "x86-64"`},
		{"several architectures", []string{disk, arm}, 2, "verinit inspect: the disks hold root partitions of arm64 and x86-64: give --arch"},
		{"several, --arch picks", []string{disk, arm, "--arch", "x86-64"}, 0, `"root": "/dev/vda1"`},
		{"none: no root, whatever the architecture", []string{garbage}, 1, `"error": "root: the disks hold no Discoverable Partitions root partition of any architecture (the init would wait, then fail)"`},
		{"none, --arch", []string{garbage, "--arch", "arm64"}, 1, `"error": "root: no arm64 root partition (Discoverable Partitions)`},
		{"none, but no discovery", []string{garbage, "--cmdline", "roothash=" + rootHash}, 1, `"error"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, code := run(t, append([]string{"inspect", "--json"}, tc.args...)...)
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, output %s; want exit %d with %q", code, got, tc.code, tc.want)
			}
		})
	}
}
