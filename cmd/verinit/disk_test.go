package main

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/veritysig"
)

// diskRootfs writes a small root tree whose programs are built for arm64
// (only their ELF headers: enough for disk create to tell).
func diskRootfs(t *testing.T) string {
	t.Helper()
	dir := scriptRootfs(t)
	writeELF(t, filepath.Join(dir, "bin", "busybox"), elf.ELFCLASS64, elf.EM_AARCH64, elf.ET_EXEC)
	if err := os.MkdirAll(filepath.Join(dir, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../bin/busybox", filepath.Join(dir, "sbin", "init")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// scriptRootfs writes a root tree without programs.
func scriptRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "slot"), []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestDiskExitCodes(t *testing.T) {
	rootfs := diskRootfs(t)
	scripts := scriptRootfs(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "disk.img")
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // substrings
	}{
		{"help lists disk", []string{"--help"}, 0, "disk ", ""},
		{"disk alone", []string{"disk"}, 2, "", "verinit disk create OUT.img"},
		{"disk help", []string{"disk", "--help"}, 0, "verinit disk create OUT.img", ""},
		{"unknown subcommand", []string{"disk", "resize"}, 2, "", "Usage:"},
		{"create help", []string{"disk", "create", "--help"}, 0, "--rootfs DIR", ""},
		{"no output", []string{"disk", "create", "--rootfs", rootfs}, 2, "", "Usage: verinit disk create"},
		{"two outputs", []string{"disk", "create", "a", "b", "--rootfs", rootfs}, 2, "", "Usage: verinit disk create"},
		{"no rootfs", []string{"disk", "create", out}, 2, "", "--rootfs is required"},
		{"bad flag", []string{"disk", "create", out, "--rootfs", rootfs, "--frob"}, 2, "", "flag provided but not defined"},
		{"bad size", []string{"disk", "create", out, "--rootfs", rootfs, "--size", "12X"}, 2, "", `--size: "12X" is not a positive number`},
		{"zero size", []string{"disk", "create", out, "--rootfs", rootfs, "--size", "0"}, 2, "", "--size"},
		{"bad sector size", []string{"disk", "create", out, "--rootfs", rootfs, "--sector-size", "1024"}, 2, "", "--sector-size 1024: want 512 or 4096"},
		{"bad slots", []string{"disk", "create", out, "--rootfs", rootfs, "--slots", "0"}, 2, "", "--slots 0: want 1 to 26"},
		{"bad fs", []string{"disk", "create", out, "--rootfs", rootfs, "--fs", "ext4"}, 2, "", `--fs "ext4"`},
		{"bad arch", []string{"disk", "create", out, "--rootfs", rootfs, "--arch", "sparc"}, 2, "", "--arch: dps: unknown architecture"},
		{"bad print", []string{"disk", "create", out, "--rootfs", rootfs, "--print", "lilo"}, 2, "", `--print "lilo": want barebox, systemd-boot, grub or u-boot`},
		{"fit without u-boot", []string{"disk", "create", out, "--rootfs", rootfs, "--print", "barebox", "--fit", "/v.itb"}, 2, "", "--fit needs --print u-boot"},
		{"fit and linux", []string{"disk", "create", out, "--rootfs", rootfs, "--sign-key", "k", "--sign-cert", "c", "--print", "u-boot", "--fit", "/v.itb", "--linux", "/Image"}, 2, "",
			"--fit holds the kernel and the initramfs: give it or --linux and --initrd"},
		{"fs with an image", []string{"disk", "create", out, "--rootfs", notDir, "--fs", "erofs"}, 2, "", "--fs applies only when --rootfs is a directory"},
		{"missing rootfs", []string{"disk", "create", out, "--rootfs", filepath.Join(dir, "nope")}, 1, "", "verinit disk create: --rootfs: stat"},
		{"size too small", []string{"disk", "create", out, "--rootfs", rootfs, "--size", "2M"}, 1, "", "is too small"},
		{"output is a directory", []string{"disk", "create", dir, "--rootfs", rootfs}, 1, "", "is not a regular file"},
		{"no program tells the architecture", []string{"disk", "create", out, "--rootfs", scripts}, 1, "",
			"verinit disk create: --rootfs " + scripts + ": image: no ELF program in the root file system (looked at sbin/init, bin/sh, bin/busybox, usr/bin/env and in usr/sbin/, usr/bin/, sbin/, bin/): give --arch\n"},
		{"an image needs --arch", []string{"disk", "create", out, "--rootfs", notDir}, 2, "", "--rootfs " + notDir + " is a file system image, whose programs verinit does not read: give --arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s: %v", out, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".verinit-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// readDisk reads the image's GPT.
func readDisk(t *testing.T, path string, ss int) *gpt.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := gpt.Read(f, st.Size(), ss)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestDiskCreateText(t *testing.T) {
	out := filepath.Join(t.TempDir(), "disk.img")
	code, stdout, stderr := runCLI(t, "disk", "create", out, "--rootfs", diskRootfs(t), "--arch", "x86-64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	tab := readDisk(t, out, 512)
	if len(tab.Partitions) != 4 {
		t.Fatalf("%d partitions", len(tab.Partitions))
	}
	for i, slot := range []string{"A", "B"} {
		data, ver := tab.Partitions[2*i], tab.Partitions[2*i+1]
		hash := strings.ReplaceAll(data.UUID.String()+ver.UUID.String(), "-", "")
		for _, want := range []string{
			"slot " + slot + ":\n",
			"  partition " + string(rune('1'+2*i)) + "  root-" + strings.ToLower(slot) + " ",
			"  root hash    " + hash + "\n",
			"  cmdline      roothash=" + hash + " systemd.verity_root_data=PARTUUID=" + data.UUID.String() +
				" systemd.verity_root_hash=PARTUUID=" + ver.UUID.String() + " rauc.slot=" + slot + "\n",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
	}
	if strings.Contains(stdout, "bootchooser") || strings.Contains(stdout, " root=") {
		t.Errorf("unexpected output:\n%s", stdout)
	}
}

func TestDiskCreateJSON(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "root.erofs")
	// A prebuilt image: any regular file is taken as it is.
	if err := os.WriteFile(img, bytes.Repeat([]byte("erofs?"), 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "disk.img")
	code, stdout, stderr := runCLI(t, "disk", "create", out, "--rootfs", img, "--json", "--slots", "3",
		"--sector-size", "4096", "--size", "64M", "--arch", "aarch64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep diskOut
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Image != out || rep.SizeBytes != 64<<20 || rep.SectorSize != 4096 || rep.Arch != "arm64" || len(rep.Slots) != 3 || rep.Barebox != nil {
		t.Fatalf("report %+v", rep)
	}
	tab := readDisk(t, out, 4096)
	if tab.DiskGUID.String() != rep.DiskGUID || len(tab.Partitions) != 6 {
		t.Fatalf("disk GUID %s, %d partitions", tab.DiskGUID, len(tab.Partitions))
	}
	for i, s := range rep.Slots {
		h, err := hex.DecodeString(s.RootHash)
		if err != nil {
			t.Fatal(err)
		}
		d, v, err := dps.PairUUIDs(h)
		if err != nil {
			t.Fatal(err)
		}
		for j, p := range []diskPartition{s.Data, s.Verity} {
			tp := tab.Partitions[2*i+j]
			want := []gpt.GUID{d, v}[j]
			if p.UUID != want.String() || tp.UUID != want || p.Number != tp.Number || p.Label != tp.Name ||
				p.FirstLBA != tp.FirstLBA || p.LastLBA != tp.LastLBA || p.TypeUUID != tp.Type.String() ||
				p.Type != []string{"root-arm64", "root-arm64-verity"}[j] || p.OffsetBytes != int64(tp.FirstLBA)*4096 {
				t.Errorf("slot %s: reported %+v, on disk %+v", s.Name, p, tp)
			}
		}
		if s.Bootname != string(rune('A'+i)) || s.DataBlocks != uint64(s.Data.SizeBytes/4096) || len(s.Salt) != 64 ||
			!strings.HasSuffix(s.Cmdline, " rauc.slot="+s.Bootname) {
			t.Errorf("slot %+v", s)
		}
	}
}

func TestDiskCreateBarebox(t *testing.T) {
	out := filepath.Join(t.TempDir(), "disk.img")
	args := []string{"disk", "create", out, "--rootfs", diskRootfs(t), "--fs", "erofs", "--print", "barebox",
		"--linux", "/boot/bzImage", "--entries", "/mnt/mmc0.0/loader/entries/"}
	rep := diskJSON(t, append(args, "--json")...)
	if rep.Arch != "arm64" {
		t.Errorf("arch %q, want arm64 from the rootfs's sbin/init", rep.Arch)
	}
	if rep.Barebox == nil || len(rep.Barebox.Entries) != 2 {
		t.Fatalf("barebox %+v", rep.Barebox)
	}
	for i, s := range rep.Slots {
		e := rep.Barebox.Entries[i]
		wantPath := "/mnt/mmc0.0/loader/entries/verinit-" + s.Name + ".conf"
		wantEntry := "title      verinit slot " + s.Bootname + "\n" +
			"version    " + s.Bootname + "\n" +
			"options    " + s.Cmdline + "\n" +
			"linux      /boot/bzImage\n" +
			"initrd     /initrd\n"
		if e.Path != wantPath || e.Content != wantEntry {
			t.Errorf("entry %d: %q\n%s\nwant %q\n%s", i, e.Path, e.Content, wantPath, wantEntry)
		}
	}
	wantBC := `nv bootchooser.targets="A B"
nv bootchooser.A.boot=/mnt/mmc0.0/loader/entries/verinit-a.conf
nv bootchooser.A.default_attempts=3
nv bootchooser.A.default_priority=22
nv bootchooser.B.boot=/mnt/mmc0.0/loader/entries/verinit-b.conf
nv bootchooser.B.default_attempts=3
nv bootchooser.B.default_priority=21
nv bootchooser.retry=1
nv boot.default=bootchooser
`
	if rep.Barebox.Bootchooser != wantBC {
		t.Errorf("bootchooser:\n%s\nwant\n%s", rep.Barebox.Bootchooser, wantBC)
	}

	// The text form prints the same files.
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "\n# /mnt/mmc0.0/loader/entries/verinit-b.conf\ntitle      verinit slot B\n") ||
		!strings.Contains(stdout, "nv bootchooser.targets=\"A B\"\n") {
		t.Errorf("text output:\n%s", stdout)
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"1048576", 1 << 20, true},
		{"512K", 512 << 10, true},
		{"64M", 64 << 20, true},
		{"64MiB", 64 << 20, true},
		{"2g", 2 << 30, true},
		{"1T", 1 << 40, true},
		{"4096k", 4 << 20, true},
		{"0", 0, false},
		{"-1M", 0, false},
		{"1.5G", 0, false},
		{"M", 0, false},
		{"12X", 0, false},
		{"99999999999T", 0, false},
	} {
		got, err := parseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestDiskCreateSystemdBoot: with --sign-key, --esp and --print
// systemd-boot, each slot has a signature partition whose JSON verifies
// for its root hash, and the ESP holds the given files, loader.conf
// without a default and an entry per slot that names the slot by
// partition label; the JSON and the text print the same entries; and
// --print systemd-boot without --sign-key is refused.
func TestDiskCreateSystemdBoot(t *testing.T) {
	dir := signingKey(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := os.MkdirAll(p("esp/EFI/BOOT"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("esp/EFI/BOOT/BOOTX64.EFI"), []byte("MZ boot loader"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := p("disk.img")
	args := []string{"disk", "create", out, "--rootfs", diskRootfs(t), "--sign-key", p("k.pem"), "--sign-cert", p("c.pem"),
		"--esp", p("esp"), "--esp-size", "40M", "--print", "systemd-boot", "--options", "console=ttyS0"}
	rep := diskJSON(t, append(args, "--json")...)
	if rep.ESP == nil || rep.ESP.Label != "esp" || rep.ESP.Number != 7 || rep.ESP.SizeBytes != 40<<20 {
		t.Fatalf("ESP %+v", rep.ESP)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := sig.ParseCertificates(mustRead(t, p("c.pem")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"loader/loader.conf": "# verinit: no \"default\", so that boot counting can fall back to the other slot;\n" +
		"# no editor, so that nobody at the console rewrites the command line.\ntimeout 0\neditor no\n"}
	for i, s := range rep.Slots {
		if s.Sig == nil || s.Sig.Label != "root-"+s.Name+"-verity-sig" || s.Sig.Number != 5+i {
			t.Fatalf("slot %s: signature partition %+v", s.Name, s.Sig)
		}
		js := bytes.TrimRight(raw[s.Sig.OffsetBytes:s.Sig.OffsetBytes+s.Sig.SizeBytes], "\x00")
		vs, err := veritysig.Parse(js)
		if err != nil || vs.RootHash != s.RootHash {
			t.Fatalf("slot %s: %s holds root hash %q, %v; want %s", s.Name, s.Sig.Label, vs.RootHash, err, s.RootHash)
		}
		if _, err := sig.Verify(vs.Signature, s.RootHash, certs, sig.VerifyOptions{}); err != nil {
			t.Errorf("slot %s: %v", s.Name, err)
		}
		want[fmt.Sprintf("loader/entries/verinit-%d-%s.conf", 2-i, s.Name)] = "title      verinit slot " + s.Bootname + "\n" +
			"linux      /linux\ninitrd     /initrd\n" +
			"options    console=ttyS0 " + s.SigCmdline + "\n"
	}
	want["EFI/BOOT/BOOTX64.EFI"] = "MZ boot loader"
	if len(rep.SystemdBoot) != 3 {
		t.Errorf("%d systemd-boot files printed, want 3", len(rep.SystemdBoot))
	}
	for _, f := range rep.SystemdBoot {
		if want[f.Path] != f.Content {
			t.Errorf("printed %s:\n%s\nwant\n%s", f.Path, f.Content, want[f.Path])
		}
	}
	for name, content := range want {
		got, err := exec.Command("mtype", "-i", out+"@@"+strconv.FormatInt(rep.ESP.OffsetBytes, 10), "::"+name).Output()
		if err != nil || string(got) != content {
			t.Errorf("ESP %s: %q, %v; want %q", name, got, err, content)
		}
	}

	code, stdout, stderr := runCLI(t, args...)
	if code != 0 || !strings.Contains(stdout, "\n# ESP/loader/entries/verinit-1-b.conf\ntitle      verinit slot B\n") ||
		!strings.Contains(stdout, "  or, signed   systemd.verity_root_data=PARTLABEL=root-a ") {
		t.Errorf("exit %d, text output:\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "disk", "create", out, "--rootfs", diskRootfs(t), "--print", "systemd-boot")
	if code != 2 || !strings.Contains(stderr, "--print systemd-boot needs --sign-key") {
		t.Errorf("without --sign-key: exit %d, %s", code, stderr)
	}
}

// signingKey makes a directory holding an RSA key k.pem and its
// self-signed certificate c.pem, with openssl.
func signingKey(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=disk test",
		"-keyout", filepath.Join(dir, "k.pem"), "-out", filepath.Join(dir, "c.pem")).CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	return dir
}

// diskJSON runs the command line args, which ends in --json, and
// returns what it printed.
func diskJSON(t *testing.T, args ...string) diskOut {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep diskOut
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDiskCreateUBoot: --print u-boot's script loads the kernel and the
// initramfs, or with --fit a FIT's configuration "verinit" (the one
// contrib/u-boot/verinit.its makes), and resets when U-Boot starts
// nothing, so that the try counts; uboot.env holds every slot's tries.
func TestDiskCreateUBoot(t *testing.T) {
	dir := signingKey(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	its := string(mustRead(t, filepath.Join("..", "..", "contrib", "u-boot", "verinit.its")))
	if !strings.Contains(its, "default = \""+ubootFITConfig+"\";") {
		t.Errorf("contrib/u-boot/verinit.its does not name its configuration %q", ubootFITConfig)
	}
	for _, tc := range []struct {
		name string
		args []string
		load string
	}{
		{"files", nil, "load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} /linux && " +
			"load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} /initrd && " +
			"booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}\n"},
		{"fit", []string{"--fit", "/verinit.itb"}, "load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} /verinit.itb && bootm ${ramdisk_addr_r}#verinit\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"disk", "create", p(tc.name + ".img"), "--rootfs", diskRootfs(t), "--sign-key", p("k.pem"), "--sign-cert", p("c.pem"),
				"--print", "u-boot", "--json"}, tc.args...)
			rep := diskJSON(t, args...)
			if len(rep.UBoot) != 2 || rep.UBoot[0].Path != "boot.cmd" || rep.UBoot[1].Path != "uboot.env" {
				t.Fatalf("u_boot %+v", rep.UBoot)
			}
			script := rep.UBoot[0].Content
			if want := tc.load + "echo \"verinit: U-Boot started no kernel for slot ${verinit_slot}: resetting\"\nreset\n"; !strings.HasSuffix(script, want) {
				t.Errorf("boot.cmd ends\n%s\nwant\n%s", script[max(0, len(script)-len(want)):], want)
			}
			for _, s := range rep.Slots {
				if !strings.Contains(script, "setenv bootargs \""+s.SigCmdline+"\"") {
					t.Errorf("boot.cmd gives slot %s no command line %q", s.Name, s.SigCmdline)
				}
			}
			env := rep.UBoot[1].Content
			if len(env) != ubootEnvBytes || !strings.HasPrefix(env[4:], "BOOT_ORDER=A B\x00BOOT_A_LEFT=3\x00BOOT_B_LEFT=3\x00\x00") {
				t.Errorf("uboot.env: %d bytes, %q...", len(env), env[:min(len(env), 48)])
			}
		})
	}
}

// TestDiskCreateGrub: --print grub writes grub.cfg, which GRUB's own
// grub-script-check accepts, and grubenv, a 1024-byte environment block
// that grub-editenv reads as every slot OK and untried, A first; each
// menu entry names its slot by partition labels.
func TestDiskCreateGrub(t *testing.T) {
	dir := signingKey(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := os.MkdirAll(p("esp"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := p("disk.img")
	code, stdout, stderr := runCLI(t, "disk", "create", out, "--rootfs", diskRootfs(t), "--sign-key", p("k.pem"), "--sign-cert", p("c.pem"),
		"--esp", p("esp"), "--esp-size", "40M", "--print", "grub", "--options", "console=ttyS0", "--slots", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep diskOut
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Grub == nil || len(rep.Grub.Files) != 2 || rep.ESP == nil {
		t.Fatalf("grub %+v, ESP %+v", rep.Grub, rep.ESP)
	}
	esp := out + "@@" + strconv.FormatInt(rep.ESP.OffsetBytes, 10)
	for _, f := range rep.Grub.Files {
		got, err := exec.Command("mtype", "-i", esp, "::"+f.Path).Output()
		if err != nil || string(got) != f.Content {
			t.Errorf("ESP %s: %d bytes, %v; want what was printed", f.Path, len(got), err)
		}
		if err := os.WriteFile(p(filepath.Base(f.Path)), got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("grub-script-check", p("grub.cfg")).CombinedOutput(); err != nil {
		t.Errorf("grub-script-check grub.cfg: %v\n%s", err, out)
	}
	if st, err := os.Stat(p("grubenv")); err != nil || st.Size() != 1024 {
		t.Errorf("grubenv: %v, %v; want 1024 bytes", st, err)
	}
	env, err := exec.Command("grub-editenv", p("grubenv"), "list").Output()
	if want := "ORDER=A B C\nA_OK=1\nA_TRY=0\nB_OK=1\nB_TRY=0\nC_OK=1\nC_TRY=0\n"; err != nil || string(env) != want {
		t.Errorf("grub-editenv list: %q, %v; want %q", env, err, want)
	}
	cfg := string(mustRead(t, p("grub.cfg")))
	for _, s := range rep.Slots {
		entry := "menuentry \"verinit slot " + s.Bootname + "\" --id verinit-" + s.Name + " {\n  linux /linux console=ttyS0 " + s.SigCmdline + "\n  initrd /initrd\n}\n"
		if !strings.Contains(cfg, entry) {
			t.Errorf("grub.cfg lacks\n%s", entry)
		}
	}
	if !strings.Contains(rep.Grub.Stub, "configfile /EFI/BOOT/grub.cfg") {
		t.Errorf("stub %q", rep.Grub.Stub)
	}
}

// TestDiskCreateBareboxSigned: with --sign-key, barebox's entries name
// each slot by partition labels and take the root hash from its
// signature partition, like systemd-boot's, so updates leave them be.
func TestDiskCreateBareboxSigned(t *testing.T) {
	dir := signingKey(t)
	code, stdout, stderr := runCLI(t, "disk", "create", filepath.Join(dir, "disk.img"), "--rootfs", diskRootfs(t),
		"--sign-key", filepath.Join(dir, "k.pem"), "--sign-cert", filepath.Join(dir, "c.pem"), "--print", "barebox", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep diskOut
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for i, s := range rep.Slots {
		if e := rep.Barebox.Entries[i]; s.SigCmdline == "" || !strings.Contains(e.Content, "\noptions    "+s.SigCmdline+"\n") {
			t.Errorf("slot %s: entry\n%s\nlacks the signed form %q", s.Name, e.Content, s.SigCmdline)
		}
	}
}

// TestDiskCreateUsr: --usr makes /usr slots of the DPS usr types, signed
// into usr-verity-sig partitions; each slot's command line, beside
// root=tmpfs, is what inspect decides as a verified /usr, as is usrhash=
// alone (the Discoverable Partitions pairing).
func TestDiskCreateUsr(t *testing.T) {
	dir := signingKey(t)
	out := filepath.Join(dir, "disk.img")
	code, stdout, stderr := runCLI(t, "disk", "create", out, "--rootfs", diskRootfs(t), "--usr",
		"--sign-key", filepath.Join(dir, "k.pem"), "--sign-cert", filepath.Join(dir, "c.pem"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep diskOut
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for i, s := range rep.Slots {
		name := string(rune('a' + i))
		if s.Data.Label != "usr-"+name || s.Data.Type != "usr-arm64" || s.Verity.Label != "usr-"+name+"-verity" || s.Verity.Type != "usr-arm64-verity" ||
			s.Sig == nil || s.Sig.Type != "usr-arm64-verity-sig" || s.SigCmdline != "" || !strings.HasPrefix(s.Cmdline, "usrhash="+s.RootHash+" systemd.verity_usr_data=PARTUUID="+s.Data.UUID) {
			t.Errorf("slot %+v", s)
		}
		for _, line := range []string{"root=tmpfs " + s.Cmdline, "root=tmpfs usrhash=" + s.RootHash} {
			code, stdout, stderr := runCLI(t, "inspect", "--json", "--cmdline", line, out)
			var in inspectReport
			if err := json.Unmarshal([]byte(stdout), &in); err != nil || code != 0 {
				t.Fatalf("inspect %q: exit %d, %v\n%s%s", line, code, err, stdout, stderr)
			}
			if d := in.Decision; d == nil || d.Root != "tmpfs" || d.Usr == nil || d.Usr.Root != "/dev/mapper/usr" || d.Usr.RootHash != s.RootHash || d.Usr.Table == "" {
				t.Errorf("inspect %q: %+v (%s)", line, in.Decision, in.Error)
			}
		}
	}
	if code, _, stderr := runCLI(t, "disk", "create", out, "--rootfs", diskRootfs(t), "--usr", "--print", "barebox"); code != 2 || !strings.Contains(stderr, "--print with --usr") {
		t.Errorf("--print with --usr: exit %d, %s", code, stderr)
	}
}
