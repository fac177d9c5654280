//go:build vm

package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// env is what every case shares: built once per run.
type env struct {
	dir     string // scratch directory
	kernel  string // /boot/vmlinuz-REL
	release string
	initrd  string // verinit's initramfs
	// initrdYocto also carries a dm-verity.env and a policy requiring verity.
	initrdYocto string
	images      map[string]string // name -> disk image path
	parts       map[string]map[int]partInfo
	verity      verityImages
	ab          abImages
	lvm         lvmImages
	sig         sigImages
	corrupt     corruptImages
	policy      policyImages
	// initrdSigned trusts one test certificate and requires signatures;
	// initrdYoctoSigned also carries dm-verity.env and its signature.
	initrdSigned, initrdYoctoSigned string
	sector4k                        map[string]bool // disks attached with 4096-byte logical sectors
	created                         map[string]diskCreated
}

type partInfo struct {
	UUID, Name string
}

var shared *env

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "verinit-vm-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		e, err := setup(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vm: setup: %v\n", err)
			return 1
		}
		shared = e
		return m.Run()
	}()
	os.Exit(code)
}

// prerequisites the harness runs; missing ones fail the run.
var tools = []string{"qemu-system-x86_64", "sfdisk", "mksquashfs", "mkfs.erofs", "mkfs.ext4", "busybox", "veritysetup", "lvm", "losetup", "openssl"}

func setup(dir string) (*env, error) {
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s: run test/vm/prereqs.sh as root", strings.Join(missing, " "))
	}
	kernel, release, err := findKernel()
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, kernel: kernel, release: release, images: map[string]string{}, parts: map[string]map[int]partInfo{},
		sector4k: map[string]bool{}, created: map[string]diskCreated{}}
	root := repoRoot()
	bin := filepath.Join(dir, "bin")
	if err := run(root, "go", "build", "-o", filepath.Join(bin, "verinit"), "./cmd/verinit"); err != nil {
		return nil, err
	}
	if err := runEnv(root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(bin, "init"), "./cmd/init"); err != nil {
		return nil, err
	}
	e.initrd = filepath.Join(dir, "initrd.img")
	if err := run(root, filepath.Join(bin, "verinit"), "initramfs", "-o", e.initrd, "--init", filepath.Join(bin, "init"),
		"--kernel-release", release); err != nil {
		return nil, err
	}
	if err := e.makeImages(); err != nil {
		return nil, err
	}
	return e, nil
}

