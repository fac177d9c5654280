//go:build vm

package vm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/verinit/verinit/internal/vmtest"
)

// chainImages is the systemd-boot chain: a factory disk (ESP with
// systemd-boot, the kernel, verinit's initramfs and the entries disk
// create printed; slots A and B holding release 1 of a Debian root,
// signed) and a control disk holding the RAUC bundles the root's agent
// installs: release 2, good, and release 3, corrupted after signing.
type chainImages struct {
	rootHash map[string]string // release 2 and 3 -> the root hash signed for it
	bundles  map[string]string // release 2 and 3 -> the bundle's directory
	factory  map[string]chainFactory
}

// chainFactory is one boot loader's factory disk, image chain-LOADER.
type chainFactory struct {
	Slots       []chainSlot `json:"slots"` // as disk create printed them
	SystemdBoot []struct {
		Path, Content string
	} `json:"systemd_boot"`
}

// chainSlot is where a slot's three partitions are.
type chainSlot struct {
	Data, Verity, Sig struct {
		OffsetBytes int64 `json:"offset_bytes"`
		SizeBytes   int64 `json:"size_bytes"`
	}
	RootHash   string `json:"root_hash"`
	SigCmdline string `json:"sig_cmdline"`
}

// Where the Debian root is cached between runs (never in the
// repository): VERINIT_CACHE, or /var/cache/verinit-test.
func chainCache() string {
	if d := os.Getenv("VERINIT_CACHE"); d != "" {
		return d
	}
	return "/var/cache/verinit-test"
}

// debianRoot returns the tar of scripts/debian-root.sh, built on the
// first run and then taken from the cache, keyed by the script's text.
func (e *env) debianRoot(arch string) (string, error) {
	script := filepath.Join(repoRoot(), "scripts", "debian-root.sh")
	text, err := os.ReadFile(script)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(text)
	tar := filepath.Join(chainCache(), "debian-root-"+hex.EncodeToString(sum[:6])+"-"+arch+".tar")
	if _, err := os.Stat(tar); err == nil {
		return tar, nil
	}
	if err := os.MkdirAll(chainCache(), 0o755); err != nil {
		return "", err
	}
	return tar, vmtest.Run(e.dir, script, tar, arch)
}

// The modules the real root loads itself: the initramfs loaded the
// storage and dm-verity ones already.
var chainModules = []string{"loop", "fat", "vfat", "nls_cp437", "nls_ascii", "nls_utf8", "efivarfs"}

// The agent the chain root runs once it is up: it prints what systemd,
// RAUC and the boot loader's state say, then takes the next step of the
// test from the control disk (install a bundle and reboot, or power
// off).
const chainAgent = `#!/bin/sh
say() { echo "VERINIT-CHAIN: $*" >/dev/console; }
loader() {
	if [ -d /efi/EFI/Linux ]; then
		echo "images: $(ls /efi/EFI/Linux | tr '\n' ' ')"
	elif [ -d /efi/loader/entries ]; then
		echo "entries: $(ls /efi/loader/entries | tr '\n' ' ')"
	elif [ -f /efi/uboot.env ]; then
		echo "ubootenv: $(fw_printenv | sort | tr '\n' ' ')"
	else
		echo "grubenv: $(grub-editenv /efi/EFI/BOOT/grubenv list | tr '\n' ' ')"
	fi
}
state=$(systemctl is-system-running --wait)
booted=$(sed -n 's/.* rauc\.slot=\([A-Z]\).*/\1/p' /proc/cmdline)
step=$(cat /control/step 2>/dev/null || echo 0)
say "step $step booted $booted release $(cat /etc/verinit-release) system $state"
say "failed units: $(systemctl --failed --plain --no-legend | tr '\n' ' ')"
say "loader $(loader)"
say "rauc status: $(rauc status --output-format=json 2>&1)"
case $step in
0) bundle=release-2.raucb ;;
1) bundle=release-3-corrupt.raucb ;;
*) say "done"; systemctl poweroff; exit 0 ;;
esac
echo $((step + 1)) >/control/step
sync
if rauc install /control/$bundle >/run/rauc-install.log 2>&1; then
	say "installed $bundle: loader $(loader)"
else
	say "install of $bundle failed: $(tr '\n' ' ' </run/rauc-install.log)"
fi
systemctl reboot
`

