package blockdev

import "strings"

// UeventModalias returns the MODALIAS of a kernel "add" uevent
// ("ACTION@DEVPATH\0KEY=VALUE\0..."), for any subsystem: the bus devices
// (pci, virtio, scsi, usb, mmc, ...) whose drivers the init loads by need.
// ok is false for other actions, for events without a MODALIAS, and for
// messages not from the kernel.
func UeventModalias(msg []byte) (modalias string, ok bool) {
	fields := strings.Split(string(msg), "\x00")
	if len(fields) == 0 || !strings.Contains(fields[0], "@") {
		return "", false
	}
	action := ""
	for i, f := range fields[1:] {
		if i >= maxUeventFields {
			break
		}
		k, v, found := strings.Cut(f, "=")
		switch {
		case !found:
		case k == "ACTION":
			action = v
		case k == "MODALIAS":
			modalias = v
		}
	}
	if action != "add" || modalias == "" || !printableASCII(modalias) {
		return "", false
	}
	return modalias, true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
