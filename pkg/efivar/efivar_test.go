package efivar

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func varBytes(s string, nul bool) []byte {
	b := []byte{7, 0, 0, 0}
	u := utf16.Encode([]rune(s))
	if nul {
		u = append(u, 0)
	}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

func TestParseGUIDString(t *testing.T) {
	const id = "6b1d3c1e-a000-4000-8000-00000000000a"
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"lowercase, NUL", varBytes(id, true), ""},
		{"uppercase, no NUL", varBytes(strings.ToUpper(id), false), ""},
		{"short", []byte{1, 2}, "efivar: 2 bytes: want 4 bytes of attributes and UTF-16 text"},
		{"odd", []byte{1, 2, 3, 4, 5}, "efivar: 5 bytes: want 4 bytes of attributes and UTF-16 text"},
		{"not a guid", varBytes("hello", true), `efivar: "hello" is not a GUID: `},
		{"huge", make([]byte, 1000), "efivar: 1000 bytes, more than 256"},
	} {
		g, err := ParseGUIDString(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || g.String() != id {
			t.Errorf("%s: %v, %v", tc.name, g, err)
		}
	}
}

func FuzzParseGUIDString(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGUIDString(b)
		if err == nil && g.IsZero() && !strings.Contains(string(b), "0") {
			t.Fatalf("zero GUID from %q", b)
		}
	})
}
