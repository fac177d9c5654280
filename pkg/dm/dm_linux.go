package dm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anatol/devmapper.go"
	"golang.org/x/sys/unix"
)

// Device is a device-mapper device the init created.
type Device struct {
	Name  string
	UUID  string
	Major uint32
	Minor uint32
}

// Node is the path the init made for it, as udev would: /dev/mapper/NAME.
func (d Device) Node() string { return filepath.Join("/dev/mapper", d.Name) }

// DevNum returns "MAJ:MIN".
func (d Device) DevNum() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// controlDevNum is the misc device of /dev/mapper/control (10:236,
// MAPPER_CTRL_MINOR in include/linux/miscdevice.h).
const controlMajor, controlMinor = 10, 236

// Remove removes the device and its node.
func Remove(d Device) error {
	os.Remove(d.Node())
	if err := devmapper.Remove(d.Name); err != nil {
		return fmt.Errorf("dm: remove %s: %w", d.Name, err)
	}
	return nil
}

func ensureControl() error {
	const path = "/dev/mapper/control"
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll("/dev/mapper", 0o755); err != nil {
		return fmt.Errorf("dm: %w", err)
	}
	err := unix.Mknod(path, unix.S_IFCHR|0o600, int(unix.Mkdev(controlMajor, controlMinor)))
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("dm: mknod %s: %w", path, err)
	}
	return nil
}

func makeNode(path string, major, minor uint32) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("dm: %w", err)
	}
	os.Remove(path) // a stale node from an earlier attempt
	if err := unix.Mknod(path, unix.S_IFBLK|0o600, int(unix.Mkdev(major, minor))); err != nil {
		return fmt.Errorf("dm: mknod %s (%d:%d): %w", path, major, minor, err)
	}
	return nil
}
