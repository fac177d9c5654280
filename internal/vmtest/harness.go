// Package vmtest boots a real Linux kernel under QEMU (TCG, never KVM)
// with an initramfs and disk images, and reads what the booted system
// printed on its console. It is the harness of the VM tests (test/vm)
// and of the boot benchmark (test/bench); it makes test roots and GPT
// disk images with the real tools (sfdisk, mksquashfs, ...), and checks
// that no disk was written during a boot.
package vmtest

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
	"sync"
	"testing"
	"time"
)

// Tools are the programs the harness and the image builders run; New
// fails naming those missing (scripts/prereqs.sh installs them).
var Tools = []string{"qemu-system-x86_64", "sfdisk", "mksquashfs", "mkfs.erofs", "mkfs.ext4", "busybox", "veritysetup", "lvm", "losetup", "openssl", "swtpm", "swtpm_ioctl", "tpm2"}

// Machine is how QEMU emulates the board.
type Machine struct {
	QEMU    string   // the emulator binary
	Args    []string // machine, CPU, memory, firmware, ...
	Console string   // the kernel's console= for the serial port
	Disk    string   // the virtio disk device: virtio-blk-pci or virtio-blk-device (virtio-mmio)
}

// X86_64 is a PC with one CPU and 512 MiB, booted by QEMU's -kernel.
var X86_64 = Machine{QEMU: "qemu-system-x86_64", Args: []string{"-m", "512", "-smp", "1"}, Console: "console=ttyS0", Disk: "virtio-blk-pci"}

// ARM64 is QEMU's virt board with one Cortex-A57 and 1 GiB, its disks on
// virtio-mmio, as on many arm64 boards' device trees.
var ARM64 = Machine{QEMU: "qemu-system-aarch64", Args: []string{"-M", "virt", "-cpu", "cortex-a57", "-m", "1024", "-smp", "1"}, Console: "console=ttyAMA0", Disk: "virtio-blk-device"}

// ARMHF is QEMU's virt board with one Cortex-A15 (LPAE, for Debian's
// armmp-lpae kernel) and 1 GiB, its disks on virtio-pci.
var ARMHF = Machine{QEMU: "qemu-system-arm", Args: []string{"-M", "virt", "-cpu", "cortex-a15", "-m", "1024", "-smp", "1"}, Console: "console=ttyAMA0", Disk: "virtio-blk-pci"}

// foreign are the machines of the other architectures' kernels, by
// Debian architecture.
func foreign(debArch string) (Machine, bool) {
	switch debArch {
	case "arm64":
		return ARM64, true
	case "armhf":
		return ARMHF, true
	}
	return Machine{}, false
}

// Harness is one run's kernel and disk images, shared by every case. Its
// methods are safe for concurrent use.
type Harness struct {
	Dir     string // scratch directory, removed by the caller
	Kernel  string // /boot/vmlinuz-REL, or VERINIT_KERNEL
	Release string
	Machine Machine
	// ModulesDir is the kernel's modules (lib/modules/REL) when they are
	// not the host's /lib/modules/REL: verinit initramfs --modules-dir.
	ModulesDir string
	// Busybox is the static busybox for test roots of the kernel's
	// architecture.
	Busybox string

	mu       sync.Mutex
	images   map[string]string // name -> disk image path
	sector4k map[string]bool   // disks attached with 4096-byte logical sectors
}

// New checks the tools and finds the kernel: VERINIT_KERNEL, else the
// newest /boot/vmlinuz-*.
func New(dir string) (*Harness, error) {
	var missing []string
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s: run scripts/prereqs.sh as root", strings.Join(missing, " "))
	}
	kernel, release, err := findKernel()
	if err != nil {
		return nil, err
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return nil, err
	}
	return &Harness{Dir: dir, Kernel: kernel, Release: release, Machine: X86_64, Busybox: bb,
		images: map[string]string{}, sector4k: map[string]bool{}}, nil
}

