package dm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	"github.com/anatol/devmapper.go"
	"golang.org/x/sys/unix"
)

// Target is one line of a device-mapper table, as dmsetup prints it:
// "<start> <length> <type> <params>", in 512-byte sectors.
type Target struct {
	StartSector, Sectors uint64
	Type                 string // "linear", "striped", "verity", ...
	Params               string
}

// String is the table line.
func (t Target) String() string {
	return fmt.Sprintf("%d %d %s %s", t.StartSector, t.Sectors, t.Type, t.Params)
}

// Create makes the device name with the given table, read-only if asked,
// resumes it and makes its /dev/mapper node. On any failure the device
// is removed again.
//
// devmapper.go creates, resumes and removes the device; the table is
// loaded here because its table types are a closed set without "striped",
// which LVM needs.
func Create(name, uuid string, readOnly bool, targets []Target) (Device, error) {
	if err := ensureControl(); err != nil {
		return Device{}, err
	}
	if err := devmapper.Create(name, uuid); err != nil {
		return Device{}, fmt.Errorf("dm: create %s: %w", name, err)
	}
	fail := func(err error) (Device, error) {
		_ = devmapper.Remove(name)
		return Device{}, err
	}
	if err := loadTable(name, readOnly, targets); err != nil {
		return fail(fmt.Errorf("dm: load table of %s: %w", name, err))
	}
	if err := devmapper.Resume(name); err != nil {
		return fail(fmt.Errorf("dm: resume %s: %w", name, err))
	}
	info, err := devmapper.InfoByName(name)
	if err != nil {
		return fail(fmt.Errorf("dm: status of %s: %w", name, err))
	}
	d := Device{Name: name, UUID: uuid, Major: unix.Major(info.DevNo), Minor: unix.Minor(info.DevNo)}
	if err := makeNode(d.Node(), d.Major, d.Minor); err != nil {
		return fail(err)
	}
	return d, nil
}

// maxTableBytes bounds the ioctl buffer (the kernel's own limit is far
// larger; our tables are a few lines).
const maxTableBytes = 1 << 20

// loadTable issues DM_TABLE_LOAD: a struct dm_ioctl, then per target a
// struct dm_target_spec followed by its NUL-terminated parameters,
// padded to 8 bytes, each spec's next field giving the offset to the
// following one (include/uapi/linux/dm-ioctl.h).
func loadTable(name string, readOnly bool, targets []Target) error {
	const align = 8
	if len(name) >= unix.DM_NAME_LEN {
		return fmt.Errorf("name %q longer than %d bytes", name, unix.DM_NAME_LEN-1)
	}
	size := unix.SizeofDmIoctl
	for _, t := range targets {
		if len(t.Type) >= 16 || strings.ContainsRune(t.Params, 0) {
			return fmt.Errorf("bad target %q", t.Type)
		}
		size += (unix.SizeofDmTargetSpec + len(t.Params) + 1 + align - 1) / align * align
	}
	if size > maxTableBytes || len(targets) == 0 {
		return errors.New("table empty or too large")
	}
	buf := make([]byte, size)
	hdr := (*unix.DmIoctl)(unsafe.Pointer(&buf[0]))
	hdr.Version = [3]uint32{4, 0, 0}
	hdr.Data_size = uint32(size)
	hdr.Data_start = unix.SizeofDmIoctl
	hdr.Target_count = uint32(len(targets))
	if readOnly {
		hdr.Flags = unix.DM_READONLY_FLAG
	}
	copy(hdr.Name[:], name)
	off := unix.SizeofDmIoctl
	for _, t := range targets {
		n := (unix.SizeofDmTargetSpec + len(t.Params) + 1 + align - 1) / align * align
		spec := (*unix.DmTargetSpec)(unsafe.Pointer(&buf[off]))
		spec.Sector_start, spec.Length, spec.Next = t.StartSector, t.Sectors, uint32(n)
		copy(spec.Target_type[:], t.Type)
		copy(buf[off+unix.SizeofDmTargetSpec:], t.Params)
		off += n
	}
	f, err := os.Open("/dev/mapper/control")
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.DM_TABLE_LOAD, uintptr(unsafe.Pointer(&buf[0]))); errno != 0 {
		return os.NewSyscallError("DM_TABLE_LOAD", errno)
	}
	return nil
}
