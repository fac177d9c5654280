package modules

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// kernelModulesDir returns the modules directory of the running kernel, or
// else of the newest release under /lib/modules. It fails the test if there is
// none, unless VERINIT_NO_KERNEL=1.
func kernelModulesDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("VERINIT_NO_KERNEL") == "1" {
		t.Skip("VERINIT_NO_KERNEL=1: not testing against /lib/modules")
	}
	running := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		running = strings.TrimSpace(string(b))
	}
	rel, err := FindRelease(os.DirFS("/lib/modules"), running)
	if err != nil {
		t.Fatalf("no kernel modules tree under /lib/modules (running kernel %q): %v; "+
			"install a kernel's modules, or set VERINIT_NO_KERNEL=1 to skip the tests that need one", running, err)
	}
	return filepath.Join("/lib/modules", rel)
}

// TestRealKernel resolves the default module set against the installed
// kernel's modules directory.
func TestRealKernel(t *testing.T) {
	dir := kernelModulesDir(t)
	db, err := LoadDB(os.DirFS(dir))
	if err != nil {
		t.Fatalf("LoadDB(%s): %v", dir, err)
	}
	h, _, err := Machine(os.DirFS(dir), readPlain(dir))
	if err != nil {
		t.Fatalf("Machine(%s): %v", dir, err)
	}
	arch := h.Arch()
	plan, err := Resolve(db, DefaultModules(arch))
	if err != nil {
		t.Fatalf("Resolve(default set) in %s: %v", dir, err)
	}
	t.Logf("%s: %d modules, built in %q, missing %q", dir, len(plan.Modules), plan.Builtin, plan.Missing)
	for _, m := range plan.Modules {
		t.Logf("  %s %s %q", m.Name, m.Path, m.Deps)
	}
	if len(plan.Missing) > 0 {
		t.Errorf("default modules missing from %s: %q", dir, plan.Missing)
	}
	checkPlanOrder(t, plan)

	pos := make(map[string]int)
	for i, m := range plan.Modules {
		pos[m.Name] = i
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m.Path))); err != nil {
			t.Errorf("module %s: %v", m.Name, err)
		}
	}
	for _, name := range DefaultModules(arch) {
		if strings.HasPrefix(name, "crypto-") {
			continue // an alias: checked below by what it resolves to
		}
		_, isMod := pos[name]
		if !isMod && !slices.Contains(plan.Builtin, name) {
			t.Errorf("default module %s is neither planned nor built in", name)
		}
	}
	// crypto-sha512 is modular in Debian's kernel (sha1 and sha256 are
	// built in): dm-verity trees made with --hash=sha512 need it.
	if _, ok := pos["sha512_generic"]; !ok && strings.Contains(dir, "-amd64") {
		t.Errorf("crypto-sha512 did not bring sha512_generic")
	}
	// sha1 and sha256 are built in there too (modules.builtin.modinfo
	// declares crypto-sha1 and crypto-sha256): the kernel never asks for
	// them, so their accelerated modules are not packed.
	if strings.Contains(dir, "-amd64") {
		for _, m := range []string{"sha1_ssse3", "sha256_ssse3"} {
			if _, ok := pos[m]; ok {
				t.Errorf("%s is packed although its algorithm is built in", m)
			}
		}
		for _, b := range []string{"sha1_generic", "sha256_generic"} {
			if !slices.Contains(plan.Builtin, b) {
				t.Errorf("built in %q does not name %s", plan.Builtin, b)
			}
		}
	}
	// Each pair: the first must load after the second when both are modules.
	for _, p := range [][2]string{
		{"dm_verity", "dm_mod"}, {"dm_verity", "dm_bufio"},
		{"virtio_blk", "virtio"}, {"virtio_blk", "virtio_ring"},
		{"virtio_scsi", "scsi_mod"}, {"sd_mod", "scsi_mod"},
		{"uas", "usb_storage"}, {"ext4", "jbd2"}, {"nvme", "nvme_core"},
	} {
		i, ok1 := pos[p[0]]
		j, ok2 := pos[p[1]]
		if ok1 && ok2 && i < j {
			t.Errorf("%s (position %d) is loaded before %s (position %d)", p[0], i, p[1], j)
		}
		if ok1 && !ok2 && !slices.Contains(plan.Builtin, p[1]) && db.hasModule(p[1]) {
			t.Errorf("%s is planned but its dependency %s is not", p[0], p[1])
		}
	}

	// The plan must make a load list the init accepts.
	release := filepath.Base(dir)
	l, err := LoadList(db, plan, DefaultSet(arch), func(m Module) string {
		ko, _, _ := SplitModulePath(m.Path)
		return path.Join("/lib/modules", release, ko)
	})
	if err != nil {
		t.Fatalf("LoadList: %v", err)
	}
	var buf bytes.Buffer
	if err := loadlist.Write(&buf, l); err != nil {
		t.Fatalf("loadlist.Write: %v", err)
	}
	t.Logf("load list: %d modules, %d aliases, %d bytes", len(l.Modules), len(l.Aliases), buf.Len())
	back, err := loadlist.Parse(&buf)
	if err != nil {
		t.Fatalf("loadlist.Parse: %v", err)
	}
	checkRealLoadList(t, back)
}

