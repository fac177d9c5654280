// Package hostonly finds, from sysfs, what an initramfs must hold to reach
// the root of the machine it runs on: the drivers of every device between
// the block devices that hold the root and the bus they hang from, and the
// file systems on them. Like dracut's host-only mode, but it never guesses:
// a device it cannot follow to a storage controller is an error that names
// it.
//
// The sysfs and /dev trees are parameters, so that the tests can give a
// copy of a machine's.
package hostonly

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/fsdetect"
)

// Driver is a driver bound to a device on a storage chain.
type Driver struct {
	// Module is the module the driver belongs to (its driver/module
	// link), else the driver's own name.
	Module string
	// Device is the device it drives, relative to the sysfs root
	// ("devices/pci0000:00/0000:00:04.0").
	Device   string
	Modalias string // the device's modalias, "" if it has none
}

// Storage is what [Tracer.Trace] found.
type Storage struct {
	// Blocks are the kernel names of the block devices followed, in the
	// order met: the device asked for, what a device-mapper device is
	// built from, partitions and their disks.
	Blocks []string
	// Disks are the whole disks among them: the ends of the chains.
	Disks   []string
	Drivers []Driver // bound drivers from each disk up, each device once
	// FSTypes are the file systems found on the devices asked for, by
	// their superblocks (squashfs, erofs, ext4), sorted.
	FSTypes []string
}

// Tracer reads a machine's sysfs and block devices.
type Tracer struct {
	Sys string // the sysfs root: "/sys"
	Dev string // where the block device nodes are: "/dev"
}

