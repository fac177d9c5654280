package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
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
