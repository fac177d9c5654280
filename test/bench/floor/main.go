//go:build linux

// Command floor is the lower bound that `make bench` compares every
// initramfs with: the least an /init must do to reach the real init on
// the Debian kernel, whose disk driver and file system are modules. It
// loads the modules packed under /modules in name order (the benchmark
// packs exactly virtio_pci and virtio_blk with their dependencies, and
// squashfs, numbered in dependency order: nothing is resolved here),
// mounts the one known device read-only, moves /dev and mounts /proc and
// /sys in the new root, switches root and execs the real init.
//
// With /verity-table packed (the "floor (verity)" row), it also makes
// the least any verified /init must: after the modules (dm-mod and
// dm-verity among them), one dm-verity device from that table line
// ("SECTORS VERSION DATA HASH ... ROOT-HASH SALT [OPTIONS]", as the bench
// computes it from the superblock), loaded with devmapper.go's ioctls,
// and mounts it instead of the partition. It still reads no superblock,
// checks no root hash and verifies no signature.
//
// It checks nothing, discovers nothing and verifies nothing itself: it is
// a measuring stick, not part of the product, and must never boot a real
// system.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anatol/devmapper.go"
	"golang.org/x/sys/unix"
)

// The benchmark's disk: partition 1 is the squashfs root.
const (
	modulesDir = "/modules"
	rootDev    = "/dev/vda1"
	rootFS     = "squashfs"
	newRoot    = "/root"
	realInit   = "/sbin/init"
	// mainMarker is the kernel log line the floor writes first.
	mainMarker = "floor: main"
	// verityTable, if packed, is the dm-verity table of the root.
	verityTable = "/verity-table"
	verityDev   = "/dev/dm-0" // the first device-mapper device
	// virtio_blk's probe and partition scan run inside its module init,
	// and devtmpfs makes the node before the probe returns, so the device
	// is there at once; the bound only keeps a surprise from hanging.
	deviceBound = 5 * time.Second
)

func main() {
	// run returns only on failure: on success the real init replaced it.
	fmt.Fprintf(os.Stderr, "floor: %v\n", run())
	// PID 1 must not exit: power off, so that QEMU stops.
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func run() error {
	if err := unix.Mount("devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("mount /dev: %w", err)
	}
	// The kernel's timestamp on this line, less the one on "Run /init as
	// init process", is a static Go program's exec-to-main time (and one
	// mount): the bench's yardstick for the init's own work under TCG.
	if kmsg, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		fmt.Fprintln(kmsg, mainMarker)
		kmsg.Close()
	}
	entries, err := os.ReadDir(modulesDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := load(filepath.Join(modulesDir, e.Name())); err != nil {
			return err
		}
	}
	dev := rootDev
	if line, err := os.ReadFile(verityTable); err == nil {
		if dev, err = makeVerity(string(line)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	deadline := time.Now().Add(deviceBound)
	for {
		err := unix.Mount(dev, newRoot, rootFS, unix.MS_RDONLY, "")
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOENT) || time.Now().After(deadline) {
			return fmt.Errorf("mount %s: %w", dev, err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := unix.Mount("proc", newRoot+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount proc: %w", err)
	}
	if err := unix.Mount("sysfs", newRoot+"/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount sysfs: %w", err)
	}
	if err := unix.Mount("/dev", newRoot+"/dev", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move /dev: %w", err)
	}
	// switch_root without freeing the initramfs: the floor does not pay
	// for that.
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	return fmt.Errorf("exec %s: %w", realInit, unix.Exec(realInit, append([]string{realInit}, os.Args[1:]...), os.Environ()))
}

// makeVerity creates the read-only dm-verity device "root" from a table
// line and returns its node. The data device must be there: the modules
// are loaded, and virtio_blk has made its nodes.
func makeVerity(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) < 11 {
		return "", fmt.Errorf("%s: %d fields, want SECTORS and a verity table", verityTable, len(f))
	}
	n := make([]uint64, 0, 7)
	for _, i := range []int{0, 1, 4, 5, 6, 7} {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return "", fmt.Errorf("%s: field %d: %w", verityTable, i, err)
		}
		n = append(n, v)
	}
	t := devmapper.VerityTable{Length: n[0] * 512, HashType: n[1], DataDevice: f[2], HashDevice: f[3],
		DataBlockSize: n[2], HashBlockSize: n[3], NumDataBlocks: n[4], HashStartBlock: n[5],
		Algorithm: f[8], Digest: f[9], Salt: f[10]}
	if len(f) > 11 {
		t.Params = f[11:] // the count of optional arguments, then them
	}
	// The bench checks that the root's dm uuid names verity.
	if err := devmapper.CreateAndLoad("root", "FLOOR-VERITY-root", unix.DM_READONLY_FLAG, t); err != nil {
		return "", fmt.Errorf("dm-verity: %w", err)
	}
	return verityDev, nil
}

func load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("load %s: %w", path, err)
	}
	return nil
}
