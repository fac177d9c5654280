package blockdev

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func ioctlPtr(f *os.File, req uint, size *uint64) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), uintptr(req), uintptr(unsafe.Pointer(size)))
	if errno != 0 {
		return errno
	}
	return nil
}
