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

// CreateReadOnly creates the device name with the given tables, loaded
// read-only, resumes it and makes its /dev/mapper node. On any failure
// the device is removed again.
func CreateReadOnly(name, uuid string, tables ...devmapper.Table) (Device, error) {
	if err := ensureControl(); err != nil {
		return Device{}, err
	}
	if err := devmapper.CreateAndLoad(name, uuid, devmapper.ReadOnlyFlag, tables...); err != nil {
		// The library removed it if the load failed; resume failures
		// leave it behind.
		_ = devmapper.Remove(name)
		return Device{}, fmt.Errorf("dm: create %s: %w", name, err)
	}
	info, err := devmapper.InfoByName(name)
	if err != nil {
		_ = devmapper.Remove(name)
		return Device{}, fmt.Errorf("dm: status of %s: %w", name, err)
	}
	d := Device{Name: name, UUID: uuid, Major: unix.Major(info.DevNo), Minor: unix.Minor(info.DevNo)}
	if err := makeNode(d.Node(), d.Major, d.Minor); err != nil {
		_ = devmapper.Remove(name)
		return Device{}, err
	}
	return d, nil
}

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
