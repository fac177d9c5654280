package blockdev

import (
	"strings"
	"testing"
)

func TestParseUevent(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want Event
		ok   bool
	}{
		{"partition add", "add@/devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda1\x00ACTION=add\x00DEVPATH=/devices/x\x00SUBSYSTEM=block\x00MAJOR=254\x00MINOR=1\x00DEVNAME=vda1\x00DEVTYPE=partition\x00PARTN=1\x00SEQNUM=1234\x00",
			Event{Action: "add", DevName: "vda1", DevType: "partition"}, true},
		{"not block", "add@/module/virtio_blk\x00ACTION=add\x00SUBSYSTEM=module\x00", Event{}, false},
		{"udev message", "libudev\x00\xfe\xed", Event{}, false},
		{"empty", "", Event{}, false},
		{"no action", "x@y\x00SUBSYSTEM=block\x00", Event{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseUevent([]byte(tc.msg))
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseUevent = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := Names([]Device{{Name: "vdb"}, {Name: "vda1"}, {Name: "vda"}}); got != "vda vda1 vdb" {
		t.Errorf("Names = %q", got)
	}
	if got := Names(nil); got != "none" {
		t.Errorf("Names(nil) = %q", got)
	}
}

func FuzzParseUevent(f *testing.F) {
	f.Add([]byte("add@/devices/x/block/vda\x00ACTION=add\x00SUBSYSTEM=block\x00DEVNAME=vda\x00DEVTYPE=disk\x00"))
	f.Add([]byte("libudev\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		ev, ok := ParseUevent(msg)
		if ok && ev.Action == "" {
			t.Errorf("accepted event without action: %q", msg)
		}
	})
}

func TestParseFdinfoFlags(t *testing.T) {
	tests := []struct {
		name, in string
		want     uint32
		access   string
		err      bool
	}{
		{"block device read-only", "pos:\t0\nflags:\t02100000\nmnt_id:\t22\nino:\t5\n", 02100000, "O_RDONLY", false},
		{"read-write", "pos:\t0\nflags:\t0100002\nmnt_id:\t22\n", 0100002, "O_RDWR", false},
		{"write-only", "flags:\t01\n", 01, "O_WRONLY", false},
		{"no flags", "pos:\t0\nmnt_id:\t22\n", 0, "", true},
		{"not octal", "flags:\t09\n", 0, "", true},
		{"too large", "flags:\t077777777777\n", 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFdinfoFlags(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got != tc.want {
				t.Errorf("flags = %o, want %o", got, tc.want)
			}
			if a := (OpenFile{Flags: got}).Access(); a != tc.access {
				t.Errorf("access = %s, want %s", a, tc.access)
			}
		})
	}
}

func TestOpenFileString(t *testing.T) {
	f := OpenFile{FD: 7, Path: "/dev/vda2", Major: 254, Minor: 2, Flags: 02100000, ReadOnly: true}
	if got, want := f.String(), "fd 7 /dev/vda2 (254:2) flags 02100000 O_RDONLY, device ro=1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEventNames(t *testing.T) {
	many := make([]Event, 20)
	for i := range many {
		many[i] = Event{Action: "add", DevName: "vdb"}
	}
	tests := []struct {
		name   string
		events []Event
		want   string
	}{
		{"none", nil, ""},
		{"disk and partition", []Event{{Action: "add", DevName: "vda"}, {Action: "change", DevName: "vda1"}}, "add vda, change vda1"},
		{"lost", []Event{{Action: LostEvents}}, "lost"},
		{"bounded", many, strings.Repeat("add vdb, ", 15) + "add vdb and 4 more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EventNames(tc.events); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
