package modules

import (
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Want is a module (or alias) to pack and when the init loads it.
type Want struct {
	Name  string
	Class loadlist.Class // Start, Storage, DM or FS
}

// DefaultModules returns the names of [DefaultSet](arch). The returned
// slice is new on each call.
func DefaultModules(arch dps.Arch) []string {
	set := DefaultSet(arch)
	names := make([]string, len(set))
	for i, w := range set {
		names[i] = w.Name
	}
	return names
}

// DefaultSet returns the modules a generic initramfs packs for a kernel of
// architecture arch (the architecture of its modules): the block storage
// drivers of that architecture's machines (see storageDrivers) and its
// TPM interfaces (TPMDrivers),
// device-mapper with dm-verity and its hash algorithms, and the root file
// systems squashfs, erofs and ext4, and efivarfs. Some of them are
// built into some kernels; [Resolve] reports those as built in, and
// names a kernel lacks as missing. A generic initramfs must not pay for hardware that is
// absent, so storage drivers load when a device matches one of their
// aliases, and device-mapper and file systems only when the init is about
// to use them. The returned slice is new on each call.
func DefaultSet(arch dps.Arch) []Want {
	var out []Want
	add := func(c loadlist.Class, names ...string) {
		for _, n := range names {
			out = append(out, Want{Name: n, Class: c})
		}
	}
	add(loadlist.Storage, storageDrivers(arch)...)
	// TPM 2.0 interfaces, by device modalias like the storage drivers:
	// the init measures the boot into a TPM when there is one
	add(loadlist.Storage, TPMDrivers(arch)...)
	// device-mapper, verity, and the hashes a verity tree may use (by
	// alias: every implementation, generic and accelerated, of a hash
	// the kernel lacks, since without modprobe it cannot load one
	// itself; a hash built in packs nothing, see Resolve)
	add(loadlist.DM, "dm_mod", "dm_verity", "crypto-sha1", "crypto-sha256", "crypto-sha512")
	// root file systems
	add(loadlist.FS, "squashfs", "erofs", "ext4")
	// efivarfs, for the boot loader's EFI variables (LoaderDevicePartUUID):
	// the init asks for it only on EFI firmware
	add(loadlist.FS, "efivarfs")
	return out
}

// storageDrivers returns the storage drivers of the default set for arch.
// Every architecture gets virtio (what QEMU and clouds give), SCSI disks
// (behind USB, virtio-scsi or a SAS card), NVMe, USB mass storage behind
// xHCI on PCI, and the MMC block driver. PCs add SATA, EHCI and SD on PCI.
// Boards of the ARM and RISC-V architectures describe their devices in a
// device tree, so their controllers are platform devices matched by "of:"
// aliases: these sets add virtio-mmio (QEMU's virt machines), the USB host
// controllers built into common SoCs, and the SD/eMMC glue of SoC families
// that Debian's kernel supports and boards commonly boot from (the comments
// name them); other SoCs take --module. Architectures not listed get the
// common drivers only. The returned slice is new on each call.
func storageDrivers(arch dps.Arch) []string {
	switch arch {
	case dps.ArchX86_64, dps.ArchX86:
		return []string{
			"virtio_pci", "virtio_blk", "virtio_scsi",
			"sd_mod", "ahci",
			"nvme",
			"xhci_pci", "ehci_pci", "usb_storage", "uas",
			"mmc_block", "sdhci_pci",
		}
	case dps.ArchARM64:
		return []string{
			"virtio_pci", "virtio_mmio", "virtio_blk", "virtio_scsi",
			"sd_mod", "ahci", // SATA on PCIe
			"nvme",
			// xHCI on PCIe (Raspberry Pi 4's VL805) and in SoCs: DWC3
			// (Rockchip, i.MX8M, Amlogic, ZynqMP) makes an xhci-hcd
			// platform device; DWC2 (Raspberry Pi 3); EHCI (Allwinner,
			// Rockchip)
			"xhci_pci", "xhci_plat_hcd", "dwc3", "dwc2", "ehci_pci", "ehci_platform",
			"usb_storage", "uas",
			"mmc_block",
			"sdhci_iproc", "bcm2835", // Raspberry Pi 4, 400, CM4 (BCM2711 emmc2); Pi 3 (BCM2837 sdhost)
			"sdhci_of_arasan",    // Rockchip RK3399 eMMC, Xilinx ZynqMP
			"sdhci_of_dwcmshc",   // Rockchip RK3568, RK3588 eMMC
			"dw_mmc_rockchip",    // Rockchip SD slots
			"meson_gx_mmc",       // Amlogic S905, S922 (ODROID-C2/N2, Khadas, Libre Computer)
			"sunxi_mmc",          // Allwinner A64, H5, H6, H616 (Pine64, Orange Pi)
			"sdhci_esdhc_imx",    // NXP i.MX8M
			"sdhci_tegra",        // NVIDIA Jetson
			"sdhci_am654",        // TI K3: AM62x, AM64x, J721E (BeaglePlay, BeagleBone AI-64)
			"sdhci_xenon_driver", // Marvell Armada 3700, 7k, 8k (ESPRESSObin, MACCHIATObin)
			"sdhci_msm",          // Qualcomm (DragonBoard, RB boards)
		}
	case dps.ArchARM:
		return []string{
			"virtio_pci", "virtio_mmio", "virtio_blk", "virtio_scsi",
			"sd_mod",
			"nvme", // on PCIe (i.MX6Q, Armada 38x)
			// EHCI (Allwinner, Rockchip RK3288), DWC2 (Raspberry Pi 2/3,
			// STM32MP1), ChipIdea (i.MX6/7), MUSB (TI AM335x: BeagleBone
			// Black), DWC3 with xhci-plat (TI AM57x), xHCI on PCIe
			"xhci_pci", "xhci_plat_hcd", "dwc3", "dwc2", "ehci_platform", "ci_hdrc_imx", "musb_dsps",
			"usb_storage", "uas",
			"mmc_block",
			"sdhci_iproc", "bcm2835", // Raspberry Pi 2, 3 (32-bit)
			"sunxi_mmc",                // Allwinner A10, A20, H3 (Cubieboard, Banana Pi, Orange Pi)
			"sdhci_esdhc_imx",          // NXP i.MX6, i.MX7
			"omap_hsmmc", "sdhci_omap", // TI AM335x (BeagleBone), AM57x
			"dw_mmc_rockchip", // Rockchip RK3288 (Tinker Board)
			"dw_mmc_exynos",   // Samsung Exynos 5 (ODROID-XU4)
			"sdhci_pxav3",     // Marvell Armada 370, 38x (Turris Omnia, ClearFog)
			"sdhci_tegra",     // NVIDIA Tegra K1 (Jetson TK1)
			"armmmci",         // ARM PL18x: QEMU's vexpress machines, ST STM32MP1
		}
	case dps.ArchRISCV64:
		return []string{
			"virtio_pci", "virtio_mmio", "virtio_blk", "virtio_scsi",
			"sd_mod",
			"nvme",
			"xhci_pci", "xhci_plat_hcd", "ehci_platform", "usb_storage", "uas",
			"mmc_block",
			"sdhci_of_dwcmshc",      // T-Head TH1520 (Lichee Pi 4A), Sophgo
			"dw_mmc_starfive",       // StarFive JH7110 (VisionFive 2; Linux 6.3 and later)
			"sunxi_mmc",             // Allwinner D1 (Nezha, LicheeRV)
			"mmc_spi", "spi_sifive", // SiFive HiFive Unmatched, Unleashed: the SD card on SPI
		}
	}
	return []string{
		"virtio_pci", "virtio_blk", "virtio_scsi",
		"sd_mod",
		"nvme",
		"xhci_pci", "usb_storage", "uas",
		"mmc_block",
	}
}

// TPMDrivers returns the TPM 2.0 interface drivers of the default set for
// arch: TIS (memory-mapped, on PCs) and CRB (ACPI) where the architecture
// has them, and TIS over SPI, the discrete TPMs of ARM and RISC-V boards
// (their SPI controller is the board's: add it with --add-module). Debian's
// x86 kernels build TIS and CRB in, its arm64 kernel CRB.
func TPMDrivers(arch dps.Arch) []string {
	switch arch {
	case dps.ArchX86_64, dps.ArchX86:
		return []string{"tpm_tis", "tpm_crb"}
	case dps.ArchARM64:
		return []string{"tpm_crb", "tpm_tis_spi"}
	}
	return []string{"tpm_tis_spi"}
}

// Added is the Want for a module or alias an integrator adds to a set
// (verinit initramfs --add-module): it loads when the init can first ask
// for it, as its aliases say, so that adding one module keeps the rest
// loading by need. A file system (a name or alias "fs-X") loads when the
// root's type is known or the init mounts it (efivarfs); device-mapper
// targets and hashes ("dm-X", "crypto-X") before device-mapper devices are
// made; a driver with device aliases ("of:...", "pci:...") when a device
// matches one; anything else at start.
func Added(db *DB, name string) (Want, error) {
	f, err := NewFinder(db)
	if err != nil {
		return Want{}, err
	}
	return f.Added(name), nil
}

// Added is the package's Added over f's modules, without indexing them
// again for each name.
func (f *Finder) Added(name string) Want {
	mods, _ := f.ix.lookup(name)
	n := NormalizeName(name)
	class := loadlist.Start
	switch {
	case strings.HasPrefix(name, "fs-"):
		class = loadlist.FS
	case strings.HasPrefix(n, "dm_"), strings.HasPrefix(name, "crypto-"):
		class = loadlist.DM
	}
	if class != loadlist.Start {
		return Want{Name: name, Class: class}
	}
	for _, a := range f.db.Aliases {
		if !slices.Contains(mods, NormalizeName(a.Name)) {
			continue
		}
		switch p := a.Pattern; {
		case strings.HasPrefix(p, "fs-"):
			return Want{Name: name, Class: loadlist.FS}
		case strings.HasPrefix(p, "crypto-") || strings.HasPrefix(p, "dm-"):
			return Want{Name: name, Class: loadlist.DM}
		case deviceAlias(p):
			class = loadlist.Storage
		}
	}
	return Want{Name: name, Class: class}
}
