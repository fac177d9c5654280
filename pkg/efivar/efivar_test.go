package efivar

import (
	"os"
	"path/filepath"
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

func TestReadLoader(t *testing.T) {
	const id = "6b1d3c1e-a000-4000-8000-00000000000a"
	mk := func(t *testing.T, efi bool, vars map[string][]byte) string {
		root := t.TempDir()
		if !efi {
			return root
		}
		dir := filepath.Join(root, VarsDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range vars {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	other := "OsIndicationsSupported-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	for _, tc := range []struct {
		name  string
		efi   bool
		vars  map[string][]byte
		state LoaderState
		err   string
	}{
		{"no firmware", false, nil, NoEFI, ""},
		{"efivarfs not mounted", true, nil, Unreadable, "efivar: /sys/firmware/efi/efivars: no variables (efivarfs not mounted?)"},
		{"not set", true, map[string][]byte{other: {7, 0, 0, 0, 0}}, NotSet, ""},
		{"set", true, map[string][]byte{other: {7, 0, 0, 0, 0}, loaderVar: varBytes(id, true)}, Set, ""},
		{"malformed", true, map[string][]byte{loaderVar: varBytes("nonsense", true)}, Unreadable, `efivar: "nonsense" is not a GUID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ReadLoader(mk(t, tc.efi, tc.vars))
			if l.State != tc.state {
				t.Errorf("state %v, want %v (err %v)", l.State, tc.state, l.Err)
			}
			if tc.err != "" && (l.Err == nil || !strings.HasPrefix(l.Err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", l.Err, tc.err)
			}
			if tc.state == Set && l.PartUUID.String() != id {
				t.Errorf("partuuid %v", l.PartUUID)
			}
		})
	}
}
