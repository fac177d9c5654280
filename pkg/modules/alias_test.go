package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAlias(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Alias
		wantErr string
	}{
		{
			name: "debian lines",
			in: "# Aliases extracted from modules themselves.\n" +
				"alias crypto-crc32c crc32c_intel\n" +
				"alias pci:v00001AF4d00001001sv*sd*bc*sc*i* virtio_blk\n" +
				"alias  fs-ext4\text4\n",
			want: []Alias{
				{Pattern: "crypto-crc32c", Name: "crc32c_intel"},
				{Pattern: "pci:v00001AF4d00001001sv*sd*bc*sc*i*", Name: "virtio_blk"},
				{Pattern: "fs-ext4", Name: "ext4"},
			},
		},
		{name: "missing name", in: "alias fs-ext4\n", wantErr: "line 1: want \"alias PATTERN NAME\""},
		{name: "extra field", in: "alias a b c\n", wantErr: "line 1: want"},
		{name: "wrong keyword", in: "softdep a pre: b\n", wantErr: `keyword "softdep"`},
		{name: "bad name", in: "alias a b.c\n", wantErr: `name "b.c": not a module name`},
		{name: "bad glob", in: "alias a[ b\n", wantErr: `pattern "a[": malformed glob`},
		// Found by FuzzParseAlias (testdata/fuzz/FuzzParseAlias/regress-non-ascii-pattern):
		// the pattern was accepted but could not be looked up.
		{name: "non-ascii pattern", in: "alias \xa3 0", wantErr: `pattern "\xa3": not printable ASCII`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAlias(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAlias() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAlias() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseAlias() = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestNormalizeAlias(t *testing.T) {
	tests := []struct{ in, want string }{
		{"crypto-crc32c", "crypto_crc32c"},
		{"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*"},
		{"a-[0-9]-b", "a_[0-9]_b"},
	}
	for _, tt := range tests {
		if got := normalizeAlias(tt.in); got != tt.want {
			t.Errorf("normalizeAlias(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseAlias(f *testing.F) {
	f.Add([]byte("alias crypto-crc32c crc32c_intel\nalias pci:v00001AF4d00001001sv*sd*bc*sc*i* virtio_blk\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		aliases, err := ParseAlias(strings.NewReader(string(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		// Every accepted alias must be usable for lookups.
		db := &DB{Aliases: aliases}
		for _, a := range aliases {
			if _, err := Resolve(db, []string{a.Pattern}); err != nil {
				t.Fatalf("Resolve(%q): %v", a.Pattern, err)
			}
		}
	})
}
