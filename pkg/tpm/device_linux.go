package tpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoTPM is returned by Open when the machine shows no TPM.
var ErrNoTPM = errors.New("tpm: no TPM device (no /dev/tpmrm0 or /dev/tpm0)")

// Device is a TPM character device opened for commands.
type Device struct {
	Path    string
	fd      int
	timeout time.Duration
}

// Open opens the TPM's resource-managed device (/dev/tpmrm0), else its raw
// device (/dev/tpm0), non-blocking: each command then has timeout to
// answer. A TPM 1.2 (sysfs tpm_version_major) is refused: its commands
// are not these.
func Open(dev, sys string, timeout time.Duration) (*Device, error) {
	if b, err := os.ReadFile(filepath.Join(sys, "class", "tpm", "tpm0", "tpm_version_major")); err == nil && strings.TrimSpace(string(b)) != "2" {
		return nil, fmt.Errorf("tpm: tpm0 is not a TPM 2.0 (tpm_version_major %s): verinit measures into a TPM 2.0 only", strings.TrimSpace(string(b)))
	}
	for _, name := range []string{"tpmrm0", "tpm0"} {
		p := filepath.Join(dev, name)
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tpm: open %s: %w", p, err)
		}
		return &Device{Path: p, fd: fd, timeout: timeout}, nil
	}
	return nil, ErrNoTPM
}

// Transact sends cmd and waits at most the device's timeout for the
// response. Opened non-blocking, the kernel runs the command in the
// background (tpm-dev-common's async mode) and poll says when it is done.
// After a timeout the device is left open: closing it would wait for the
// command.
func (d *Device) Transact(cmd []byte) ([]byte, error) {
	name := "command"
	if len(cmd) >= headerBytes {
		name = commandName(binary.BigEndian.Uint32(cmd[6:headerBytes]))
	}
	if n, err := unix.Write(d.fd, cmd); err != nil || n != len(cmd) {
		return nil, fmt.Errorf("tpm: %s: write %s: %d of %d bytes: %v", name, d.Path, n, len(cmd), err)
	}
	deadline := time.Now().Add(d.timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			d.fd = -1 // abandoned: see above
			return nil, fmt.Errorf("tpm: %s: no response from %s in %s", name, d.Path, d.timeout)
		}
		fds := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tpm: %s: poll %s: %w", name, d.Path, err)
		}
		if n == 0 {
			continue
		}
		buf := make([]byte, MaxResponse)
		n, err = unix.Read(d.fd, buf)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tpm: %s: read %s: %w", name, d.Path, err)
		}
		return buf[:n], nil
	}
}

// Close closes the device unless a command was abandoned on it.
func (d *Device) Close() error {
	if d.fd < 0 {
		return nil
	}
	return unix.Close(d.fd)
}
