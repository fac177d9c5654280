package hostonly

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	got, err := ParseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{{Point: "/mnt/with space", Dev: Dev{98, 0}, FSType: "ext3", Source: "/dev/root"}, {Point: "/", Dev: Dev{254, 0}, FSType: "ext4", Source: "/dev/vda"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseMountinfo = %+v, want %+v", got, want)
	}
	for _, tc := range []struct{ in, want string }{
		{"26 1 254:0 / / rw ext4 /dev/vda rw\n", `hostonly: mountinfo line 1: no "- FSTYPE SOURCE" after the options`},
		{"26 1 254 / / rw - ext4 /dev/vda rw\n", `hostonly: mountinfo line 1: device "254": want MAJOR:MINOR`},
		{"\n26 1 x:0 / / rw - ext4 /dev/vda rw\n", `hostonly: mountinfo line 2: device "x:0": want MAJOR:MINOR`},
	} {
		if _, err := ParseMountinfo(strings.NewReader(tc.in)); err == nil || err.Error() != tc.want {
			t.Errorf("ParseMountinfo(%q): %v, want %s", tc.in, err, tc.want)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte("26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"))
	f.Add([]byte("36 35 98:0 /mnt1 /mnt/a\\040b rw master:1 - ext3 /dev/root rw\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, err := ParseMountinfo(strings.NewReader(string(b)))
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error text %q: want one line", msg)
			}
			return
		}
		for _, m := range mounts {
			if m.FSType == "" || m.Source == "" {
				t.Fatalf("mount %+v without a type or source", m)
			}
		}
	})
}
