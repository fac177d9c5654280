package mountfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount is one file system to mount.
type Mount struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
	Required               bool // a failure is fatal; else only reported
}

// Early is what the init mounts first: /proc, /sys and /dev are needed
// for everything after; /run carries the status record and is moved
// into the real root.
func Early() []Mount {
	return []Mount{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", true},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", true},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", true},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", false},
	}
}

// Do mounts each file system in order. EBUSY on a file system that is
// already there (the kernel mounts devtmpfs itself with
// CONFIG_DEVTMPFS_MOUNT) counts as success. It returns the first error
// of a required mount and the errors of optional ones.
func Do(mounts []Mount) (optional []error, err error) {
	for _, m := range mounts {
		if err := os.MkdirAll(m.Target, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			e := fmt.Errorf("mount %s: %w", m.Target, err)
			if m.Required {
				return optional, e
			}
			optional = append(optional, e)
			continue
		}
		err := unix.Mount(m.Source, m.Target, m.FSType, m.Flags, m.Data)
		if err == nil || errors.Is(err, unix.EBUSY) {
			continue
		}
		e := fmt.Errorf("mount %s on %s: %w", m.FSType, m.Target, err)
		if m.Required {
			return optional, e
		}
		optional = append(optional, e)
	}
	return optional, nil
}

// Root mounts the root file system. readOnly adds MS_RDONLY; options
// are the rootflags= string, whose generic flags (ro, rw, nosuid, ...)
// become mount flags and the rest is passed to the file system.
func Root(device, target, fstype string, readOnly bool, options string) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("mount root: %w", err)
	}
	flags, data := SplitOptions(options)
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount(device, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s (%s) on %s: %w", device, fstype, target, err)
	}
	return nil
}

// TmpfsRoot mounts an empty tmpfs on target for root=tmpfs (mode 0755
// unless options say otherwise) with the directories the switch needs.
func TmpfsRoot(target, options string) error {
	if err := Root("tmpfs", target, "tmpfs", false, "mode=0755,"+options); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"usr", 0o755}, {"dev", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"run", 0o755}, {"etc", 0o755}, {"var", 0o755}, {"tmp", 0o1777}} {
		p := filepath.Join(target, d.name)
		if err := os.Mkdir(p, d.mode); err != nil {
			return fmt.Errorf("tmpfs root: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil { // past the umask
			return fmt.Errorf("tmpfs root: %w", err)
		}
	}
	return nil
}

// UsrLinks makes in root the merged-/usr links systemd's base-filesystem
// makes (bin, sbin, lib, lib64 to usr/...), each only when root lacks the
// name and its target exists in root's /usr: a tmpfs root then finds
// /sbin/init, and /bin/sh for scripts, in the verified /usr.
func UsrLinks(root string) ([]string, error) {
	var made []string
	for _, name := range []string{"bin", "sbin", "lib", "lib64"} {
		if _, err := os.Lstat(filepath.Join(root, name)); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "usr", name)); err != nil {
			continue
		}
		if err := os.Symlink("usr/"+name, filepath.Join(root, name)); err != nil {
			return made, fmt.Errorf("usr links: %w", err)
		}
		made = append(made, name)
	}
	return made, nil
}

var flagNames = map[string]uintptr{
	"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "sync": unix.MS_SYNCHRONOUS, "noatime": unix.MS_NOATIME,
	"nodiratime": unix.MS_NODIRATIME, "relatime": unix.MS_RELATIME, "dirsync": unix.MS_DIRSYNC,
}

// SplitOptions turns a mount option string into flags and the data the
// file system parses itself, as mount(8) does.
func SplitOptions(options string) (flags uintptr, data string) {
	var rest []string
	for _, o := range strings.Split(options, ",") {
		switch f, ok := flagNames[o]; {
		case o == "":
		case o == "rw":
			flags &^= unix.MS_RDONLY
		case o == "defaults":
		case ok:
			flags |= f
		default:
			rest = append(rest, o)
		}
	}
	return flags, strings.Join(rest, ",")
}

// Unmount detaches the file system at target.
func Unmount(target string) error {
	if err := unix.Unmount(target, 0); err != nil {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}

// EFIVars mounts efivarfs read-only on target (efivar.VarsDir) for the
// init's own reading, and returns how to unmount it, so that the real
// system mounts it as it likes. When it is mounted already (EBUSY),
// unmount does nothing.
func EFIVars(target string) (unmount func() error, err error) {
	err = unix.Mount("efivarfs", target, "efivarfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	switch {
	case errors.Is(err, unix.EBUSY):
		return func() error { return nil }, nil
	case err != nil:
		return nil, fmt.Errorf("mount efivarfs on %s: %w", target, err)
	}
	return func() error { return Unmount(target) }, nil
}
