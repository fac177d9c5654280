//go:build vm

package vm

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestModulesByNeed boots the default initramfs, whose storage drivers
// load by device modalias and whose device-mapper and file system modules
// load when used, and the same module set packed with --eager-modules, and
// checks from status.json what each loaded and why. Each VM has one kind
// of disk: virtio, USB (behind xHCI, so that the USB and SCSI buses only
// appear while the init waits), NVMe, SATA (AHCI), virtio-scsi or an SD
// card (SDHCI, whose mmc bus appears while the init waits). Only that
// disk's drivers may be loaded by need.
func TestModulesByNeed(t *testing.T) {
	eager := filepath.Join(shared.dir, "initrd-eager.img")
	bin := filepath.Join(shared.dir, "bin")
	if out, err := exec.Command(filepath.Join(bin, "verinit"), "initramfs", "-o", eager, "--init", filepath.Join(bin, "init"),
		"--kernel-release", shared.Release, "--eager-modules").CombinedOutput(); err != nil {
		t.Fatalf("verinit initramfs --eager-modules: %v\n%s", err, out)
	}
	v := shared.verity(t)
	verity := "roothash=" + v.rootHash + " systemd.verity_root_data=PARTUUID=" + uuidVData + " systemd.verity_root_hash=PARTUUID=" + uuidVHash
	tests := []struct {
		name, initrd, disk, cmdline string
		attach                      string // bootOpts.attach
		root                        string // status.json's root.device, if checked
		// want maps a module to "outcome trigger", or to "" for one
		// that must not be packed; modules not named are not checked.
		want map[string]string
		// after names modules whose finit_module call may begin only
		// once the device stage has ended: loaded when about to be used.
		after []string
	}{
		{"by need, plain squashfs", shared.initrd, "main", "root=/dev/vda2", "", "/dev/vda2", map[string]string{
			"virtio_pci": "loaded modalias", "virtio_blk": "loaded modalias", "virtio": "loaded modalias",
			"ahci": "unused ", "nvme": "unused ", "usb_storage": "unused ", "xhci_pci": "unused ", "sdhci_pci": "unused ",
			"virtio_scsi": "unused ", "sd_mod": "unused ",
			"dm_mod": "unused ", "dm_verity": "unused ",
			"squashfs": "loaded fs", "erofs": "unused ", "ext4": "unused ",
		}, []string{"squashfs"}},
		{"by need, USB disk", shared.initrd, "main", "root=/dev/sda2", "usb", "/dev/sda2", map[string]string{
			"xhci_pci": "loaded modalias", "usbcore": "loaded modalias", "usb_storage": "loaded modalias",
			"sd_mod": "loaded modalias", "scsi_mod": "loaded modalias",
			"virtio_pci": "unused ", "virtio_blk": "unused ", "ahci": "unused ", "nvme": "unused ", "sdhci_pci": "unused ",
			"squashfs": "loaded fs",
		}, []string{"squashfs"}},
		{"by need, NVMe disk", shared.initrd, "main", "root=/dev/nvme0n1p2", "nvme", "/dev/nvme0n1p2", map[string]string{
			"nvme": "loaded modalias", "nvme_core": "loaded modalias",
			"virtio_pci": "unused ", "virtio_blk": "unused ", "ahci": "unused ", "xhci_pci": "unused ", "usb_storage": "unused ",
			"squashfs": "loaded fs",
		}, []string{"squashfs"}},
		{"by need, SATA disk", shared.initrd, "main", "root=/dev/sda2", "ahci", "/dev/sda2", map[string]string{
			"ahci": "loaded modalias", "libata": "loaded modalias", "sd_mod": "loaded modalias",
			"virtio_pci": "unused ", "nvme": "unused ", "xhci_pci": "unused ", "usb_storage": "unused ", "sdhci_pci": "unused ",
			"squashfs": "loaded fs",
		}, []string{"squashfs"}},
		{"by need, virtio-scsi disk", shared.initrd, "main", "root=/dev/sda2", "scsi", "/dev/sda2", map[string]string{
			"virtio_pci": "loaded modalias", "virtio_scsi": "loaded modalias", "sd_mod": "loaded modalias",
			"virtio_blk": "unused ", "ahci": "unused ", "nvme": "unused ", "xhci_pci": "unused ", "sdhci_pci": "unused ",
			"squashfs": "loaded fs",
		}, []string{"squashfs"}},
		{"by need, SD card", shared.initrd, "main", "root=/dev/mmcblk0p2", "mmc", "/dev/mmcblk0p2", map[string]string{
			"sdhci_pci": "loaded modalias", "mmc_core": "loaded modalias", "mmc_block": "loaded modalias",
			"virtio_pci": "unused ", "ahci": "unused ", "nvme": "unused ", "xhci_pci": "unused ", "sd_mod": "unused ",
			"squashfs": "loaded fs",
		}, []string{"squashfs"}},
		{"by need, verity sha256", shared.initrd, "verity", verity, "", "/dev/mapper/root", map[string]string{
			"virtio_blk": "loaded modalias", "ahci": "unused ", "nvme": "unused ",
			"dm_mod": "loaded dm", "dm_verity": "loaded dm", "dm_bufio": "loaded dm",
			"sha512_generic": "unused ",
			// Debian's kernel has sha1 and sha256 built in
			// (modules.builtin.modinfo declares crypto-sha1 and
			// crypto-sha256), so the kernel never asks for them and their
			// accelerated modules are not even packed; under TCG's CPU
			// sha256_ssse3 would only have failed with ENODEV.
			"sha1_ssse3": "", "sha256_ssse3": "",
			"squashfs": "loaded fs", "ext4": "unused ",
		}, []string{"dm_mod", "dm_verity", "squashfs"}},
		{"eager", eager, "main", "root=/dev/vda2", "", "/dev/vda2", map[string]string{
			"virtio_blk": "loaded start", "ahci": "loaded start", "nvme": "loaded start", "usb_storage": "loaded start",
			"dm_verity": "loaded start", "ext4": "loaded start", "squashfs": "loaded start",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootOpts(t, vmtest.Boot{Initrd: tc.initrd, Disks: []string{tc.disk}, Attach: tc.attach, Cmdline: tc.cmdline})
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			if got := vmtest.Field(r.Status, "root", "device"); got != tc.root {
				t.Errorf("root.device = %v, want %s", got, tc.root)
			}
			mods, _ := r.Status["modules"].([]any)
			got, at := map[string]string{}, map[string]float64{}
			for _, m := range mods {
				m, _ := m.(map[string]any)
				name, _ := m["name"].(string)
				outcome, _ := m["outcome"].(string)
				trigger, _ := m["trigger"].(string)
				got[name] = outcome + " " + trigger
				at[name], _ = m["at_ms"].(float64)
			}
			for name, want := range tc.want {
				if got[name] != want {
					t.Errorf("module %s: %q, want %q", name, got[name], want)
				}
			}
			end, ok := stageEnd(r.Status, "device", "discovery")
			if !ok && len(tc.after) > 0 {
				t.Fatalf("status.json has no device stage: %v", r.Status["stages_ms"])
			}
			for _, name := range tc.after {
				if at[name] < end {
					t.Errorf("module %s began loading at %.1f ms, want after the device stage (ended %.1f ms)", name, at[name], end)
				}
			}
			if n := vmtest.Field(r.Status, "module_load", "packed"); n != float64(len(mods)) {
				t.Errorf("module_load.packed = %v, modules lists %d", n, len(mods))
			}
			t.Logf("total_ms %v, module_load %v, stages %v", r.Status["total_ms"], r.Status["module_load"], r.Status["stages_ms"])
		})
	}
}

// stageEnd returns when the last of the named stages ended, in ms from
// the init's start, adding up status.json's stages_ms.
func stageEnd(status map[string]any, names ...string) (end float64, ok bool) {
	stages, _ := status["stages_ms"].([]any)
	var sum float64
	for _, s := range stages {
		m, _ := s.(map[string]any)
		ms, _ := m["ms"].(float64)
		sum += ms
		if name, _ := m["stage"].(string); slices.Contains(names, name) {
			end, ok = sum, true
		}
	}
	return end, ok
}