const chainAgentUnit = `[Unit]
Description=verinit boot chain test agent
After=multi-user.target verinit-mark-good.service systemd-bless-boot.service control.mount efi.mount

[Service]
# simple, not oneshot: the agent waits for the system to be running,
# which a oneshot unit still starting would never let happen.
Type=simple
ExecStart=/usr/libexec/verinit-chain-agent

[Install]
WantedBy=multi-user.target
`

// One root serves both chains: RAUC's system.conf is a link into /run,
// written at boot for the boot loader whose files the ESP holds.
const chainSetup = `#!/bin/sh
mkdir -p /run/verinit-chain
if [ -f /efi/uboot.env ]; then
	backend="bootloader=uboot"
elif [ -d /efi/loader ]; then
	backend="bootloader=custom
[handlers]
bootloader-custom-backend=/usr/libexec/verinit-systemd-boot"
else
	backend="bootloader=grub
grubenv=/efi/EFI/BOOT/grubenv"
fi
cat >/run/verinit-chain/system.conf <<EOF
[system]
compatible=verinit-chain
mountprefix=/run/rauc/mnt
$backend

[keyring]
path=/etc/rauc/keyring.pem
EOF
cat /etc/rauc/slots.conf >>/run/verinit-chain/system.conf
`

const chainSetupUnit = `[Unit]
Description=RAUC's system.conf for the boot loader on the ESP
DefaultDependencies=no
RequiresMountsFor=/efi
Before=rauc.service verinit-mark-good.service verinit-chain-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/verinit-chain-setup

[Install]
WantedBy=multi-user.target
`

// chainSlots is contrib/rauc/system.conf's slots with a root-verity-sig
// slot per slot.
var chainSlots = func() string {
	var b strings.Builder
	for i, s := range []string{"a", "b"} {
		fmt.Fprintf(&b, "\n[slot.rootfs.%d]\ndevice=/dev/disk/by-partlabel/root-%s\ntype=raw\nbootname=%s\n", i, s, strings.ToUpper(s))
		fmt.Fprintf(&b, "\n[slot.verity.%d]\ndevice=/dev/disk/by-partlabel/root-%s-verity\ntype=raw\nparent=rootfs.%d\n", i, s, i)
		fmt.Fprintf(&b, "\n[slot.sig.%d]\ndevice=/dev/disk/by-partlabel/root-%s-verity-sig\ntype=raw\nparent=rootfs.%d\n", i, s, i)
	}
	return b.String()
}()

const chainFstab = `PARTLABEL=esp /efi vfat umask=0077 0 0
LABEL=CONTROL /control vfat defaults 0 0
tmpfs /tmp tmpfs defaults 0 0
tmpfs /var tmpfs defaults 0 0
`

// chainTarget is what a chain is built for: the Debian architecture,
// the harness that boots it (its kernel, and where the disks go), the
// init built for it, and the boot loaders it has factory disks for.
type chainTarget struct {
	arch    string
	h       *vmtest.Harness
	init    string
	modules string // the kernel's lib/modules/REL
	console string
	loaders []string
}

// makeChainImages builds the amd64 chains' disks.
func (e *env) makeChainImages(c *chainImages) error {
	return e.buildChain(c, chainTarget{arch: "amd64", h: e.Harness, init: e.bin("init"), modules: filepath.Join("/lib/modules", e.Release),
		console: "console=ttyS0", loaders: []string{"systemd-boot", "systemd-boot-uki", "grub"}})
}

