package blockdev

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OpenFile is a block device the process has open, as /proc/self/fd and
// /proc/self/fdinfo describe it: the debug record that shows the init
// never opens a block device for writing.
type OpenFile struct {
	FD       int
	Path     string // the /proc/self/fd link, e.g. "/dev/vda2"
	Major    uint32
	Minor    uint32
	Flags    uint32 // the open flags from fdinfo
	ReadOnly bool   // the device's read-only flag (BLKROGET)
}

// Access names the access mode of the flags: O_RDONLY, O_WRONLY or O_RDWR.
func (f OpenFile) Access() string {
	switch f.Flags & 3 {
	case 0:
		return "O_RDONLY"
	case 1:
		return "O_WRONLY"
	case 2:
		return "O_RDWR"
	}
	return "O_ACCMODE"
}

// String is the debug line, e.g.
// "fd 7 /dev/vda2 (254:2) flags 02100000 O_RDONLY, device ro=1".
func (f OpenFile) String() string {
	ro := 0
	if f.ReadOnly {
		ro = 1
	}
	return fmt.Sprintf("fd %d %s (%d:%d) flags 0%o %s, device ro=%d", f.FD, f.Path, f.Major, f.Minor, f.Flags, f.Access(), ro)
}

// ParseFdinfoFlags returns the "flags:" field (octal) of a
// /proc/PID/fdinfo/FD file.
func ParseFdinfoFlags(fdinfo string) (uint32, error) {
	for _, line := range strings.Split(fdinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "flags" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
		if err != nil {
			return 0, fmt.Errorf("blockdev: fdinfo flags %q: %w", strings.TrimSpace(v), err)
		}
		return uint32(n), nil
	}
	return 0, errors.New("blockdev: fdinfo has no flags field")
}
