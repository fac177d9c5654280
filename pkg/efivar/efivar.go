// Package efivar reads the EFI variables a boot loader leaves for the OS
// (the systemd Boot Loader Interface), such as LoaderDevicePartUUID: the
// PARTUUID of the partition the loader was started from, which names the
// boot disk for Discoverable Partitions auto-discovery.
package efivar

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf16"

	"github.com/verinit/verinit/pkg/gpt"
)

// LoaderDevicePartUUIDPath is the variable as efivarfs shows it.
const LoaderDevicePartUUIDPath = "/sys/firmware/efi/efivars/LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

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

// LoaderDevicePartUUID reads the variable; ok is false when there is none
// (no EFI, or a boot loader without the Boot Loader Interface).
func LoaderDevicePartUUID() (g gpt.GUID, ok bool, err error) {
	b, err := os.ReadFile(LoaderDevicePartUUIDPath)
	if errors.Is(err, os.ErrNotExist) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("efivar: %w", err)
	}
	g, err = ParseGUIDString(b)
	return g, err == nil, err
}
