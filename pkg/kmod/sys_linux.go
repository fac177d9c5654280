package kmod

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// The errnos with a meaning of their own.
var (
	errExist    = unix.EEXIST
	errNoDevice = unix.ENODEV
)

// maxModuleBytes bounds the init_module fallback's read of a file.
const maxModuleBytes = 64 << 20

// outcome maps the error of loadModule to an Outcome.
func outcome(name string, err error) (Outcome, error) {
	switch {
	case err == nil:
		return Loaded, nil
	case errors.Is(err, errExist):
		return Present, nil
	case errors.Is(err, errNoDevice):
		return NoDevice, nil
	case errors.Is(err, errMissing):
		return Missing, fmt.Errorf("kmod: %s: %w", name, err)
	default:
		return Failed, fmt.Errorf("kmod: %s: %w", name, err)
	}
}

func loadModule(path, params string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, errMissing)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), params, 0)
	if !errors.Is(err, unix.ENOSYS) {
		return wrapErr(path, "finit_module", err)
	}
	// No finit_module (an old kernel or a file system without it).
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() > maxModuleBytes {
		return fmt.Errorf("%s: %d bytes, more than %d", path, info.Size(), maxModuleBytes)
	}
	image := make([]byte, info.Size())
	if _, err := f.ReadAt(image, 0); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return wrapErr(path, "init_module", unix.InitModule(image, params))
}

func wrapErr(path, call string, err error) error {
	if err == nil || errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENODEV) {
		return err
	}
	return fmt.Errorf("%s: %w", path, os.NewSyscallError(call, err))
}

// KernelProvides is [Provided] for the running kernel: it reads
// /proc/crypto or /proc/filesystems as the name asks. An unreadable file
// counts as not providing: loading a module needlessly is safe.
func KernelProvides(name string) bool {
	var crypto, filesystems []byte
	switch {
	case strings.HasPrefix(name, "crypto-"):
		crypto, _ = os.ReadFile("/proc/crypto")
	case strings.HasPrefix(name, "fs-"):
		filesystems, _ = os.ReadFile("/proc/filesystems")
	default:
		return false
	}
	return Provided(name, crypto, filesystems)
}
