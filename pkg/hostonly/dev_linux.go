package hostonly

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// DevOf returns the device number of the block device node path.
func DevOf(path string) (Dev, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return Dev{}, fmt.Errorf("hostonly: %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return Dev{}, fmt.Errorf("hostonly: %s is not a block device", path)
	}
	return Dev{unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))}, nil
}
