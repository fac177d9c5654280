package blockdev

import (
	"strings"
	"testing"
)

func TestUeventModalias(t *testing.T) {
	tests := []struct {
		name, msg, want string
		ok              bool
	}{
		// As the kernel sends them in a QEMU VM when virtio_pci and then
		// the SCSI host probe.
		{"virtio device", "add@/devices/pci0000:00/0000:00:04.0/virtio1\x00ACTION=add\x00DEVPATH=/devices/pci0000:00/0000:00:04.0/virtio1\x00SUBSYSTEM=virtio\x00MODALIAS=virtio:d00000002v00001AF4\x00SEQNUM=812\x00",
			"virtio:d00000002v00001AF4", true},
		{"scsi disk", "add@/devices/pci0000:00/0000:00:05.0/virtio2/host0/target0:0:0/0:0:0:0\x00ACTION=add\x00SUBSYSTEM=scsi\x00DEVTYPE=scsi_device\x00MODALIAS=scsi:t-0x00\x00",
			"scsi:t-0x00", true},
		// A device-tree device of an arm64 board: the modalias names its
		// node and compatibles, and the bus (platform) only in SUBSYSTEM.
		{"device tree", "add@/devices/platform/emmc2bus/fe340000.mmc\x00ACTION=add\x00DEVPATH=/devices/platform/emmc2bus/fe340000.mmc\x00SUBSYSTEM=platform\x00" +
			"MODALIAS=of:NmmcT(null)Cbrcm,bcm2711-emmc2\x00OF_NAME=mmc\x00OF_FULLNAME=/emmc2bus/mmc@7e340000\x00OF_COMPATIBLE_0=brcm,bcm2711-emmc2\x00OF_COMPATIBLE_N=1\x00SEQNUM=1207\x00",
			"of:NmmcT(null)Cbrcm,bcm2711-emmc2", true},
		{"platform device without a node", "add@/devices/platform/soc/fe9c0000.usb/xhci-hcd.1.auto\x00ACTION=add\x00SUBSYSTEM=platform\x00MODALIAS=platform:xhci-hcd\x00",
			"platform:xhci-hcd", true},
		{"bind", "bind@/devices/x\x00ACTION=bind\x00SUBSYSTEM=pci\x00MODALIAS=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\x00", "", false},
		{"no modalias", "add@/devices/x/block/vda\x00ACTION=add\x00SUBSYSTEM=block\x00DEVNAME=vda\x00", "", false},
		{"empty modalias", "add@/x\x00ACTION=add\x00MODALIAS=\x00", "", false},
		{"control byte", "add@/x\x00ACTION=add\x00MODALIAS=a\x01b\x00", "", false},
		{"udev message", "libudev\x00\xfe\xedMODALIAS=x", "", false},
		{"empty", "", "", false},
		{"past the field bound", "add@/x\x00ACTION=add\x00" + strings.Repeat("K=V\x00", maxUeventFields) + "MODALIAS=x\x00", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := UeventModalias([]byte(tc.msg))
			if got != tc.want || ok != tc.ok {
				t.Errorf("UeventModalias = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzUeventModalias(f *testing.F) {
	f.Add([]byte("add@/devices/x/virtio1\x00ACTION=add\x00SUBSYSTEM=virtio\x00MODALIAS=virtio:d00000002v00001AF4\x00"))
	f.Add([]byte("libudev\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		a, ok := UeventModalias(msg)
		if ok != (a != "") || !printableASCII(a) {
			t.Errorf("UeventModalias(%q) = %q, %v", msg, a, ok)
		}
	})
}