// makeChainARMImages builds the arm64 chain's disks, in the arm64
// harness: U-Boot.
func (e *env) makeChainARMImages(c *chainImages) error {
	a, err := e.armOnce["arm64"]()
	if err != nil {
		return err
	}
	return e.buildChain(c, chainTarget{arch: "arm64", h: a.Harness, init: filepath.Join(e.dir, "arm64", "init"), modules: a.ModulesDir,
		console: "console=ttyAMA0", loaders: []string{"u-boot"}})
}

// buildChain builds a chain's disks from the cached Debian root of the
// target's architecture.
func (e *env) buildChain(c *chainImages, tg chainTarget) error {
	tar, err := e.debianRoot(tg.arch)
	if err != nil {
		return err
	}
	dir := filepath.Join(e.dir, "chain-"+tg.arch)
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := vmtest.Run(dir, "tar", "-xf", tar, "-C", root, "--numeric-owner"); err != nil {
		return err
	}
	// Keys: one signs the root hashes (the initramfs trusts it), one
	// the bundles (RAUC's keyring).
	for _, k := range []string{"verity", "rauc"} {
		if err := vmtest.Run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
			"-subj", "/CN=verinit chain "+k, "-keyout", p(k+".key"), "-out", p(k+".pem")); err != nil {
			return err
		}
	}

	if err := e.chainRoot(root, tg); err != nil {
		return err
	}
	if err := vmtest.CopyFile(p("rauc.pem"), filepath.Join(root, "etc", "rauc", "keyring.pem")); err != nil {
		return err
	}

	// Releases 1 to 3, each padded to one size so that every tree and
	// slot is alike.
	const pad = 8 << 20
	var size int64
	for _, rel := range []string{"1", "2", "3"} {
		if err := os.WriteFile(filepath.Join(root, "etc", "verinit-release"), []byte(rel+"\n"), 0o644); err != nil {
			return err
		}
		img := p("release-" + rel + ".squashfs")
		if err := vmtest.Run(dir, "mksquashfs", root, img, "-noappend", "-quiet", "-comp", "zstd"); err != nil {
			return err
		}
		st, err := os.Stat(img)
		if err != nil {
			return err
		}
		size = max(size, (st.Size()+pad)/(1<<20)*(1<<20))
	}
	c.rootHash = map[string]string{}
	for _, rel := range []string{"1", "2", "3"} {
		img := p("release-" + rel + ".squashfs")
		if err := os.Truncate(img, size); err != nil {
			return err
		}
		if rel == "1" {
			continue // disk create makes its trees
		}
		out, err := e.verinitOut("verity", "format", img, p("release-"+rel+".verity"), "--sign-key", p("verity.key"), "--sign-cert", p("verity.pem"), "--json")
		if err != nil {
			return err
		}
		var f struct {
			RootHash string `json:"root_hash"`
		}
		if err := json.Unmarshal(out, &f); err != nil {
			return fmt.Errorf("verinit verity format --json: %v: %s", err, out)
		}
		c.rootHash[rel] = f.RootHash
	}
	// Release 3's data changes after signing: a byte of its first
	// block, the squashfs superblock, which the mount reads first.
	if err := flipCopy(p("release-3.squashfs"), p("release-3.squashfs"), 0); err != nil {
		return err
	}

	// The initramfs trusts the verity key and requires signatures, and
	// lets through no word for the kernel or the real init but console=
	// and the words the boot loaders add themselves: GRUB's BOOT_IMAGE=
	// and systemd-boot's initrd= for a Type #1 entry (without them the
	// init refuses each, naming it).
	initrd := p("initrd")
	if _, err := e.verinitOut("initramfs", "-o", initrd, "--init", tg.init, "--modules-dir", tg.modules,
		"--cert", p("verity.pem"), "--policy", "signature=required", "--policy", chainCmdlineKeys); err != nil {
		return err
	}
	c.factory = map[string]chainFactory{}
	for _, loader := range tg.loaders {
		f, err := e.chainFactory(dir, loader, initrd, tg, c.factory["systemd-boot"])
		if err != nil {
			return err
		}
		c.factory[loader] = f
	}

	// The bundles: verity format, one image per slot class.
	c.bundles = map[string]string{}
	control := p("control")
	if err := os.MkdirAll(control, 0o755); err != nil {
		return err
	}
	for _, b := range []struct{ rel, name string }{{"2", "release-2"}, {"3", "release-3-corrupt"}} {
		bd := p("bundle-" + b.rel)
		c.bundles[b.rel] = bd
		if err := os.MkdirAll(bd, 0o755); err != nil {
			return err
		}
		manifest := "[update]\ncompatible=verinit-chain\nversion=" + b.rel + "\n\n[bundle]\nformat=verity\n\n" +
			"[image.rootfs]\nfilename=root.img\n\n[image.verity]\nfilename=verity.img\n\n[image.sig]\nfilename=sig.img\n"
		if err := os.WriteFile(filepath.Join(bd, "manifest.raucm"), []byte(manifest), 0o644); err != nil {
			return err
		}
		if err := os.Rename(p("release-"+b.rel+".squashfs"), filepath.Join(bd, "root.img")); err != nil {
			return err
		}
		if err := os.Rename(p("release-"+b.rel+".verity"), filepath.Join(bd, "verity.img")); err != nil {
			return err
		}
		sig, err := os.ReadFile(p("release-" + b.rel + ".verity.verity-sig.json"))
		if err != nil {
			return err
		}
		padded := make([]byte, 1<<20) // the whole partition: no old byte stays behind
		copy(padded, sig)
		if err := os.WriteFile(filepath.Join(bd, "sig.img"), padded, 0o644); err != nil {
			return err
		}
		if err := vmtest.Run(dir, "rauc", "bundle", "--cert", p("rauc.pem"), "--key", p("rauc.key"), bd, filepath.Join(control, b.name+".raucb")); err != nil {
			return err
		}
	}
	if err := vmtest.Run(dir, "mkfs.fat", "-F", "32", "-n", "CONTROL", "-C", p("control.img"), fmt.Sprint(2*size>>10+(64<<10))); err != nil {
		return err
	}
	if err := vmtest.Run(dir, "mcopy", "-s", "-i", p("control.img"), filepath.Join(control, "release-2.raucb"), filepath.Join(control, "release-3-corrupt.raucb"), "::/"); err != nil {
		return err
	}
	tg.h.AddImage("chain-control", p("control.img"), false)
	return os.RemoveAll(root)
}

