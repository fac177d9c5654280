package blockdev

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestModaliases(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// As in a QEMU VM: sysfs lists buses alphabetically.
	write("acpi/devices/PNP0A03:00/modalias", "acpi:PNP0A03:\n")
	write("cpu/devices/cpu0/modalias", "cpu:type:x86,ven0000fam0006mod003F:feature:,0089\n")
	write("pci/devices/0000:00:00.0/modalias", "pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00\n")
	write("pci/devices/0000:00:04.0/modalias", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n")
	write("pci/devices/0000:00:05.0/vendor", "0x1af4\n") // no modalias
	write("virtio/devices/virtio0/modalias", "virtio:d00000002v00001AF4\n")
	write("virtio/devices/virtio1/modalias", "\n")                               // empty: skipped
	write("virtio/devices/virtio2/modalias", "a\x01b\n")                         // not printable: skipped
	if err := os.MkdirAll(filepath.Join(root, "workqueue"), 0o755); err != nil { // no devices/
		t.Fatal(err)
	}
	named := []string{"virtio", "pci", "usb"} // no usb/ yet: usbcore is not loaded
	onNamed := []string{
		"pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00",
		"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
		"virtio:d00000002v00001AF4",
	}
	for _, tc := range []struct {
		every bool
		want  []string
	}{
		{false, onNamed},
		{true, append(onNamed, "acpi:PNP0A03:", "cpu:type:x86,ven0000fam0006mod003F:feature:,0089")},
	} {
		var got []string
		if err := Modaliases(root, named, tc.every, func(a string) { got = append(got, a) }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Modaliases(every %v) =\n%q\nwant\n%q", tc.every, got, tc.want)
		}
	}
	missing := filepath.Join(root, "none")
	if err := Modaliases(missing, named, false, func(string) {}); err == nil {
		t.Error("no error for a missing directory")
	}
	if err := Modaliases(missing, nil, false, func(string) { t.Error("called with no bus to read") }); err != nil {
		t.Errorf("no bus to read: %v", err)
	}
}

// TestModaliasesDeviceTree: on a board whose devices the device tree
// describes, the storage controllers sit on the platform and AMBA buses
// with "of:" modaliases, so coldplug reads every bus (the loader asks for
// it when a storage alias starts with "of:"), the named ones first.
func TestModaliasesDeviceTree(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// As sysfs shows them on a Raspberry Pi 4 and on QEMU's virt machine.
	write("amba/devices/9050000.mmc/modalias", "amba:d00041181\n")
	write("cpu/devices/cpu0/modalias", "cpu:type:aarch64:feature:,0000,0001,0002\n")
	write("platform/devices/fe340000.mmc/modalias", "of:NmmcT(null)Cbrcm,bcm2711-emmc2\n")
	write("platform/devices/a003e00.virtio_mmio/modalias", "of:Nvirtio_mmioT(null)Cvirtio,mmio\n")
	write("platform/devices/xhci-hcd.1.auto/modalias", "platform:xhci-hcd\n")
	write("virtio/devices/virtio0/modalias", "virtio:d00000002v00001AF4\n")
	var got []string
	if err := Modaliases(root, []string{"virtio", "platform"}, true, func(a string) { got = append(got, a) }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"of:Nvirtio_mmioT(null)Cvirtio,mmio", "of:NmmcT(null)Cbrcm,bcm2711-emmc2", "platform:xhci-hcd", // named, in sysfs order
		"virtio:d00000002v00001AF4",
		"amba:d00041181", "cpu:type:aarch64:feature:,0000,0001,0002", // then every other bus
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Modaliases =\n%q\nwant\n%q", got, want)
	}
}
