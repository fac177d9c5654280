package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Scan lists the block devices under sysBlock (normally /sys/class/block).
func Scan(sysBlock string) ([]Device, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("blockdev: scan %s: %w", sysBlock, err)
	}
	devs := make([]Device, 0, len(entries))
	for _, e := range entries {
		d, err := readDevice(sysBlock, e.Name())
		if errors.Is(err, os.ErrNotExist) {
			continue // removed while we looked
		}
		if err != nil {
			return nil, err
		}
		devs = append(devs, d)
	}
	return devs, nil
}

func readDevice(sysBlock, name string) (Device, error) {
	dir := filepath.Join(sysBlock, name)
	d := Device{Name: name, Disk: name}
	devnum, err := readAttr(dir, "dev")
	if err != nil {
		return d, err
	}
	maj, min, ok := strings.Cut(devnum, ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return d, fmt.Errorf("blockdev: %s/dev: bad device number %q", dir, devnum)
	}
	d.Major, d.Minor = uint32(ma), uint32(mi)
	if size, err := readAttr(dir, "size"); err == nil {
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 && n < 1<<54 {
			d.SizeBytes = n * 512
		}
	}
	if part, err := readAttr(dir, "partition"); err == nil {
		n, err := strconv.Atoi(part)
		if err != nil || n <= 0 {
			return d, fmt.Errorf("blockdev: %s/partition: bad number %q", dir, part)
		}
		d.Partition = n
		// /sys/class/block/vda1 links to .../block/vda/vda1: the
		// parent directory names the disk.
		target, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return d, fmt.Errorf("blockdev: %s: %w", dir, err)
		}
		d.Disk = filepath.Base(filepath.Dir(target))
	}
	return d, nil
}

func readAttr(dir, attr string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, attr))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
