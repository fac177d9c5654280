package image

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/elfarch"
)

// Bounds for TreeArch: symbolic links followed for one path (the kernel's
// own limit, MAXSYMLINKS), and the files of a program directory read
// before giving up.
const (
	maxSymlinks     = 40
	maxProgramFiles = 4096
)

// ErrNoProgram means TreeArch found no ELF program to tell a root file
// system's architecture from.
var ErrNoProgram = errors.New("image: no ELF program in the root file system")

// programs are where a root file system keeps the programs that tell its
// architecture: the init and the shell first (what boots), then the
// program directories.
var (
	programs    = [...]string{"sbin/init", "bin/sh", "bin/busybox", "usr/bin/env"}
	programDirs = [...]string{"usr/sbin", "usr/bin", "sbin", "bin"}
)

// TreeArch returns the architecture of the root file system in the
// directory dir, from the ELF header of its programs, and the program it
// was read from (relative to dir): the first of sbin/init, bin/sh,
// bin/busybox and usr/bin/env that is an ELF program, else the first ELF
// program in usr/sbin, usr/bin, sbin or bin. Paths resolve as inside the
// root (absolute symbolic links and ".." stop at dir), as on the booted
// system. It returns an error wrapping ErrNoProgram if none is found, and
// one naming the program if DPS names no architecture for its machine.
func TreeArch(dir string) (dps.Arch, string, error) {
	for _, p := range programs {
		a, ok, err := programArch(dir, p)
		if ok || err != nil {
			return a, p, err
		}
	}
	for _, d := range programDirs {
		real, err := resolveIn(dir, d)
		if err != nil {
			continue // no such directory
		}
		entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(real)))
		if err != nil {
			continue
		}
		for i, e := range entries {
			if i >= maxProgramFiles {
				break
			}
			p := path.Join(d, e.Name())
			a, ok, err := programArch(dir, p)
			if ok || err != nil {
				return a, p, err
			}
		}
	}
	return "", "", fmt.Errorf("%w (looked at %s and in %s/)", ErrNoProgram, strings.Join(programs[:], ", "), strings.Join(programDirs[:], "/, "))
}

// programArch reads the ELF header of the program p inside the root dir;
// ok is false if p is missing, not a regular file or not an ELF program.
func programArch(dir, p string) (a dps.Arch, ok bool, err error) {
	real, err := resolveIn(dir, p)
	if err != nil {
		return "", false, nil
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(real)))
	if err != nil {
		return "", false, nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", false, nil
	}
	h, err := elfarch.Read(f)
	if err != nil {
		return "", false, nil // not ELF (a script), or too short
	}
	if h.Type != elf.ET_EXEC && h.Type != elf.ET_DYN { // programs, not objects or core files
		return "", false, nil
	}
	if h.Arch() == "" {
		return "", true, fmt.Errorf("image: %s is built for %v, which has no Discoverable Partitions types", p, h)
	}
	return h.Arch(), true, nil
}

// resolveIn resolves the relative path p inside the root dir as a chroot
// would: symbolic links are followed, with absolute ones and ".." stopping
// at dir. It returns the resolved path relative to dir.
func resolveIn(dir, p string) (string, error) {
	rest := strings.Split(p, "/")
	cur := "" // resolved so far, relative to dir
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur = path.Dir(cur); cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, c)
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(next)))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", fmt.Errorf("image: %s: more than %d symbolic links", p, maxSymlinks)
		}
		target, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(next)))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return cur, nil
}