// checkRealLoadList checks the classes and aliases of the default load list
// of Debian's kernel against its real modules.alias lines.
func checkRealLoadList(t *testing.T, l loadlist.List) {
	t.Helper()
	class := map[string]loadlist.Class{}
	for _, e := range l.Modules {
		class[e.Name] = e.Class
	}
	for name, want := range map[string]loadlist.Class{
		"virtio_pci": loadlist.Storage, "virtio_blk": loadlist.Storage, "ahci": loadlist.Storage, "nvme": loadlist.Storage,
		"sd_mod": loadlist.Storage, "usb_storage": loadlist.Storage, "mmc_block": loadlist.Storage,
		"virtio": loadlist.Dep, "scsi_mod": loadlist.Dep, "libata": loadlist.Dep, "dm_bufio": loadlist.Dep,
		"dm_mod": loadlist.DM, "dm_verity": loadlist.DM, "sha512_generic": loadlist.DM,
		"ext4": loadlist.FS, "squashfs": loadlist.FS, "erofs": loadlist.FS, "jbd2": loadlist.Dep,
	} {
		if got, ok := class[name]; ok && got != want {
			t.Errorf("%s: class %s, want %s", name, got, want)
		}
	}
	tab := modalias.NewTable(l.Aliases)
	for name, want := range map[string]string{
		// From a QEMU machine's sysfs and uevents.
		"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00": "virtio_pci",
		"virtio:d00000002v00001AF4":                             "virtio_blk",
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01": "ahci",
		"pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02": "nvme",
		"scsi:t-0x00":            "sd_mod",
		"mmc:block":              "mmc_block",
		"crypto-sha256":          "sha256_ssse3",
		"fs-ext4":                "ext4",
		"fs-squashfs":            "squashfs",
		"devname:mapper/control": "dm_mod",
	} {
		if _, packed := class[want]; packed && !slices.Contains(tab.Lookup(name), want) {
			t.Errorf("Lookup(%q) = %q, want %s among them", name, tab.Lookup(name), want)
		}
	}
	// Dependencies keep no aliases: crc32c_intel's CPU aliases must not
	// load it on every x86 machine.
	if got := tab.Lookup("cpu:type:x86,ven0000fam0006mod003F:feature:,0094"); len(got) > 0 {
		for _, m := range got {
			if class[m] == loadlist.Dep || class[m] == loadlist.Storage {
				t.Errorf("a CPU modalias matches %s (%s)", m, class[m])
			}
		}
	}
}

func (db *DB) hasModule(name string) bool {
	return slices.ContainsFunc(db.Deps, func(e DepEntry) bool { return e.Name == name })
}