// NewForeign is New for another architecture: Debian's kernel package and
// busybox-static for debArch ("arm64", "armhf"), as scripts/prereqs.sh
// extracts them into cache/debArch (boot/vmlinuz-REL, lib/modules/REL,
// bin/busybox).
func NewForeign(dir, cache, debArch string) (*Harness, error) {
	m, ok := foreign(debArch)
	if !ok {
		return nil, fmt.Errorf("no machine for Debian architecture %q", debArch)
	}
	if _, err := exec.LookPath(m.QEMU); err != nil {
		return nil, fmt.Errorf("missing %s: run scripts/prereqs.sh as root", m.QEMU)
	}
	root := filepath.Join(cache, debArch)
	kernels, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	bb := filepath.Join(root, "bin", "busybox")
	if _, err := os.Stat(bb); len(kernels) == 0 || err != nil {
		return nil, fmt.Errorf("no Debian %s kernel and busybox in %s: run scripts/prereqs.sh as root", debArch, root)
	}
	sort.Strings(kernels)
	kernel := kernels[len(kernels)-1]
	release := strings.TrimPrefix(filepath.Base(kernel), "vmlinuz-")
	return &Harness{Dir: dir, Kernel: kernel, Release: release, Machine: m, Busybox: bb,
		ModulesDir: filepath.Join(root, "lib", "modules", release),
		images:     map[string]string{}, sector4k: map[string]bool{}}, nil
}

func findKernel() (path, release string, err error) {
	if k := os.Getenv("VERINIT_KERNEL"); k != "" {
		return k, strings.TrimPrefix(filepath.Base(k), "vmlinuz-"), nil
	}
	matches, _ := filepath.Glob("/boot/vmlinuz-*")
	sort.Strings(matches)
	if len(matches) == 0 {
		return "", "", fmt.Errorf("no /boot/vmlinuz-*: install linux-image-amd64 (scripts/prereqs.sh)")
	}
	k := matches[len(matches)-1]
	return k, strings.TrimPrefix(filepath.Base(k), "vmlinuz-"), nil
}

// AddImage names a disk image for Boot. sector4k attaches it with
// 4096-byte logical sectors.
func (h *Harness) AddImage(name, path string, sector4k bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.images[name], h.sector4k[name] = path, sector4k
}

// Image returns the path of a named image.
func (h *Harness) Image(name string) (path string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	path, ok = h.images[name]
	return path, ok
}

func (h *Harness) is4k(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sector4k[name]
}

// Result is what one boot printed.
type Result struct {
	Console string
	Status  map[string]any // the status.json the real init printed, if any
	Args    string         // the arguments the real init printed
	Reached bool           // the real init printed its marker
	Disks   []string       // with Boot.Keep: the disk copies as the boot left them
	// TPMLog is /run/verinit/tpm-events.json as the real init printed it;
	// PCRs the PCR verinit extended as the real root read it from sysfs,
	// by bank (lowercase hex).
	TPMLog string
	PCRs   map[string]string
}

// maxCmdline is the longest kernel command line x86 takes.
const maxCmdline = 2047

// Boot is one boot's initramfs, disks and command line.
type Boot struct {
	Initrd  string
	Disks   []string        // image names, attached as vda, vdb, ...
	Attach  string          // how disks attach: "" (virtio), "usb" (xHCI), "nvme", "ahci", "scsi" (virtio-scsi) or "mmc" (SD card on SDHCI)
	Cmdline string          // appended to the kernel command line
	Console string          // the console key; default the machine's
	QEMU    []string        // more QEMU arguments, e.g. -rtc base=...
	Faults  map[int][]Fault // blkdebug rules for the disk of that index
	HotAdd  *HotAdd         // a disk added through QMP during the boot
	// Firmware boots through firmware and the boot loader on the disks
	// instead of QEMU's -kernel: Initrd, Cmdline and Console are then
	// the boot loader's business. The guest may reboot (a boot loader's
	// retries) until it powers off or Timeout passes.
	Firmware *Firmware
	Timeout  time.Duration // default 4 minutes
	// TPM attaches a TPM 2.0 (swtpm) whose state lives in this
	// directory: an empty one is a TPM fresh from the factory; "" boots
	// without a TPM.
	TPM string
	// Keep keeps the disks the boot wrote, for the caller to inspect
	// (Result.Disks); the check that no disk was written is then the
	// caller's.
	Keep bool
}

// Firmware is UEFI firmware in two pflash images: the code, read-only,
// and a copy of the variable store, which keeps the boot loader's
// variables across the guest's reboots; or a boot loader QEMU starts
// as its -bios (U-Boot), which keeps its state on the disks.
type Firmware struct {
	Code, Vars string // Vars is copied for the boot
	BIOS       string
}

