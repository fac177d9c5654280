package verity

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseHexRootHash(t *testing.T) {
	const h = "4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076"
	for _, tc := range []struct {
		s, alg string
		want   string // hex; "" for an error
	}{
		{h, "sha256", h},
		{strings.ToUpper(h), "sha256", h},
		{h[:40], "sha1", h[:40]},
		{h + h, "sha512", h + h},
		{h[:62], "sha256", ""},
		{h + "00", "sha256", ""},
		{h[:63] + "g", "sha256", ""},
		{h, "sha1", ""},
		{h, "md5", ""},
		{"", "sha256", ""},
	} {
		got, err := ParseHexRootHash(tc.s, tc.alg)
		if tc.want == "" {
			if err == nil || !errors.Is(err, ErrInvalidParams) {
				t.Errorf("ParseHexRootHash(%q, %q) = %x, %v; want ErrInvalidParams", tc.s, tc.alg, got, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, mustHex(t, tc.want)) {
			t.Errorf("ParseHexRootHash(%q, %q) = %x, %v; want %s", tc.s, tc.alg, got, err, tc.want)
		}
	}
}

func TestParseSalt(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want []byte
		err  bool
	}{
		{"-", nil, false},
		{"", nil, false},
		{"5ecc8487", []byte{0x5e, 0xcc, 0x84, 0x87}, false},
		{"5ECC", []byte{0x5e, 0xcc}, false},
		{strings.Repeat("ab", 256), bytes.Repeat([]byte{0xab}, 256), false},
		{strings.Repeat("ab", 257), nil, true},
		{"abc", nil, true},
		{"zz", nil, true},
		{"--", nil, true},
	} {
		got, err := ParseSalt(tc.s)
		if tc.err {
			if !errors.Is(err, ErrInvalidParams) {
				t.Errorf("ParseSalt(%q) = %x, %v; want ErrInvalidParams", tc.s, got, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("ParseSalt(%q) = %#v, %v; want %#v", tc.s, got, err, tc.want)
		}
	}
}

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"8a678132-d493-401d-a0f6-903006c0a5d8", true},
		{"8A678132-D493-401D-A0F6-903006C0A5D8", true},
		{"8a678132d493401da0f6903006c0a5d8", false},
		{"8a678132-d493-401d-a0f6-903006c0a5d", false},
		{"8a678132-d493-401d-a0f6-903006c0a5d8 ", false},
		{"8a678132-d493-401d_a0f6-903006c0a5d8", false},
		{"8a678132-d493-401d-a0f6-903006c0a5dx", false},
		{"", false},
	} {
		got, err := ParseUUID(tc.s)
		if !tc.ok {
			if !errors.Is(err, ErrInvalidParams) || got != [16]byte{} {
				t.Errorf("ParseUUID(%q) = %x, %v; want ErrInvalidParams", tc.s, got, err)
			}
			continue
		}
		if err != nil || got != testUUID {
			t.Errorf("ParseUUID(%q) = %x, %v; want %x", tc.s, got, err, testUUID)
		}
		if uuidString(got) != strings.ToLower(tc.s) {
			t.Errorf("uuidString(ParseUUID(%q)) = %q", tc.s, uuidString(got))
		}
	}
}