// TestDefaultSetDebian: on Debian's arm64 and armhf kernels, which have no
// modules.dep, the default set of the modules' architecture resolves with
// every module present or built in, and the load list loads the storage
// drivers of common boards by their device-tree (of:), platform and AMBA
// modaliases.
func TestDefaultSetDebian(t *testing.T) {
	for _, tc := range []struct {
		debArch string
		arch    dps.Arch
		// device modaliases, as sysfs and uevents give them, and the
		// module each must start
		devices map[string]string
	}{
		{"arm64", dps.ArchARM64, map[string]string{
			"of:Nvirtio_mmioT(null)Cvirtio,mmio":                             "virtio_mmio",
			"virtio:d00000002v00001AF4":                                      "virtio_blk",
			"of:NmmcT(null)Cbrcm,bcm2711-emmc2":                              "sdhci_iproc",
			"of:NmmcT(null)Cbrcm,bcm2835-sdhost":                             "bcm2835",
			"of:NmmcT(null)Crockchip,rk3399-sdhci-5.1Carasan,sdhci-5.1":      "sdhci_of_arasan",
			"of:NmmcT(null)Crockchip,rk3588-dwcmshc":                         "sdhci_of_dwcmshc",
			"of:NmmcT(null)Crockchip,rk3399-dw-mshcCrockchip,rk3288-dw-mshc": "dw_mmc_rockchip",
			"of:NmmcT(null)Camlogic,meson-axg-mmc":                           "meson_gx_mmc",
			"of:NmmcT(null)Callwinner,sun50i-a64-mmc":                        "sunxi_mmc",
			"of:NmmcT(null)Cfsl,imx8mm-usdhcCfsl,imx7d-usdhc":                "sdhci_esdhc_imx",
			"of:NmmcT(null)Cnvidia,tegra210-sdhci":                           "sdhci_tegra",
			"of:NmmcT(null)Cti,am62-sdhci":                                   "sdhci_am654",
			"of:NmmcT(null)Cmarvell,armada-3700-sdhci":                       "sdhci_xenon_driver",
			"of:NusbT(null)Csnps,dwc3":                                       "dwc3",
			"platform:xhci-hcd":                                              "xhci_plat_hcd",
			"of:NusbT(null)Cgeneric-ehci":                                    "ehci_platform",
			"of:NusbT(null)Cbrcm,bcm2835-usb":                                "dwc2",
			"pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02":          "nvme",
		}},
		{"armhf", dps.ArchARM, map[string]string{
			"of:Nvirtio_mmioT(null)Cvirtio,mmio":                "virtio_mmio",
			"of:NmmcT(null)Cti,am335-sdhci":                     "sdhci_omap",
			"of:NmmcT(null)Cti,omap4-hsmmc":                     "omap_hsmmc",
			"of:NmmcT(null)Cfsl,imx6q-usdhc":                    "sdhci_esdhc_imx",
			"of:NmmcT(null)Callwinner,sun7i-a20-mmc":            "sunxi_mmc",
			"of:NmmcT(null)Crockchip,rk3288-dw-mshc":            "dw_mmc_rockchip",
			"of:NmmcT(null)Csamsung,exynos5420-dw-mshc-smu":     "dw_mmc_exynos",
			"of:NmmcT(null)Cmarvell,armada-380-sdhci":           "sdhci_pxav3",
			"amba:d00041181":                                    "armmmci",
			"of:NusbT(null)Cfsl,imx6q-usb":                      "ci_hdrc_imx",
			"of:NusbT(null)Cti,musb-am33xx":                     "musb_dsps",
			"of:NusbT(null)Cbrcm,bcm2835-usb":                   "dwc2",
			"platform:ehci-platform":                            "ehci_platform",
			"usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00": "usb_storage",
			"scsi:t-0x00": "sd_mod",
			"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00": "virtio_pci",
		}},
	} {
		t.Run(tc.debArch, func(t *testing.T) {
			rt := scannedTree(t, tc.debArch)
			h, p, err := Machine(os.DirFS(rt.dir), readPlain(rt.dir))
			if err != nil || h.Arch() != tc.arch {
				t.Fatalf("Machine = %v (%s), %v; want %s", h, p, err, tc.arch)
			}
			names := DefaultModules(tc.arch)
			plan, err := Resolve(rt.db, names)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d modules packed, built in %q", rt.dir, len(plan.Modules), plan.Builtin)
			if len(plan.Missing) > 0 {
				t.Errorf("default modules missing: %q", plan.Missing)
			}
			checkPlanOrder(t, plan)
			planned := make(map[string]bool)
			for _, m := range plan.Modules {
				planned[m.Name] = true
			}
			for _, n := range names {
				if !strings.HasPrefix(n, "crypto-") && !planned[n] && !slices.Contains(plan.Builtin, n) {
					t.Errorf("default module %s is neither planned nor built in", n)
				}
			}
			if !planned["sha512_generic"] {
				t.Errorf("crypto-sha512 did not bring sha512_generic")
			}
			l, err := LoadList(rt.db, plan, DefaultSet(tc.arch), func(m Module) string { return "/lib/modules/r/" + m.Path })
			if err != nil {
				t.Fatalf("LoadList: %v", err)
			}
			class := make(map[string]loadlist.Class)
			for _, e := range l.Modules {
				class[e.Name] = e.Class
			}
			tab := modalias.NewTable(l.Aliases)
			for dev, want := range tc.devices {
				if got := tab.Lookup(dev); !slices.Contains(got, want) || class[want] != loadlist.Storage {
					t.Errorf("device %s: aliases match %q, want %s (class %s)", dev, got, want, class[want])
				}
			}
		})
	}
}