func findKernel() (path, release string, err error) {
	if k := os.Getenv("VERINIT_KERNEL"); k != "" {
		return k, strings.TrimPrefix(filepath.Base(k), "vmlinuz-"), nil
	}
	matches, _ := filepath.Glob("/boot/vmlinuz-*")
	sort.Strings(matches)
	if len(matches) == 0 {
		return "", "", fmt.Errorf("no /boot/vmlinuz-*: install linux-image-amd64 (test/vm/prereqs.sh)")
	}
	k := matches[len(matches)-1]
	return k, strings.TrimPrefix(filepath.Base(k), "vmlinuz-"), nil
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func run(dir, name string, args ...string) error { return runEnv(dir, nil, name, args...) }

func runEnv(dir string, extra []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// bootResult is what one boot printed.
type bootResult struct {
	Console string
	Status  map[string]any // the status.json the real init printed, if any
	Args    string         // the arguments the real init printed
	Reached bool           // the real init printed its marker
}

const (
	markerInit   = "VERINIT-TEST-ROOT: init reached"
	markerArgs   = "VERINIT-TEST-ROOT: args:"
	markerStatus = "VERINIT-TEST-ROOT: status"
	markerEnd    = "VERINIT-TEST-ROOT: end"
	// The real init's standard output was not a terminal (console=null).
	markerNoConsole = "VERINIT-TEST-ROOT: no console, writing to ttyS0"
)

// boot copies the named disks, boots them with verinit's initramfs and
// the kernel command line extra, and checks that no disk was written.
func (e *env) boot(t *testing.T, disks []string, extra string) bootResult {
	t.Helper()
	return e.bootWith(t, e.initrd, disks, extra)
}

// bootWith is boot with another initramfs.
func (e *env) bootWith(t testing.TB, initrd string, disks []string, extra string) bootResult {
	t.Helper()
	return e.bootOpts(t, bootOpts{initrd: initrd, disks: disks, cmdline: extra})
}

// bootOpts is a boot with more than disks and a command line.
type bootOpts struct {
	initrd  string             // default: verinit's plain initramfs
	disks   []string           // image names, attached as vda, vdb, ...
	attach  string             // how disks attach: "" (virtio), "usb" (xHCI), "nvme", "ahci", "scsi" (virtio-scsi) or "mmc" (SD card on SDHCI)
	cmdline string             // appended to the kernel command line
	console string             // the console key; default console=ttyS0
	qemu    []string           // more QEMU arguments, e.g. -rtc base=...
	faults  map[int][]blkFault // blkdebug rules for the disk of that index
	hotAdd  *hotAdd            // a disk added through QMP during the boot
}

// blkFault is one blkdebug inject-error rule: every read of the disk
// that covers the sector fails with errno.
type blkFault struct {
	sector int64 // 512-byte sector of the disk
	errno  int   // default 5 (EIO)
}

// hotAdd attaches a disk (device_add, as a slow disk that appears late)
// as soon as a console line matches after.
type hotAdd struct {
	after string // regular expression
	disk  string // image name
}

func (e *env) bootOpts(t testing.TB, o bootOpts) bootResult {
	t.Helper()
	// Not t.TempDir: test names may hold commas, which QEMU's -drive
	// option would split on.
	dir, err := os.MkdirTemp("", "verinit-boot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if o.initrd == "" {
		o.initrd = e.initrd
	}
	if o.console == "" {
		o.console = "console=ttyS0"
	}
	args := []string{"-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", e.kernel, "-initrd", o.initrd,
		"-append", o.console + " panic=-1 " + o.cmdline}
	args = append(args, o.qemu...)
	sums := map[string]string{}
	copyDisk := func(i int, name string) string {
		src, ok := e.images[name]
		if !ok {
			t.Fatalf("no image %q", name)
		}
		dst := filepath.Join(dir, fmt.Sprintf("disk%d.img", i))
		if err := copyFile(src, dst); err != nil {
			t.Fatal(err)
		}
		sums[dst] = sum(t, dst)
		return dst
	}
	switch o.attach {
	case "usb":
		args = append(args, "-device", "qemu-xhci,id=xhci")
	case "ahci":
		args = append(args, "-device", "ahci,id=ahci")
	case "scsi":
		args = append(args, "-device", "virtio-scsi-pci,id=scsi")
	case "", "nvme", "mmc": // a controller per disk, or none
	default:
		t.Fatalf("bootOpts.attach %q: want usb, nvme, ahci, scsi or mmc", o.attach)
	}
	for i, name := range o.disks {
		dst := copyDisk(i, name)
		id := fmt.Sprintf("d%d", i)
		dev := "virtio-blk-pci,drive=" + id
		switch o.attach {
		case "usb":
			dev = "usb-storage,bus=xhci.0,drive=" + id
		case "nvme":
			dev = fmt.Sprintf("nvme,serial=verinit%d,drive=%s", i, id)
		case "ahci":
			dev = fmt.Sprintf("ide-hd,bus=ahci.%d,drive=%s", i, id)
		case "scsi":
			dev = "scsi-hd,bus=scsi.0,drive=" + id
		case "mmc":
			// One SDHCI controller per card. QEMU wants a card of a
			// power-of-2 size: the image grows to one, as an image
			// written to a larger card does (its backup GPT is then
			// not at the end).
			if err := growToPowerOf2(dst); err != nil {
				t.Fatal(err)
			}
			sums[dst] = sum(t, dst)
			args = append(args, "-device", "sdhci-pci")
			dev = "sd-card,drive=" + id
		}
		if e.sector4k[name] {
			dev += ",logical_block_size=4096,physical_block_size=4096"
		}
		switch {
		case len(o.faults[i]) > 0:
			// blkdebug below the raw format: raw announces each guest
			// read to its file node as the read_aio event.
			conf := filepath.Join(dir, id+"-blkdebug.conf")
			if err := os.WriteFile(conf, []byte(blkdebugConfig(o.faults[i])), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-drive", "if=none,id="+id+",driver=raw,file.driver=blkdebug,file.config="+conf+
				",file.image.driver=file,file.image.filename="+dst, "-device", dev)
		case e.sector4k[name] || o.attach != "":
			args = append(args, "-drive", "file="+dst+",format=raw,if=none,id="+id, "-device", dev)
		default:
			args = append(args, "-drive", "file="+dst+",format=raw,if=virtio")
		}
	}
	var qmpSock, hotDisk string
	var hotAfter *regexp.Regexp
	if o.hotAdd != nil {
		qmpSock = filepath.Join(dir, "qmp.sock")
		hotDisk = copyDisk(len(o.disks), o.hotAdd.disk)
		hotAfter = regexp.MustCompile(o.hotAdd.after)
		args = append(args, "-qmp", "unix:"+qmpSock+",server=on,wait=off")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	hotErr := make(chan error, 1)
	out := &lineWriter{line: func(line string) bool {
		if hotAfter == nil || !hotAfter.MatchString(line) {
			return false
		}
		// Not from here: QEMU may block writing the console while
		// QMP waits for it.
		go func() { hotErr <- qmpHotAdd(qmpSock, hotDisk) }()
		return true
	}}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	console := strings.ReplaceAll(out.String(), "\r", "")
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("VERINIT_CONSOLE") != "" {
			t.Logf("console:\n%s", console)
		}
	})
	if ctx.Err() != nil {
		t.Fatalf("QEMU did not stop within the time limit")
	}
	if err != nil {
		t.Fatalf("qemu: %v", err)
	}
	if o.hotAdd != nil {
		if !out.matched() {
			t.Errorf("no console line matched %s: %s was never added", o.hotAdd.after, o.hotAdd.disk)
		} else if err := <-hotErr; err != nil { // QEMU has exited: QMP is done too
			t.Errorf("hot-adding %s: %v", o.hotAdd.disk, err)
		}
	}
	for path, before := range sums {
		if after := sum(t, path); after != before {
			t.Errorf("%s was written during the boot", path)
		}
	}
	r := bootResult{Console: console, Reached: strings.Contains(console, markerInit)}
	if i := strings.Index(console, markerArgs); i >= 0 {
		line, _, _ := strings.Cut(console[i+len(markerArgs):], "\n")
		r.Args = strings.TrimSpace(line)
	}
	if i := strings.Index(console, markerStatus+"\n"); i >= 0 {
		body, _, _ := strings.Cut(console[i+len(markerStatus)+1:], markerEnd)
		if err := json.Unmarshal([]byte(body), &r.Status); err != nil {
			t.Errorf("status.json is not JSON: %v\n%s", err, body)
		}
	}
	return r
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func sum(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wantLine fails unless the console has a line matching re.
func wantLine(t *testing.T, console, re string) {
	t.Helper()
	if !regexp.MustCompile("(?m)" + re).MatchString(console) {
		t.Errorf("console lacks a line matching %s", re)
	}
}

// field digs a value out of the status record: field(st, "root", "device").
func field(st map[string]any, path ...string) any {
	var v any = st
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// wantStages fails unless status.json's stages_ms names exactly want, in
// order, and its durations add up to total_ms: the record must account
// for the whole of the init's time.
func wantStages(t *testing.T, st map[string]any, want ...string) {
	t.Helper()
	list, _ := st["stages_ms"].([]any)
	var names []string
	var sum float64
	for _, s := range list {
		m, _ := s.(map[string]any)
		name, _ := m["stage"].(string)
		ms, ok := m["ms"].(float64)
		if !ok || ms < 0 {
			t.Errorf("stage %q: bad ms %v", name, m["ms"])
		}
		names = append(names, name)
		sum += ms
	}
	if got := strings.Join(names, " "); got != strings.Join(want, " ") {
		t.Errorf("stages %q, want %q", got, strings.Join(want, " "))
	}
	total, _ := st["total_ms"].(float64)
	if d := total - sum; d < -0.01 || d > 1 {
		t.Errorf("stages add up to %.3f ms, total_ms is %.3f", sum, total)
	}
}

// growToPowerOf2 extends a file to the next power-of-2 size.
func growToPowerOf2(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	size := int64(1)
	for size < fi.Size() {
		size *= 2
	}
	return os.Truncate(path, size)
}
