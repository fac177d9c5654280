package pivot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Magic numbers of the file systems an initramfs lives on (statfs f_type).
// They are 32-bit values; Statfs_t.Type is int32 on 32-bit arm and 386
// (where ramfs's is negative) and int64 elsewhere, so both sides are
// compared as uint32.
const (
	ramfsMagic uint32 = 0x858458f6
	tmpfsMagic uint32 = 0x01021994
)

// FindInit returns the first of candidates that is an executable regular
// file inside newRoot. Paths are resolved as the new root will see them:
// an absolute symbolic link such as /sbin/init -> /lib/systemd/systemd
// points inside newRoot, not into the initramfs.
func FindInit(newRoot string, candidates []string) (string, error) {
	root, err := unix.Open(newRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("pivot: open %s: %w", newRoot, err)
	}
	defer unix.Close(root)
	var reasons []string
	for _, c := range candidates {
		err := checkExecutable(root, c)
		if err == nil {
			return c, nil
		}
		reasons = append(reasons, fmt.Sprintf("%s: %v", c, err))
	}
	return "", fmt.Errorf("pivot: no init in the root file system (%s)", strings.Join(reasons, "; "))
}

// OnMountOf reports whether path, resolved inside newRoot as FindInit
// resolves it, lies on the file system mounted on dir inside newRoot: a
// real init taken from a verified /usr, whatever links the root holds.
func OnMountOf(newRoot, path, dir string) (bool, error) {
	root, err := unix.Open(newRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("pivot: open %s: %w", newRoot, err)
	}
	defer unix.Close(root)
	var in, mount unix.Stat_t
	for _, p := range []struct {
		path string
		st   *unix.Stat_t
	}{{path, &in}, {dir, &mount}} {
		fd, err := unix.Openat2(root, strings.TrimPrefix(p.path, "/"), &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
		if err != nil {
			return false, fmt.Errorf("pivot: %s in %s: %w", p.path, newRoot, err)
		}
		err = unix.Fstat(fd, p.st)
		unix.Close(fd)
		if err != nil {
			return false, fmt.Errorf("pivot: %s in %s: %w", p.path, newRoot, err)
		}
	}
	return in.Dev == mount.Dev, nil
}

func checkExecutable(root int, path string) error {
	if !filepath.IsAbs(path) {
		return errors.New("not an absolute path")
	}
	fd, err := unix.Openat2(root, strings.TrimPrefix(path, "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return errors.New("not found")
		}
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	if st.Mode&0o111 == 0 {
		return errors.New("not executable")
	}
	return nil
}

// Options describe the switch.
type Options struct {
	NewRoot string   // where the real root is mounted, e.g. /sysroot
	Init    string   // path of the real init inside NewRoot (from FindInit)
	Argv    []string // arguments after argv[0]
	Env     []string // environment for the real init
	Moves   []string // API mounts to move into NewRoot: /dev /proc /sys /run
	// Log reports each step; nil for none.
	Log func(format string, args ...any)
	// BeforeExec, if not nil, runs in the new root just before the
	// exec, with the initramfs freed and the API mounts moved: the
	// init's last chance to record what it did.
	BeforeExec func()
}

// Switch replaces the initramfs with NewRoot and execs the real init. It
// only returns on failure. Before deleting anything it checks that it is
// PID 1, that / is a ramfs or tmpfs and that NewRoot is a mount point;
// call FindInit first to check the init.
func Switch(o Options) error {
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if pid := os.Getpid(); pid != 1 {
		return fmt.Errorf("pivot: not PID 1 (pid %d)", pid)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs("/", &fs); err != nil {
		return fmt.Errorf("pivot: statfs /: %w", err)
	}
	if t := uint32(fs.Type); t != ramfsMagic && t != tmpfsMagic {
		return fmt.Errorf("pivot: / is not a ramfs or tmpfs (type %#x): refusing to delete it", t)
	}
	var rootSt, newSt unix.Stat_t
	if err := unix.Stat("/", &rootSt); err != nil {
		return fmt.Errorf("pivot: stat /: %w", err)
	}
	if err := unix.Stat(o.NewRoot, &newSt); err != nil {
		return fmt.Errorf("pivot: stat %s: %w", o.NewRoot, err)
	}
	if newSt.Dev == rootSt.Dev {
		return fmt.Errorf("pivot: %s is not a mount point", o.NewRoot)
	}

	for _, m := range o.Moves {
		target := filepath.Join(o.NewRoot, m)
		if err := unix.Mount(m, target, "", unix.MS_MOVE, ""); err != nil {
			// The real root lacks the directory: detach the mount
			// rather than leave it unreachable.
			logf("move %s to %s: %v; detaching it", m, target, err)
			if err := unix.Unmount(m, unix.MNT_DETACH); err != nil {
				logf("detach %s: %v", m, err)
			}
			continue
		}
		logf("moved %s to %s", m, target)
	}
	if err := unix.Chdir(o.NewRoot); err != nil {
		return fmt.Errorf("pivot: chdir %s: %w", o.NewRoot, err)
	}
	freed, err := removeTree("/", rootSt.Dev)
	if err != nil {
		logf("freeing initramfs: %v", err) // memory lost, not fatal
	}
	logf("freed %d initramfs entries", freed)
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("pivot: move %s to /: %w", o.NewRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("pivot: chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("pivot: chdir /: %w", err)
	}
	if o.BeforeExec != nil {
		o.BeforeExec()
	}
	argv := append([]string{o.Init}, o.Argv...)
	logf("exec %s", strings.Join(argv, " "))
	err = unix.Exec(o.Init, argv, o.Env)
	return fmt.Errorf("pivot: exec %s: %w", o.Init, err)
}

// removeTree deletes everything under dir that lives on device dev,
// without following symbolic links or entering other mounts. It returns
// how many entries it removed.
func removeTree(dir string, dev uint64) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	return removeAt(fd, dev)
}

// removeAt empties the directory fd (and closes it).
func removeAt(fd int, dev uint64) (int, error) {
	d := os.NewFile(uintptr(fd), "dir")
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, err
	}
	removed := 0
	var firstErr error
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		if st.Dev != dev {
			continue // another mount: the new root, or a moved one
		}
		flags := 0
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				firstErr = cmp(firstErr, err)
				continue
			}
			n, err := removeAt(sub, dev)
			removed += n
			firstErr = cmp(firstErr, err)
			flags = unix.AT_REMOVEDIR
		}
		if err := unix.Unlinkat(fd, name, flags); err != nil {
			// A mount point (the new root's directory) stays.
			if !errors.Is(err, unix.EBUSY) {
				firstErr = cmp(firstErr, fmt.Errorf("%s: %w", name, err))
			}
			continue
		}
		removed++
	}
	return removed, firstErr
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
