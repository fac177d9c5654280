package tpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDeviceTimeout: a TPM that never answers costs one timeout, not the
// boot. A pty master stands in for it: what is written goes to a slave
// nobody reads, so it never becomes readable.
func TestDeviceTimeout(t *testing.T) {
	dev := t.TempDir()
	if err := os.Symlink("/dev/ptmx", filepath.Join(dev, "tpmrm0")); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dev, t.TempDir(), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// No echo: nothing written comes back to the master.
	tio, err := unix.IoctlGetTermios(d.fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag &^= unix.ECHO | unix.ICANON
	if err := unix.IoctlSetTermios(d.fd, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Measure(d, 15, Measured{})
	if err == nil || !strings.HasSuffix(err.Error(), "tpm: TPM2_GetCapability: no response from "+filepath.Join(dev, "tpmrm0")+" in 200ms") {
		t.Fatalf("Measure on a silent TPM: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %s", took)
	}
	// Abandoned: later commands fail at once, and Close leaves it open.
	if _, err := d.Transact(GetPCRsCommand()); err == nil {
		t.Error("a command on an abandoned device succeeded")
	}
}

// TestOpen: no device is ErrNoTPM; a TPM 1.2 is refused by name.
func TestOpen(t *testing.T) {
	if _, err := Open(t.TempDir(), t.TempDir(), time.Second); !errors.Is(err, ErrNoTPM) {
		t.Errorf("no device: %v", err)
	}
	sys := t.TempDir()
	if err := os.MkdirAll(filepath.Join(sys, "class", "tpm", "tpm0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys, "class", "tpm", "tpm0", "tpm_version_major"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir(), sys, time.Second); err == nil || err.Error() != "tpm: tpm0 is not a TPM 2.0 (tpm_version_major 1): verinit measures into a TPM 2.0 only" {
		t.Errorf("TPM 1.2: %v", err)
	}
}
