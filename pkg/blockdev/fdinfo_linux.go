package blockdev

import (
	"fmt"
	"os"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// OpenFiles lists the block devices this process has open, with the
// flags each was opened with and the device's read-only flag.
func OpenFiles() ([]OpenFile, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("blockdev: %w", err)
	}
	var files []OpenFile
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
			continue // not a block device, or the directory's own fd, closed by now
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("blockdev: %w", err)
		}
		flags, err := ParseFdinfoFlags(string(info))
		if err != nil {
			return nil, fmt.Errorf("blockdev: fd %d: %w", fd, err)
		}
		path, _ := os.Readlink("/proc/self/fd/" + e.Name())
		ro, err := unix.IoctlGetInt(fd, unix.BLKROGET)
		if err != nil {
			return nil, fmt.Errorf("blockdev: BLKROGET %s: %w", path, err)
		}
		files = append(files, OpenFile{FD: fd, Path: path, Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev),
			Flags: flags, ReadOnly: ro != 0})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].FD < files[j].FD })
	return files, nil
}
