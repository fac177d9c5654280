package blockdev

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open opens the device node read-only. devtmpfs normally made the node
// already; if it is missing (a devtmpfs-less /dev), Open creates it from
// the device number. Its errors are *OpenError.
func Open(d Device) (*os.File, error) {
	path := d.Path()
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		if err := unix.Mknod(path, unix.S_IFBLK|0o600, int(unix.Mkdev(d.Major, d.Minor))); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, &OpenError{fmt.Errorf("blockdev: mknod %s (%s): %w", path, d.DevNum(), err)}
		}
		f, err = os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &OpenError{fmt.Errorf("blockdev: open %s: %w", path, err)}
	}
	return f, nil
}

// OpenError is a device that could not be opened, as opposed to one
// whose contents could not be read or understood. It may open a moment
// later: the kernel lists a new disk in sysfs before the disk can be
// opened (ENXIO until then), so what failed to open is worth trying
// again on the next uevent.
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// SectorSize asks the device for its logical block size (BLKSSZGET).
func SectorSize(f *os.File) (int, error) {
	n, err := unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	if err != nil {
		return 0, fmt.Errorf("blockdev: BLKSSZGET %s: %w", f.Name(), err)
	}
	return n, nil
}

// Size returns the size of the device in bytes (BLKGETSIZE64).
func Size(f *os.File) (int64, error) {
	var size uint64
	if err := ioctlPtr(f, unix.BLKGETSIZE64, &size); err != nil {
		return 0, fmt.Errorf("blockdev: BLKGETSIZE64 %s: %w", f.Name(), err)
	}
	return int64(size), nil
}

// SetReadOnly marks the device read-only in the kernel (BLKROSET), so
// that nothing, not even the real system, can write to it while it is in
// use; the init uses it on the devices under a verified root.
func SetReadOnly(f *os.File) error {
	one := 1
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.BLKROSET, one); err != nil {
		return fmt.Errorf("blockdev: BLKROSET %s: %w", f.Name(), err)
	}
	return nil
}
