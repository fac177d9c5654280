package image

import (
	"fmt"
	"os"
)

// File system types BuildFS can make.
const (
	FSSquashfs = "squashfs"
	FSErofs    = "erofs"
)

// fsTools are the programs BuildFS runs and the Debian packages that have
// them.
var fsTools = map[string]struct{ prog, pkg string }{
	FSSquashfs: {"mksquashfs", "squashfs-tools"},
	FSErofs:    {"mkfs.erofs", "erofs-utils"},
}

// BuildFS makes a read-only file system image out of the directory dir, of
// type fs (FSSquashfs or FSErofs), at out, replacing out if it exists (both tools truncate it). It
// runs
//
//	mksquashfs DIR OUT -noappend -all-root -quiet
//	mkfs.erofs --all-root --quiet OUT DIR
//
// so every file is owned by root and no privileges are needed. The error
// says which package to install when the program is missing, and includes
// the program's output when it fails.
func BuildFS(dir, fs, out string) error {
	tool, ok := fsTools[fs]
	if !ok {
		return fmt.Errorf("image: unknown file system %q: want %s or %s", fs, FSSquashfs, FSErofs)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("image: root file system: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("image: root file system %s is not a directory", dir)
	}
	var args []string
	switch fs {
	case FSSquashfs:
		args = []string{dir, out, "-noappend", "-all-root", "-quiet"}
	case FSErofs:
		args = []string{"--all-root", "--quiet", out, dir}
	}
	if err := run(tool.prog, tool.pkg, fs+" images", args...); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	return nil
}
