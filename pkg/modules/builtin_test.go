package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func TestParseBuiltin(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "empty", in: ""},
		{
			name: "paths",
			in:   "kernel/drivers/md/dm-mod.ko\n\n# c\n kernel/fs/ext4/ext4.ko \n",
			want: []string{"kernel/drivers/md/dm-mod.ko", "kernel/fs/ext4/ext4.ko"},
		},
		{name: "two fields", in: "kernel/a.ko kernel/b.ko\n", wantErr: "line 1: path"},
		{name: "absolute", in: "\n/kernel/a.ko\n", wantErr: "line 2: path \"/kernel/a.ko\": absolute"},
		{name: "not a module", in: "kernel/a\n", wantErr: "not a kernel module file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBuiltin(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBuiltin() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBuiltin() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseBuiltin() = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseBuiltin(f *testing.F) {
	f.Add([]byte("kernel/drivers/md/dm-mod.ko\nkernel/fs/ext4/ext4.ko\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		paths, err := ParseBuiltin(strings.NewReader(string(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		for _, p := range paths {
			if Name(p) == "" {
				t.Fatalf("non-module path %q accepted", p)
			}
		}
	})
}

func TestParseBuiltinModinfo(t *testing.T) {
	// The first records of Debian 6.1.0-56-amd64's file, and its sha256 ones.
	real := "amd_uncore.license=GPL v2\x00amd_uncore.file=arch/x86/events/amd/amd-uncore\x00" +
		"mmiotrace.parm=trace_pc:Record address of faulting instructions.\x00" +
		"sha256_generic.alias=crypto-sha256-generic\x00sha256_generic.alias=crypto-sha256\x00sha256_generic.alias=sha256\x00"
	tests := []struct {
		name    string
		in      string
		want    []Alias
		wantErr string
	}{
		{name: "empty", in: ""},
		{name: "real", in: real, want: []Alias{
			{Pattern: "crypto-sha256-generic", Name: "sha256_generic"},
			{Pattern: "crypto-sha256", Name: "sha256_generic"},
			{Pattern: "sha256", Name: "sha256_generic"},
		}},
		{name: "last record without NUL, name normalised", in: "crc32c-generic.alias=crypto-crc32c", want: []Alias{
			{Pattern: "crypto-crc32c", Name: "crc32c_generic"},
		}},
		{name: "no key", in: "amd_uncore.license=GPL\x00amd_uncore\x00", wantErr: `modules.builtin.modinfo line 2: record "amd_uncore": want MODULE.KEY=VALUE`},
		{name: "bad module", in: "a b.alias=x\x00", wantErr: `line 1: module "a b": not a module name`},
		{name: "bad alias", in: "m.alias=pci:v[0\x00", wantErr: `line 1: alias "pci:v[0": malformed glob`},
		{name: "unprintable alias", in: "m.alias=a\nb\x00", wantErr: `line 1: alias "a\nb": not printable ASCII`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBuiltinModinfo(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBuiltinModinfo() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBuiltinModinfo() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseBuiltinModinfo() = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseBuiltinModinfo(f *testing.F) {
	f.Add([]byte("sha256_generic.license=GPL\x00sha256_generic.alias=crypto-sha256\x00sha256_generic.alias=sha256\x00"))
	f.Add([]byte("m.parm=x:a.b=c\x00m.alias=pci:v00008086d*sv*sd*bc01sc06i01*\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		aliases, err := ParseBuiltinModinfo(strings.NewReader(string(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, a := range aliases {
			if !loadlist.ValidName(a.Name) || !printable(a.Pattern) {
				t.Fatalf("accepted %+v", a)
			}
		}
	})
}