// UBootARM64 is Debian's u-boot-qemu build for QEMU's arm64 virt board.
var UBootARM64 = Firmware{BIOS: "/usr/lib/u-boot/qemu_arm64/u-boot.bin"}

// DeviceTree writes to path the device tree QEMU gives a guest that
// boots through fw.BIOS (QEMU's dumpdtb): the one U-Boot runs on and
// passes on to the kernel. It is not the one of a -kernel boot (QEMU
// leaves out the GPIO keys when it starts firmware), and a kernel given
// a tree of devices the machine lacks faults on the first it probes.
func (h *Harness) DeviceTree(fw Firmware, path string) error {
	args := append([]string{"-accel", "tcg"}, h.Machine.Args...)
	args = append(args, "-nodefaults", "-display", "none", "-bios", fw.BIOS, "-machine", "dumpdtb="+path)
	if out, err := exec.Command(h.Machine.QEMU, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s dumpdtb: %v: %s", h.Machine.QEMU, err, out)
	}
	return nil
}

// OVMF is Debian's ovmf package: x86-64 UEFI without secure boot.
var OVMF = Firmware{Code: "/usr/share/OVMF/OVMF_CODE_4M.fd", Vars: "/usr/share/OVMF/OVMF_VARS_4M.fd"}

// Fault is one blkdebug inject-error rule: every read of the disk that
// covers the sector fails with errno.
type Fault struct {
	Sector int64 // 512-byte sector of the disk
	Errno  int   // default 5 (EIO)
}

// HotAdd attaches a disk (device_add, as a slow disk that appears late)
// as soon as a console line matches After.
type HotAdd struct {
	After string // regular expression
	Disk  string // image name
}

// Boot copies the named disks, boots them and returns what the console
// showed; it fails the test if QEMU fails or outlives its time limit,
// or if a disk was written.
func (h *Harness) Boot(t testing.TB, o Boot) Result {
	t.Helper()
	// Not t.TempDir: test names may hold commas, which QEMU's -drive
	// option would split on.
	dir, err := os.MkdirTemp("", "verinit-boot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := h.Machine
	if o.Console == "" {
		o.Console = m.Console
	}
	args := append([]string{"-accel", "tcg"}, m.Args...)
	args = append(args, "-nodefaults", "-display", "none", "-serial", "stdio")
	if fw := o.Firmware; fw != nil && fw.BIOS != "" {
		args = append(args, "-bios", fw.BIOS)
	} else if fw != nil {
		vars := filepath.Join(dir, "vars.fd")
		if err := CopyFile(fw.Vars, vars); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+fw.Code,
			"-drive", "if=pflash,format=raw,unit=1,file="+vars)
	} else {
		line := o.Console + " panic=-1 " + o.Cmdline
		// x86's COMMAND_LINE_SIZE is 2048 with the NUL; a longer line
		// booted no kernel and printed nothing until the timeout.
		if len(line) > maxCmdline {
			t.Fatalf("kernel command line of %d bytes, more than the %d the kernel takes", len(line), maxCmdline)
		}
		args = append(args, "-no-reboot", "-kernel", h.Kernel, "-initrd", o.Initrd, "-append", line)
	}
	args = append(args, o.QEMU...)
	sums := map[string]string{}
	copyDisk := func(i int, name string) string {
		src, ok := h.Image(name)
		if !ok {
			t.Fatalf("no image %q: build its family first", name)
		}
		dst := filepath.Join(dir, fmt.Sprintf("disk%d.img", i))
		if err := CopyFile(src, dst); err != nil {
			t.Fatal(err)
		}
		sums[dst] = Sum(t, dst)
		return dst
	}
	switch o.Attach {
	case "usb":
		args = append(args, "-device", "qemu-xhci,id=xhci")
	case "ahci":
		args = append(args, "-device", "ahci,id=ahci")
	case "scsi":
		args = append(args, "-device", "virtio-scsi-pci,id=scsi")
	case "", "nvme", "mmc": // a controller per disk, or none
	default:
		t.Fatalf("Boot.Attach %q: want usb, nvme, ahci, scsi or mmc", o.Attach)
	}
	for i, name := range o.Disks {
		dst := copyDisk(i, name)
		id := fmt.Sprintf("d%d", i)
		dev := m.Disk + ",drive=" + id
		switch o.Attach {
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
			if err := GrowToPowerOf2(dst); err != nil {
				t.Fatal(err)
			}
			sums[dst] = Sum(t, dst)
			args = append(args, "-device", "sdhci-pci")
			dev = "sd-card,drive=" + id
		}
		if h.is4k(name) {
			dev += ",logical_block_size=4096,physical_block_size=4096"
		}
		if len(o.Faults[i]) > 0 {
			// blkdebug below the raw format: raw announces each guest
			// read to its file node as the read_aio event.
			conf := filepath.Join(dir, id+"-blkdebug.conf")
			if err := os.WriteFile(conf, []byte(blkdebugConfig(o.Faults[i])), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-drive", "if=none,id="+id+",driver=raw,file.driver=blkdebug,file.config="+conf+
				",file.image.driver=file,file.image.filename="+dst, "-device", dev)
		} else {
			args = append(args, "-drive", "file="+dst+",format=raw,if=none,id="+id, "-device", dev)
		}
	}
	if o.TPM != "" {
		args = append(args, h.startSwtpm(t, dir, o.TPM)...)
	}
	var qmpSock, hotDisk string
	var hotAfter *regexp.Regexp
	if o.HotAdd != nil {
		qmpSock = filepath.Join(dir, "qmp.sock")
		hotDisk = copyDisk(len(o.Disks), o.HotAdd.Disk)
		hotAfter = regexp.MustCompile(o.HotAdd.After)
		args = append(args, "-qmp", "unix:"+qmpSock+",server=on,wait=off")
	}
	if o.Timeout == 0 {
		o.Timeout = 4 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.QEMU, args...)
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
	if o.HotAdd != nil {
		if !out.matched() {
			t.Errorf("no console line matched %s: %s was never added", o.HotAdd.After, o.HotAdd.Disk)
		} else if err := <-hotErr; err != nil { // QEMU has exited: QMP is done too
			t.Errorf("hot-adding %s: %v", o.HotAdd.Disk, err)
		}
	}
	r, err := ParseConsole(console)
	if err != nil {
		t.Error(err)
	}
	if o.Keep {
		for i := range o.Disks {
			r.Disks = append(r.Disks, filepath.Join(dir, fmt.Sprintf("disk%d.img", i)))
		}
	} else {
		for path, before := range sums {
			if after := Sum(t, path); after != before {
				t.Errorf("%s was written during the boot", path)
			}
		}
	}
	return r
}

