package modules

import "github.com/verinit/verinit/pkg/modules/loadlist"

// Want is a module (or alias) to pack and when the init loads it.
type Want struct {
	Name  string
	Class loadlist.Class // Start, Storage, DM or FS
}

// DefaultModules returns the modules a generic initramfs packs: block storage
// drivers for virtio, SCSI/SATA, NVMe, USB and MMC, device-mapper with
// dm-verity and its hash algorithms, and the root file systems squashfs,
// erofs and ext4. Some of them are built into some kernels; [Resolve]
// reports those as built in. The returned slice is new on each call.
func DefaultModules() []string {
	set := DefaultSet()
	names := make([]string, len(set))
	for i, w := range set {
		names[i] = w.Name
	}
	return names
}

// DefaultSet returns [DefaultModules] with the class of each: a generic
// initramfs must not pay for hardware that is absent, so storage drivers
// load when a device matches one of their aliases, and device-mapper and
// file systems only when the init is about to use them.
func DefaultSet() []Want {
	var out []Want
	add := func(c loadlist.Class, names ...string) {
		for _, n := range names {
			out = append(out, Want{Name: n, Class: c})
		}
	}
	// virtio; SCSI disks, SATA; NVMe; USB storage; MMC / SD
	add(loadlist.Storage, "virtio_pci", "virtio_blk", "virtio_scsi",
		"sd_mod", "ahci",
		"nvme",
		"xhci_pci", "ehci_pci", "usb_storage", "uas",
		"mmc_block", "sdhci_pci")
	// device-mapper, verity, and the hashes a verity tree may use (by
	// alias: every implementation, generic and accelerated, of a hash
	// the kernel lacks, since without modprobe it cannot load one
	// itself; a hash built in packs nothing, see Resolve)
	add(loadlist.DM, "dm_mod", "dm_verity", "crypto-sha1", "crypto-sha256", "crypto-sha512")
	// root file systems
	add(loadlist.FS, "squashfs", "erofs", "ext4")
	return out
}
