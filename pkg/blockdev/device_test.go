package blockdev

import "testing"

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