// ParseConsole reads what the test root printed on a console (with
// carriage returns removed): whether it was reached, its arguments and
// its status.json. A status that is not JSON is an error.
func ParseConsole(console string) (Result, error) {
	r := Result{Console: console, Reached: strings.Contains(console, MarkerInit)}
	if i := strings.Index(console, MarkerArgs); i >= 0 {
		line, _, _ := strings.Cut(console[i+len(MarkerArgs):], "\n")
		r.Args = strings.TrimSpace(line)
	}
	if i := strings.Index(console, MarkerStatus+"\n"); i >= 0 {
		body, _, _ := strings.Cut(console[i+len(MarkerStatus)+1:], MarkerEnd)
		if err := json.Unmarshal([]byte(body), &r.Status); err != nil {
			return r, fmt.Errorf("status.json is not JSON: %v\n%s", err, body)
		}
	}
	if i := strings.Index(console, MarkerTPMLog+"\n"); i >= 0 {
		r.TPMLog, _, _ = strings.Cut(console[i+len(MarkerTPMLog)+1:], MarkerEnd)
	}
	for line := range strings.Lines(console) {
		// "VERINIT-TEST-ROOT: pcr sha256 15 ABCD..." from sysfs
		if f := strings.Fields(strings.TrimPrefix(line, MarkerPCR)); strings.HasPrefix(line, MarkerPCR+" ") && len(f) == 3 {
			if r.PCRs == nil {
				r.PCRs = map[string]string{}
			}
			r.PCRs[f[0]] = strings.ToLower(f[2])
		}
	}
	return r, nil
}

// Run runs a command in dir; its output is in the error.
func Run(dir, name string, args ...string) error { return RunEnv(dir, nil, name, args...) }

// RunEnv is Run with more environment.
func RunEnv(dir string, extra []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// CopyFile copies src to dst.
func CopyFile(src, dst string) error {
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

// Sum is the SHA-256 of a file, in hex.
func Sum(t testing.TB, path string) string {
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

// GrowToPowerOf2 extends a file to the next power-of-2 size.
func GrowToPowerOf2(path string) error {
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