// chainFactory makes the factory disk chain-LOADER: release 1 in both
// slots, signed, and an ESP with the boot loader (systemd-boot, or a
// standalone GRUB), the kernel, the initramfs and the configuration
// disk create prints for the loader.
//
// systemd-boot-uki has no Type #1 entries but a unified kernel image per
// slot, EFI/Linux/verinit-G-S.efi, made with objcopy from systemd's EFI
// stub (Debian 12 has no ukify), the kernel, the initramfs and the
// command line of sdboot's entries; and sdboot's loader.conf.
func (e *env) chainFactory(dir, loader, initrd string, tg chainTarget, sdboot chainFactory) (chainFactory, error) {
	var f chainFactory
	p := func(n string) string { return filepath.Join(dir, n) }
	esp := p("esp-" + loader)
	boot := filepath.Join(esp, "EFI", "BOOT")
	if err := os.MkdirAll(boot, 0o755); err != nil {
		return f, err
	}
	switch loader {
	case "systemd-boot":
		if err := vmtest.CopyFile("/usr/lib/systemd/boot/efi/systemd-bootx64.efi", filepath.Join(boot, "BOOTX64.EFI")); err != nil {
			return f, err
		}
	case "systemd-boot-uki":
		if err := vmtest.CopyFile("/usr/lib/systemd/boot/efi/systemd-bootx64.efi", filepath.Join(boot, "BOOTX64.EFI")); err != nil {
			return f, err
		}
		for _, sf := range sdboot.SystemdBoot {
			if sf.Path != "loader/loader.conf" {
				continue
			}
			if err := os.MkdirAll(filepath.Join(esp, "loader"), 0o755); err != nil {
				return f, err
			}
			if err := os.WriteFile(filepath.Join(esp, sf.Path), []byte(sf.Content), 0o644); err != nil {
				return f, err
			}
		}
		if err := os.MkdirAll(filepath.Join(esp, "EFI", "Linux"), 0o755); err != nil {
			return f, err
		}
		osrel := p("uki-os-release")
		if err := os.WriteFile(osrel, []byte("ID=verinit\nNAME=verinit\nPRETTY_NAME=verinit slot\n"), 0o644); err != nil {
			return f, err
		}
		for i, s := range sdboot.Slots {
			cmdline := p(fmt.Sprintf("uki-cmdline-%d", i))
			if err := os.WriteFile(cmdline, []byte(tg.console+" verinit.failure_delay=0 "+s.SigCmdline), 0o644); err != nil {
				return f, err
			}
			uki := filepath.Join(esp, "EFI", "Linux", fmt.Sprintf("verinit-%d-%c.efi", len(sdboot.Slots)-i, 'a'+i))
			if err := vmtest.Run(dir, "objcopy",
				"--add-section", ".osrel="+osrel, "--change-section-vma", ".osrel=0x20000",
				"--add-section", ".cmdline="+cmdline, "--change-section-vma", ".cmdline=0x30000",
				"--add-section", ".linux="+tg.h.Kernel, "--change-section-vma", ".linux=0x2000000",
				"--add-section", ".initrd="+initrd, "--change-section-vma", ".initrd=0x3000000",
				"/usr/lib/systemd/boot/efi/linuxx64.efi.stub", uki); err != nil {
				return f, err
			}
		}
	case "grub":
		stub := p("grub-stub.cfg")
		if err := os.WriteFile(stub, []byte(grubStub), 0o644); err != nil {
			return f, err
		}
		if err := vmtest.Run(dir, "grub-mkstandalone", "-O", "x86_64-efi", "-o", filepath.Join(boot, "BOOTX64.EFI"),
			"--modules=part_gpt fat search configfile loadenv linux test echo", "boot/grub/grub.cfg="+stub); err != nil {
			return f, err
		}
	}
	args := []string{"--print", loader, "--options", tg.console + " verinit.failure_delay=0"}
	if loader == "systemd-boot-uki" {
		args = nil // the images hold the kernel, the initramfs and the command line
	} else {
		if err := vmtest.CopyFile(tg.h.Kernel, filepath.Join(esp, "linux")); err != nil {
			return f, err
		}
		if err := vmtest.CopyFile(initrd, filepath.Join(esp, "initrd")); err != nil {
			return f, err
		}
	}
	disk := p("factory-" + loader + ".img")
	out, err := e.verinitOut(append([]string{"disk", "create", disk, "--rootfs", p("release-1.squashfs"), "--arch", map[string]string{"amd64": "x86-64", "arm64": "arm64"}[tg.arch],
		"--sign-key", p("verity.key"), "--sign-cert", p("verity.pem"), "--esp", esp, "--json"}, args...)...)
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(out, &f); err != nil || len(f.Slots) != 2 {
		return f, fmt.Errorf("verinit disk create --json: %v: %s", err, out)
	}
	tg.h.AddImage("chain-"+loader, disk, false)
	return f, nil
}

