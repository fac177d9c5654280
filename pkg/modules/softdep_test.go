package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func TestParseSoftdep(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Softdep
		wantErr string
	}{
		{
			name: "debian file",
			in: "# Soft dependencies extracted from modules themselves.\n" +
				"softdep ext4 pre: crypto-crc32c\n" +
				"softdep cifs gcm\n" +
				"softdep hid-a  pre: x  y post:  z\n",
			want: []Softdep{
				{Name: "ext4", Pre: []string{"crypto_crc32c"}},
				{Name: "cifs"},
				{Name: "hid_a", Pre: []string{"x", "y"}, Post: []string{"z"}},
			},
		},
		{
			name: "post before pre, repeated keywords",
			in:   "softdep m post: a pre: b post: c\n",
			want: []Softdep{{Name: "m", Pre: []string{"b"}, Post: []string{"a", "c"}}},
		},
		{name: "wrong keyword", in: "\noptions m x=1\n", wantErr: `modules.softdep line 2: keyword "options": want "softdep"`},
		{name: "no name", in: "softdep\n", wantErr: "line 1: missing module name"},
		{name: "bad name", in: "softdep a/b pre: c\n", wantErr: `name "a/b": not a module name`},
		{name: "too long", in: "softdep a pre:" + strings.Repeat(" b", maxSoftdepLineBytes) + "\n", wantErr: "line 1: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSoftdep(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSoftdep() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSoftdep() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSoftdep() = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func FuzzParseSoftdep(f *testing.F) {
	f.Add([]byte("softdep ext4 pre: crypto-crc32c\nsoftdep cifs gcm\nsoftdep m post: a pre: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sds, err := ParseSoftdep(strings.NewReader(string(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		for _, sd := range sds {
			if !loadlist.ValidName(sd.Name) {
				t.Fatalf("invalid name %q accepted", sd.Name)
			}
		}
	})
}
