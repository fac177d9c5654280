package modules

// DefaultModules returns the modules a generic initramfs packs: block storage
// drivers for virtio, SCSI/SATA, NVMe, USB and MMC, device-mapper with
// dm-verity and its hash algorithms, and the root file systems squashfs,
// erofs and ext4. Some of them
// are built into some kernels; [Resolve] reports those as built in. The
// returned slice is new on each call.
func DefaultModules() []string {
	return []string{
		// virtio
		"virtio_pci", "virtio_blk", "virtio_scsi",
		// SCSI disks, SATA
		"sd_mod", "ahci",
		// NVMe
		"nvme",
		// USB storage
		"xhci_pci", "ehci_pci", "usb_storage", "uas",
		// MMC / SD
		"mmc_block", "sdhci_pci",
		// device-mapper, verity, and the hashes a verity tree may use
		// (by alias: every implementation, generic and accelerated; the
		// kernel cannot load them itself, there is no modprobe)
		"dm_mod", "dm_verity", "crypto-sha1", "crypto-sha256", "crypto-sha512",
		// root file systems
		"squashfs", "erofs", "ext4",
	}
}
