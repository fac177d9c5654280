package mountfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSplitOptions(t *testing.T) {
	tests := []struct {
		in    string
		flags uintptr
		data  string
	}{
		{"", 0, ""},
		{"ro,noatime", unix.MS_RDONLY | unix.MS_NOATIME, ""},
		{"ro,rw,data=ordered,errors=remount-ro", 0, "data=ordered,errors=remount-ro"},
		{"nosuid,,defaults,user_xattr", unix.MS_NOSUID, "user_xattr"},
	}
	for _, tc := range tests {
		flags, data := SplitOptions(tc.in)
		if flags != tc.flags || data != tc.data {
			t.Errorf("SplitOptions(%q) = %#x, %q; want %#x, %q", tc.in, flags, data, tc.flags, tc.data)
		}
	}
}
