// Package efivar reads the EFI variables a boot loader leaves for the OS
// (the systemd Boot Loader Interface), such as LoaderDevicePartUUID: the
// PARTUUID of the partition the loader was started from, which names the
// boot disk for Discoverable Partitions auto-discovery.
package efivar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/verinit/verinit/pkg/gpt"
)

// maxVarBytes bounds a variable holding one GUID string: 4 bytes of
// attributes and 37 UTF-16 code units are plenty.
const maxVarBytes = 256

// ParseGUIDString decodes an efivarfs file holding a GUID string: four
// bytes of attributes, then the GUID as UTF-16LE text, NUL-terminated or
// not, in either case.
func ParseGUIDString(b []byte) (gpt.GUID, error) {
	if len(b) > maxVarBytes {
		return gpt.GUID{}, fmt.Errorf("efivar: %d bytes, more than %d", len(b), maxVarBytes)
	}
	if len(b) < 4 || (len(b)-4)%2 != 0 {
		return gpt.GUID{}, fmt.Errorf("efivar: %d bytes: want 4 bytes of attributes and UTF-16 text", len(b))
	}
	units := make([]uint16, 0, (len(b)-4)/2)
	for i := 4; i+1 < len(b); i += 2 {
		u := uint16(b[i]) | uint16(b[i+1])<<8
		if u == 0 {
			break
		}
		units = append(units, u)
	}
	s := strings.TrimSpace(string(utf16.Decode(units)))
	g, err := gpt.ParseGUID(s)
	if err != nil {
		return gpt.GUID{}, fmt.Errorf("efivar: %q is not a GUID: %w", s, err)
	}
	return g, nil
}

// FirmwareDir is where the kernel shows the EFI firmware when it was
// booted through it, and VarsDir where efivarfs is mounted.
const (
	FirmwareDir = "/sys/firmware/efi"
	VarsDir     = FirmwareDir + "/efivars"
	loaderVar   = "LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
)

// LoaderState says what the boot loader told the OS about its partition.
type LoaderState int

// The states, as status.json names them (String).
const (
	NoEFI      LoaderState = iota // not booted through EFI firmware: no variable to read
	NotSet                        // EFI, but the loader set no LoaderDevicePartUUID
	Set                           // the loader named its partition
	Unreadable                    // EFI, but the variables could not be read (efivarfs missing?)
)

func (s LoaderState) String() string {
	switch s {
	case NotSet:
		return "not set"
	case Set:
		return "set"
	case Unreadable:
		return "unreadable"
	}
	return "no EFI"
}

// Loader is what ReadLoader found.
type Loader struct {
	State    LoaderState
	PartUUID gpt.GUID // when Set
	Err      error    // when Unreadable, or when the variable is malformed
}

// ReadLoader reads LoaderDevicePartUUID under root (the file system root:
// "/" in the init), telling a firmware without the variable apart from
// variables that cannot be read: efivarfs not mounted counts as
// unreadable, never as "not set".
func ReadLoader(root string) Loader {
	fw := filepath.Join(root, FirmwareDir)
	if _, err := os.Stat(fw); errors.Is(err, os.ErrNotExist) {
		return Loader{State: NoEFI}
	}
	vars := filepath.Join(root, VarsDir)
	if ents, err := os.ReadDir(vars); err != nil || len(ents) == 0 {
		if err == nil {
			err = errors.New("no variables (efivarfs not mounted?)")
		}
		return Loader{State: Unreadable, Err: fmt.Errorf("efivar: %s: %w", VarsDir, err)}
	}
	b, err := os.ReadFile(filepath.Join(vars, loaderVar))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Loader{State: NotSet}
	case err != nil:
		return Loader{State: Unreadable, Err: fmt.Errorf("efivar: %w", err)}
	}
	g, err := ParseGUIDString(b)
	if err != nil {
		return Loader{State: Unreadable, Err: err}
	}
	return Loader{State: Set, PartUUID: g}
}
