package hostonly

import (
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// testDB is a kernel with virtio_blk, virtio_pci and squashfs as modules,
// ext4 and sd_mod built in, and ahci matching AHCI controllers.
func testDB() *modules.DB {
	return &modules.DB{
		Deps: []modules.DepEntry{
			{Path: "kernel/drivers/block/virtio_blk.ko"},
			{Path: "kernel/drivers/virtio/virtio_pci.ko"},
			{Path: "kernel/drivers/ata/ahci.ko"},
			{Path: "kernel/fs/squashfs/squashfs.ko"},
			{Path: "kernel/drivers/md/dm-mod.ko"},
			{Path: "kernel/drivers/md/dm-verity.ko"},
		},
		Builtin: []string{"kernel/fs/ext4/ext4.ko", "kernel/drivers/scsi/sd_mod.ko"},
		Aliases: []modules.Alias{
			{Pattern: "virtio:d00000002v*", Name: "virtio_blk"},
			{Pattern: "pci:v00001AF4d*sv*sd*bc*sc*i*", Name: "virtio_pci"},
			{Pattern: "pci:v*d*sv*sd*bc01sc06i01*", Name: "ahci"},
			{Pattern: "fs-squashfs", Name: "squashfs"},
		},
	}
}

func TestWants(t *testing.T) {
	dm := []modules.Want{}
	for _, w := range modules.DefaultSet(dps.ArchX86_64) {
		if w.Class == loadlist.DM {
			dm = append(dm, w)
		}
	}
	s := &Storage{Drivers: []Driver{
		{Module: "virtio_blk", Device: virtioBlk, Modalias: "virtio:d00000002v00001AF4"},
		{Module: "virtio-pci", Device: pciVirtio, Modalias: "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"},
		{Module: "sd_mod", Device: "devices/x/0:0:0:0", Modalias: "scsi:t-0x00"},
		// Built into the host's kernel under another name: found by its modalias.
		{Module: "ahci_builtin", Device: "devices/pci0000:00/0000:00:1f.2", Modalias: "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"},
	}, FSTypes: []string{"ext4", "squashfs"}}
	got, err := s.Wants(testDB(), dps.ArchX86_64, "6.1.0-test", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []modules.Want{{Name: "virtio_blk", Class: loadlist.Storage}, {Name: "virtio-pci", Class: loadlist.Storage},
		{Name: "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", Class: loadlist.Storage}}
	want = append(want, dm...)
	want = append(want, modules.Want{Name: "squashfs", Class: loadlist.FS}, modules.Want{Name: "efivarfs", Class: loadlist.FS})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Wants =\n%v\nwant\n%v", got, want)
	}

	for _, tc := range []struct {
		name string
		s    Storage
		want string
	}{
		{"a driver the kernel lacks", Storage{Drivers: []Driver{{Module: "nvme", Device: "devices/pci0000:00/0000:00:06.0", Modalias: "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02"}}},
			"hostonly: nvme drives devices/pci0000:00/0000:00:06.0, and kernel 6.1.0-test has no module or built-in driver nvme, nor one for its modalias pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02"},
		{"a file system the kernel lacks", Storage{FSTypes: []string{"xfs"}}, "hostonly: the file system xfs is neither a module nor built into kernel 6.1.0-test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Wants(testDB(), dps.ArchX86_64, "6.1.0-test", false)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Wants: %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestRootDevs(t *testing.T) {
	mounts := func(s string) []Mount {
		m, err := ParseMountinfo(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name, mountinfo string
		devs            []Dev
		fs              []string
		err             string
	}{
		{"verified root", "1 0 0:2 / / rw - rootfs rootfs rw\n26 1 253:0 / / ro,relatime - squashfs /dev/mapper/root ro\n21 26 0:20 / /proc rw - proc proc rw\n",
			[]Dev{{253, 0}}, []string{"squashfs"}, ""},
		{"tmpfs root beside a verified /usr", "26 1 0:30 / / rw - tmpfs tmpfs rw\n27 26 253:1 / /usr ro - erofs /dev/mapper/usr ro\n",
			[]Dev{{253, 1}}, []string{"erofs"}, ""},
		{"root and /usr", "26 1 8:2 / / rw - ext4 /dev/sda2 rw\n27 26 253:1 / /usr ro - erofs /dev/mapper/usr ro\n",
			[]Dev{{8, 2}, {253, 1}}, []string{"ext4", "erofs"}, ""},
		{"overlay", "26 1 0:45 / / rw - overlay overlay rw,lowerdir=/a\n", nil, nil,
			"hostonly: / is overlay (overlay, device 0:45), not a block device, and /usr is not mounted from one"},
		{"nothing on /", "21 26 0:20 / /proc rw - proc proc rw\n", nil, nil, "hostonly: nothing is mounted on / in mountinfo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			devs, fs, err := RootDevs(mounts(tc.mountinfo))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("RootDevs: %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(devs, tc.devs) || !reflect.DeepEqual(fs, tc.fs) {
				t.Errorf("RootDevs = %v %v %v, want %v %v", devs, fs, err, tc.devs, tc.fs)
			}
		})
	}
}