// Trace follows each device in devs to the disks it lives on and up from
// them to their controllers. With probe, the file system on each device
// in devs, and on each partition of one that is a whole disk, is read from
// its superblock into FSTypes.
func (tr Tracer) Trace(devs []Dev, probe bool) (*Storage, error) {
	s := &Storage{}
	seenDevice := map[string]bool{}
	for _, d := range devs {
		name, err := tr.follow(d, s, seenDevice, 0)
		if err != nil {
			return nil, err
		}
		if probe {
			if err := tr.probe(name, s); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(s.FSTypes)
	s.FSTypes = slices.Compact(s.FSTypes)
	return s, nil
}

// maxDepth bounds device-mapper stacking (LVM on verity on LVM ...).
const maxDepth = 8

// follow adds the block device d and everything under it to s, and
// returns its kernel name.
func (tr Tracer) follow(d Dev, s *Storage, seenDevice map[string]bool, depth int) (string, error) {
	link := filepath.Join(tr.Sys, "dev", "block", d.String())
	p, err := filepath.EvalSymlinks(link)
	if err != nil {
		return "", fmt.Errorf("hostonly: block device %s: %w", d, err)
	}
	name := filepath.Base(p)
	if slices.Contains(s.Blocks, name) {
		return name, nil
	}
	s.Blocks = append(s.Blocks, name)
	slaves, err := readDirNames(filepath.Join(p, "slaves"))
	if err != nil {
		return "", fmt.Errorf("hostonly: %s: %w", name, err)
	}
	if len(slaves) > 0 {
		if !exists(filepath.Join(p, "dm")) {
			return "", fmt.Errorf("hostonly: %s (device %s) is built from %s but is not a device-mapper device: the init sets up only device-mapper devices",
				name, d, strings.Join(slaves, ", "))
		}
		if depth >= maxDepth {
			return "", fmt.Errorf("hostonly: %s: device-mapper devices stacked more than %d deep", name, maxDepth)
		}
		for _, sl := range slaves {
			sd, err := tr.devOf(filepath.Join(p, "slaves", sl))
			if err != nil {
				return "", fmt.Errorf("hostonly: %s, under %s: %w", sl, name, err)
			}
			if _, err := tr.follow(sd, s, seenDevice, depth+1); err != nil {
				return "", err
			}
		}
		return name, nil
	}
	disk := p
	if exists(filepath.Join(p, "partition")) {
		disk = filepath.Dir(p)
		if !slices.Contains(s.Blocks, filepath.Base(disk)) {
			s.Blocks = append(s.Blocks, filepath.Base(disk))
		}
	}
	diskName := filepath.Base(disk)
	rel, err := filepath.Rel(tr.Sys, disk)
	if err != nil || !strings.HasPrefix(rel, "devices/") {
		return "", fmt.Errorf("hostonly: %s is at %s, outside %s/devices", diskName, disk, tr.Sys)
	}
	if strings.HasPrefix(rel, "devices/virtual/") {
		what := "a virtual device"
		if b, err := os.ReadFile(filepath.Join(disk, "loop", "backing_file")); err == nil {
			what = "a loop device over " + strings.TrimSpace(string(b))
		}
		return "", fmt.Errorf("hostonly: %s (device %s) is %s, not on a storage controller the init could drive", diskName, d, what)
	}
	if !slices.Contains(s.Disks, diskName) {
		s.Disks = append(s.Disks, diskName)
	}
	// Up from the disk: every device with a driver is a link of the chain
	// (the block device's own directory and class directories have none).
	for dir := filepath.Dir(disk); ; dir = filepath.Dir(dir) {
		rel, err := filepath.Rel(tr.Sys, dir)
		if err != nil || rel == "devices" || !strings.HasPrefix(rel, "devices/") {
			break
		}
		if seenDevice[rel] {
			continue
		}
		seenDevice[rel] = true
		drv, err := filepath.EvalSymlinks(filepath.Join(dir, "driver"))
		if errors.Is(err, fs.ErrNotExist) {
			continue // no driver: a bus's root, a SCSI host or target, a class directory
		}
		if err != nil {
			return "", fmt.Errorf("hostonly: %s: %w", rel, err)
		}
		mod := filepath.Base(drv)
		if m, err := filepath.EvalSymlinks(filepath.Join(drv, "module")); err == nil {
			mod = filepath.Base(m)
		}
		alias, err := os.ReadFile(filepath.Join(dir, "modalias"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("hostonly: %s: %w", rel, err)
		}
		s.Drivers = append(s.Drivers, Driver{Module: mod, Device: rel, Modalias: strings.TrimSpace(string(alias))})
	}
	return name, nil
}

// devOf reads the device number of the block device whose sysfs directory
// is (or links to) p.
func (tr Tracer) devOf(p string) (Dev, error) {
	b, err := os.ReadFile(filepath.Join(p, "dev"))
	if err != nil {
		return Dev{}, err
	}
	return parseDev(strings.TrimSpace(string(b)))
}

// probe reads the superblock of the block device name and, when it is a
// whole disk, of each of its partitions.
func (tr Tracer) probe(name string, s *Storage) error {
	dir := filepath.Join(tr.Sys, "class", "block", name)
	names := []string{name}
	entries, err := readDirNames(dir)
	if err != nil {
		return fmt.Errorf("hostonly: %s: %w", name, err)
	}
	for _, e := range entries {
		if exists(filepath.Join(dir, e, "partition")) {
			names = append(names, e)
		}
	}
	for _, n := range names {
		t, err := tr.fsType(filepath.Join(tr.Sys, "class", "block", n))
		if err != nil {
			return err
		}
		if t != "" {
			s.FSTypes = append(s.FSTypes, t)
		}
	}
	return nil
}

// fsType returns the kernel's name of the file system on the block device
// whose sysfs directory is dir, or "" for none that fsdetect knows (a
// verity hash device, a FAT ESP, an empty partition).
func (tr Tracer) fsType(dir string) (string, error) {
	node := filepath.Join(tr.Dev, devName(dir))
	b, err := os.ReadFile(filepath.Join(dir, "size"))
	if err != nil {
		return "", fmt.Errorf("hostonly: %s: %w", node, err)
	}
	sectors, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return "", fmt.Errorf("hostonly: %s: size %q: not a number", node, b)
	}
	f, err := os.Open(node)
	if err != nil {
		return "", fmt.Errorf("hostonly: %w (to read its file system)", err)
	}
	defer f.Close()
	info, err := fsdetect.Probe(f, sectors*512)
	var fe *fsdetect.FormatError
	switch {
	// None, a damaged one or two: nothing the init would mount.
	case errors.Is(err, fsdetect.ErrUnknown), errors.Is(err, fsdetect.ErrAmbiguous), errors.As(err, &fe):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("hostonly: reading the file system of %s: %w", node, err)
	}
	return info.Type.KernelName(), nil
}

// devName is the name of the node under /dev of the block device whose
// sysfs directory is dir: DEVNAME of its uevent ("mapper/..." is not
// there: dm-N is), else the directory's name.
func devName(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "uevent"))
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVNAME="); ok && v != "" && !strings.Contains(v, "..") {
			return v
		}
	}
	return filepath.Base(dir)
}

func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
