package blockdev

import (
	"fmt"
	"sort"
	"strings"
)

// Device is a block device as sysfs describes it.
type Device struct {
	Name      string // kernel name: "vda", "vda2", "nvme0n1p1"
	Major     uint32
	Minor     uint32
	Partition int    // partition number, 0 for a whole disk
	Disk      string // for a partition, the name of its disk; else Name
	SizeBytes int64  // sysfs size (in 512-byte units) times 512
	Node      string // the node to open when not /dev/NAME, e.g. /dev/mapper/vg-root
}

// DevNum returns "MAJ:MIN".
func (d Device) DevNum() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Path returns the device node the init uses: Node, or /dev/NAME.
func (d Device) Path() string {
	if d.Node != "" {
		return d.Node
	}
	return "/dev/" + d.Name
}

// IsPartition reports whether d is a partition of a disk.
func (d Device) IsPartition() bool { return d.Partition > 0 }

// Names lists the device names, sorted, for messages such as
// "block devices seen: vda vda1 vda2".
func Names(devs []Device) string {
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}

// Event is a kernel uevent for a block device.
type Event struct {
	Action  string // "add", "remove", "change", ...
	DevName string // DEVNAME, e.g. "vda1"
	DevType string // "disk" or "partition"
}

// LostEvents is the Action of the Event that stands for uevents the
// kernel dropped because the socket's buffer was full.
const LostEvents = "lost"

// maxEventNames bounds the events EventNames lists.
const maxEventNames = 16

// EventNames lists events for a log line: "add vda, add vda1".
func EventNames(events []Event) string {
	var b strings.Builder
	for i, ev := range events {
		if i == maxEventNames {
			fmt.Fprintf(&b, " and %d more", len(events)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ev.Action)
		if ev.DevName != "" {
			b.WriteString(" " + ev.DevName)
		}
	}
	return b.String()
}

// maxUeventFields bounds the KEY=VALUE pairs taken from one message.
const maxUeventFields = 64

// ParseUevent decodes a kernel uevent message ("ACTION@DEVPATH\0KEY=VALUE\0...").
// It reports ok=false for messages that are not block-subsystem events
// (or not from the kernel: udev's own messages start with "libudev").
func ParseUevent(msg []byte) (ev Event, ok bool) {
	fields := strings.Split(string(msg), "\x00")
	if len(fields) == 0 || !strings.Contains(fields[0], "@") {
		return Event{}, false
	}
	subsystem := ""
	for i, f := range fields[1:] {
		if i >= maxUeventFields {
			break
		}
		k, v, found := strings.Cut(f, "=")
		if !found {
			continue
		}
		switch k {
		case "ACTION":
			ev.Action = v
		case "DEVNAME":
			ev.DevName = v
		case "DEVTYPE":
			ev.DevType = v
		case "SUBSYSTEM":
			subsystem = v
		}
	}
	if subsystem != "block" || ev.Action == "" {
		return Event{}, false
	}
	return ev, true
}
