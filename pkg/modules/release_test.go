package modules

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"
)

func TestFindRelease(t *testing.T) {
	dep := &fstest.MapFile{Data: []byte("kernel/a.ko:\n")}
	tests := []struct {
		name      string
		fs        fstest.MapFS
		preferred string
		want      string
		wantErr   error
	}{
		{
			name:      "preferred",
			fs:        fstest.MapFS{"6.1.0-56-amd64/modules.dep": dep, "6.10.0-1-amd64/modules.dep": dep},
			preferred: "6.1.0-56-amd64",
			want:      "6.1.0-56-amd64",
		},
		{
			name:      "preferred lacks modules.dep, newest wins",
			fs:        fstest.MapFS{"6.1.0-9-amd64/modules.dep": dep, "6.1.0-56-amd64/modules.dep": dep, "6.18.44-fc/kernel/a.ko": dep},
			preferred: "6.18.44-fc",
			want:      "6.1.0-56-amd64",
		},
		{
			name: "6.10 is newer than 6.9",
			fs:   fstest.MapFS{"6.9.0/modules.dep": dep, "6.10.0/modules.dep": dep, "5.99/modules.dep": dep},
			want: "6.10.0",
		},
		{
			name:      "preferred with a slash is ignored",
			fs:        fstest.MapFS{"a/b/modules.dep": dep, "6.1/modules.dep": dep},
			preferred: "a/b",
			want:      "6.1",
		},
		{
			name:    "modules.dep is a directory",
			fs:      fstest.MapFS{"6.1/modules.dep/x": dep},
			wantErr: ErrNoRelease,
		},
		{
			name:    "empty",
			fs:      fstest.MapFS{},
			wantErr: ErrNoRelease,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindRelease(tt.fs, tt.preferred)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("FindRelease() = %q, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindRelease() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCompareRelease(t *testing.T) {
	got := []string{"6.10.0-1-amd64", "6.1.0-56-amd64", "6.1.0", "6.1.0-9-amd64", "5.19.0", "6.1.0-9-amd64"}
	slices.SortFunc(got, compareRelease)
	want := []string{"5.19.0", "6.1.0", "6.1.0-9-amd64", "6.1.0-9-amd64", "6.1.0-56-amd64", "6.10.0-1-amd64"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted releases = %q, want %q", got, want)
	}
}
