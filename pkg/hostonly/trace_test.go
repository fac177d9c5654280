package hostonly

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeSys is a sysfs tree in a temporary directory, laid out as the kernel
// lays out the devices it names.
type fakeSys struct {
	t    *testing.T
	root string // holds sys/ and dev/
}

func newFakeSys(t *testing.T) fakeSys {
	f := fakeSys{t, t.TempDir()}
	for _, d := range []string{"sys/dev/block", "sys/class/block", "sys/devices/virtual/block", "dev"} {
		f.mkdir(d)
	}
	return f
}

func (f fakeSys) tracer() Tracer {
	return Tracer{Sys: filepath.Join(f.root, "sys"), Dev: filepath.Join(f.root, "dev")}
}

func (f fakeSys) mkdir(p string) string {
	f.t.Helper()
	full := filepath.Join(f.root, p)
	if err := os.MkdirAll(full, 0o755); err != nil {
		f.t.Fatal(err)
	}
	return full
}

func (f fakeSys) write(p, content string) {
	f.t.Helper()
	f.mkdir(filepath.Dir(p))
	if err := os.WriteFile(filepath.Join(f.root, p), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f fakeSys) link(p, target string) {
	f.t.Helper()
	f.mkdir(filepath.Dir(p))
	if err := os.Symlink(filepath.Join(f.root, target), filepath.Join(f.root, p)); err != nil {
		f.t.Fatal(err)
	}
}

// block adds the block device at sys/DEVPATH with number dev; a
// partition when part.
func (f fakeSys) block(devpath, dev string, part bool) {
	name := filepath.Base(devpath)
	f.write("sys/"+devpath+"/dev", dev+"\n")
	f.write("sys/"+devpath+"/size", "8192\n")
	f.write("sys/"+devpath+"/uevent", "MAJOR=x\nDEVNAME="+name+"\n")
	if part {
		f.write("sys/"+devpath+"/partition", "1\n")
	}
	f.link("sys/dev/block/"+dev, "sys/"+devpath)
	f.link("sys/class/block/"+name, "sys/"+devpath)
}

// device adds a device at sys/DEVPATH driven by driver drv of bus, which
// belongs to module mod ("" for none), with modalias alias ("" for none).
func (f fakeSys) device(devpath, bus, drv, mod, alias string) {
	f.mkdir("sys/" + devpath)
	d := "sys/bus/" + bus + "/drivers/" + drv
	f.mkdir(d)
	if mod != "" {
		f.mkdir("sys/module/" + mod)
		if _, err := os.Lstat(filepath.Join(f.root, d, "module")); err != nil {
			f.link(d+"/module", "sys/module/"+mod)
		}
	}
	f.link("sys/"+devpath+"/driver", d)
	if alias != "" {
		f.write("sys/"+devpath+"/modalias", alias+"\n")
	}
}

const (
	pciVirtio = "devices/pci0000:00/0000:00:04.0"
	virtioBlk = pciVirtio + "/virtio2"
	vda       = virtioBlk + "/block/vda"
)

// virtioDisk is QEMU's virtio disk vda with partitions vda1..vda3.
func virtioDisk(f fakeSys) {
	f.device(pciVirtio, "pci", "virtio-pci", "virtio_pci", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	f.device(virtioBlk, "virtio", "virtio_blk", "virtio_blk", "virtio:d00000002v00001AF4")
	f.block(vda, "254:0", false)
	for i, p := range []string{"vda1", "vda2", "vda3"} {
		f.block(vda+"/"+p, "254:"+string(rune('1'+i)), true)
	}
}

// verityOver adds dm-0 built from the named block devices.
func verityOver(f fakeSys, slaves ...string) {
	dm := "devices/virtual/block/dm-0"
	f.block(dm, "253:0", false)
	f.write("sys/"+dm+"/dm/name", "root\n")
	for _, s := range slaves {
		f.link("sys/"+dm+"/slaves/"+s, "sys/class/block/"+s)
	}
}

var virtioDrivers = []Driver{
	{Module: "virtio_blk", Device: virtioBlk, Modalias: "virtio:d00000002v00001AF4"},
	{Module: "virtio_pci", Device: pciVirtio, Modalias: "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"},
}

func TestTrace(t *testing.T) {
	t.Run("verity over two partitions", func(t *testing.T) {
		f := newFakeSys(t)
		virtioDisk(f)
		verityOver(f, "vda2", "vda3")
		got, err := f.tracer().Trace([]Dev{{253, 0}}, false)
		if err != nil {
			t.Fatal(err)
		}
		want := &Storage{Blocks: []string{"dm-0", "vda2", "vda", "vda3"}, Disks: []string{"vda"}, Drivers: virtioDrivers}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Trace = %+v\nwant    %+v", got, want)
		}
	})
	t.Run("USB disk behind xHCI", func(t *testing.T) {
		f := newFakeSys(t)
		xhci := "devices/pci0000:00/0000:00:05.0"
		usbDev := xhci + "/usb2/2-1"
		intf := usbDev + "/2-1:1.0"
		scsi := intf + "/host0/target0:0:0/0:0:0:0"
		f.device(xhci, "pci", "xhci_hcd", "xhci_pci", "pci:v00001B36d0000000Dsv00001AF4sd00001100bc0Csc03i30")
		f.device(xhci+"/usb2", "usb", "usb", "usbcore", "")
		f.device(usbDev, "usb", "usb", "usbcore", "")
		f.device(intf, "usb", "usb-storage", "usb_storage", "usb:v46F4p0001d0000dc00dsc00dp00ic08isc06ip50in00")
		f.device(scsi, "scsi", "sd", "sd_mod", "scsi:t-0x00")
		f.block(scsi+"/block/sda", "8:0", false)
		f.block(scsi+"/block/sda/sda2", "8:2", true)
		got, err := f.tracer().Trace([]Dev{{8, 2}}, false)
		if err != nil {
			t.Fatal(err)
		}
		var mods []string
		for _, d := range got.Drivers {
			mods = append(mods, d.Module)
		}
		if want := "sd_mod usb_storage usbcore usbcore xhci_pci"; strings.Join(mods, " ") != want {
			t.Errorf("drivers %v, want %s", mods, want)
		}
		if !reflect.DeepEqual(got.Disks, []string{"sda"}) {
			t.Errorf("disks %v", got.Disks)
		}
	})
	t.Run("a built-in driver without a module link", func(t *testing.T) {
		f := newFakeSys(t)
		f.device(pciVirtio, "pci", "virtio-pci", "", "pci:v00001AF4d00001001")
		f.device(virtioBlk, "virtio", "virtio_blk", "", "")
		f.block(vda, "254:0", false)
		got, err := f.tracer().Trace([]Dev{{254, 0}}, false)
		if err != nil {
			t.Fatal(err)
		}
		want := []Driver{{Module: "virtio_blk", Device: virtioBlk}, {Module: "virtio-pci", Device: pciVirtio, Modalias: "pci:v00001AF4d00001001"}}
		if !reflect.DeepEqual(got.Drivers, want) {
			t.Errorf("drivers %+v, want %+v", got.Drivers, want)
		}
	})
	refused := []struct {
		name string
		make func(fakeSys)
		dev  Dev
		want string
	}{
		{"no such device", virtioDisk, Dev{8, 0}, "hostonly: block device 8:0: lstat "},
		{"loop device", func(f fakeSys) {
			f.block("devices/virtual/block/loop0", "7:0", false)
			f.write("sys/devices/virtual/block/loop0/loop/backing_file", "/var/lib/root.img\n")
		}, Dev{7, 0}, "hostonly: loop0 (device 7:0) is a loop device over /var/lib/root.img, not on a storage controller the init could drive"},
		{"zram", func(f fakeSys) { f.block("devices/virtual/block/zram0", "252:0", false) }, Dev{252, 0},
			"hostonly: zram0 (device 252:0) is a virtual device, not on a storage controller the init could drive"},
		{"md RAID", func(f fakeSys) {
			virtioDisk(f)
			f.block("devices/virtual/block/md0", "9:0", false)
			f.link("sys/devices/virtual/block/md0/slaves/vda2", "sys/class/block/vda2")
			f.link("sys/devices/virtual/block/md0/slaves/vda3", "sys/class/block/vda3")
		}, Dev{9, 0}, "hostonly: md0 (device 9:0) is built from vda2, vda3 but is not a device-mapper device: the init sets up only device-mapper devices"},
		{"device-mapper over a loop device", func(f fakeSys) {
			f.block("devices/virtual/block/loop1", "7:1", false)
			verityOver(f, "loop1")
		}, Dev{253, 0}, "hostonly: loop1 (device 7:1) is a virtual device, not on a storage controller"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSys(t)
			tc.make(f)
			_, err := f.tracer().Trace([]Dev{tc.dev}, false)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Trace: %v, want an error starting %q", err, tc.want)
			}
		})
	}
}

// TestTraceProbe reads the file systems of a disk named whole: squashfs on
// one partition, nothing known on the others.
func TestTraceProbe(t *testing.T) {
	f := newFakeSys(t)
	virtioDisk(f)
	empty := t.TempDir()
	img := filepath.Join(f.root, "dev", "vda2")
	if out, err := exec.Command("mksquashfs", empty, img, "-noappend", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	for _, n := range []string{"vda", "vda1", "vda3"} {
		f.write("dev/"+n, strings.Repeat("\x00", 8192))
	}
	got, err := f.tracer().Trace([]Dev{{254, 0}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.FSTypes, []string{"squashfs"}) {
		t.Errorf("file systems %v, want [squashfs]", got.FSTypes)
	}
	// A node that cannot be read is an error naming it.
	if err := os.Remove(filepath.Join(f.root, "dev", "vda3")); err != nil {
		t.Fatal(err)
	}
	_, err = f.tracer().Trace([]Dev{{254, 0}}, true)
	if err == nil || !strings.Contains(err.Error(), "vda3: no such file or directory (to read its file system)") {
		t.Errorf("Trace without /dev/vda3: %v", err)
	}
}