// chainCmdlineKeys is the chain initramfs's cmdline-keys=.
const chainCmdlineKeys = `cmdline-keys=console BOOT_IMAGE=/linux initrd=\initrd`

// grubStub is what --print grub says to build into a standalone GRUB.
const grubStub = "search --no-floppy --set=root --file /EFI/BOOT/grubenv\nconfigfile /EFI/BOOT/grub.cfg\n"

// chainRoot makes the Debian root a slot of the chain: modules, RAUC's
// configuration with the systemd-boot backend, contrib's services, the
// agent.
func (e *env) chainRoot(root string, tg chainTarget) error {
	rp := func(n string) string { return filepath.Join(root, n) }
	modDir, release := tg.modules, filepath.Base(tg.modules)
	for _, m := range chainModules {
		found, err := filepath.Glob(filepath.Join(modDir, "kernel", "*", "*", m+".ko*"))
		if err != nil {
			return err
		}
		more, _ := filepath.Glob(filepath.Join(modDir, "kernel", "*", "*", "*", m+".ko*"))
		found = append(found, more...)
		if len(found) != 1 {
			return fmt.Errorf("module %s: found %v in %s", m, found, modDir)
		}
		rel, _ := filepath.Rel(modDir, found[0])
		if err := os.MkdirAll(filepath.Dir(filepath.Join(rp("lib/modules"), release, rel)), 0o755); err != nil {
			return err
		}
		if err := vmtest.CopyFile(found[0], filepath.Join(rp("lib/modules"), release, rel)); err != nil {
			return err
		}
	}
	for _, f := range []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if err := vmtest.CopyFile(filepath.Join(modDir, f), filepath.Join(rp("lib/modules"), release, f)); err != nil {
			return err
		}
	}
	if err := vmtest.Run(root, "depmod", "-b", root, release); err != nil {
		return err
	}
	contrib := filepath.Join(repoRoot(), "contrib")
	files := map[string]string{
		"etc/modules-load.d/verinit-chain.conf":          "loop\nvfat\n",
		"etc/rauc/slots.conf":                            chainSlots,
		"usr/libexec/verinit-chain-setup":                chainSetup,
		"etc/systemd/system/verinit-chain-setup.service": chainSetupUnit,
		"etc/fstab":                       chainFstab,
		"etc/hostname":                    "verinit-chain\n",
		"etc/fw_env.config":               "/efi/uboot.env 0x0 0x4000\n",
		"usr/libexec/verinit-chain-agent": chainAgent,
		"etc/systemd/system/verinit-chain-agent.service": chainAgentUnit,
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(rp(name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(rp(name), []byte(text), 0o755); err != nil {
			return err
		}
	}
	copies := map[string]string{
		"rauc/verinit-systemd-boot":        "usr/libexec/verinit-systemd-boot",
		"rauc/verinit-mark-good":           "usr/libexec/verinit-mark-good",
		"rauc/verinit-mark-good.service":   "etc/systemd/system/verinit-mark-good.service",
		"systemd/verinit-verified.service": "etc/systemd/system/verinit-verified.service",
	}
	for from, to := range copies {
		if err := vmtest.CopyFile(filepath.Join(contrib, from), rp(to)); err != nil {
			return err
		}
		if strings.HasPrefix(to, "usr/libexec") {
			if err := os.Chmod(rp(to), 0o755); err != nil {
				return err
			}
		}
	}
	links := map[string]string{
		"etc/systemd/system/multi-user.target.wants/verinit-mark-good.service":   "../verinit-mark-good.service",
		"etc/systemd/system/multi-user.target.wants/verinit-chain-agent.service": "../verinit-chain-agent.service",
		"etc/systemd/system/multi-user.target.wants/verinit-chain-setup.service": "../verinit-chain-setup.service",
		"etc/rauc/system.conf": "/run/verinit-chain/system.conf",
		// No login prompt on the console the agent prints on.
		"etc/systemd/system/serial-getty@ttyS0.service":                             "/dev/null",
		"etc/systemd/system/serial-getty@ttyAMA0.service":                           "/dev/null",
		"etc/systemd/system/boot-complete.target.requires/verinit-verified.service": "../verinit-verified.service",
	}
	for name, target := range links {
		if err := os.MkdirAll(filepath.Dir(rp(name)), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, rp(name)); err != nil {
			return err
		}
	}
	for _, d := range []string{"efi", "control"} {
		if err := os.MkdirAll(rp(d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// verinitOut runs this run's verinit and returns its standard output.
func (e *env) verinitOut(args ...string) ([]byte, error) {
	cmd := exec.Command(e.bin("verinit"), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("verinit %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}
