//go:build vm

package vm

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"github.com/verinit/verinit/internal/testkernel"
	"github.com/verinit/verinit/internal/vmtest"
)

// armImages is what the ARM cases of one architecture boot: Debian's
// kernel for it under its QEMU board (its own Harness, holding its
// disks), the init cross-built, and disks made as a user would, with
// verinit disk create from a root of that architecture's busybox.
type armImages struct {
	*vmtest.Harness
	initrd       string // the default module set, no policy
	initrdSigned string // also the arm key's certificate and signature=required
	slots        []armSlot
	// The LVM disk "lvm": VG vgarm with LV root (slot A's squashfs) and
	// root-hash (its tree, made again on the LV's data).
	lvmRootHash, lvmSig string
	// The U-Boot disks (arm64): "uboot" as disk create made it with
	// --print u-boot, "uboot-a-corrupt" with slot A's first data block
	// changed after signing; espOffset is where the ESP starts.
	espOffset int64
	// "uboot-fit" boots a FIT made from contrib/u-boot/verinit.its and
	// signed by a key that fitDTB, U-Boot's device tree, requires;
	// "uboot-fit-changed" has one byte of the FIT's kernel changed.
	fitDTB string
}

// armSlot is one slot of the "ab" disk, as verinit disk create printed it.
type armSlot struct {
	RootHash string
	Cmdline  string
	Data     string // PARTUUID
	Hash     string
	sig      string // base64 DER signature of RootHash by the arm key
}

// goarch is the Go architecture (and GOARM) of a Debian architecture.
func goarch(debArch string) []string {
	if debArch == "armhf" {
		return []string{"GOARCH=arm", "GOARM=7"}
	}
	return []string{"GOARCH=" + debArch}
}

// makeARMImages builds the images of one architecture (see armImages).
func (e *env) makeARMImages(debArch string) (*armImages, error) {
	dir := filepath.Join(e.dir, debArch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h, err := vmtest.NewForeign(dir, testkernel.Cache(), debArch)
	if err != nil {
		return nil, err
	}
	a := &armImages{Harness: h}
	p := func(name string) string { return filepath.Join(dir, name) }
	root := repoRoot()
	initBin := p("init")
	if err := vmtest.RunEnv(root, append([]string{"CGO_ENABLED=0"}, goarch(debArch)...), "go", "build", "-trimpath", "-ldflags=-s -w", "-o", initBin, "./cmd/init"); err != nil {
		return nil, err
	}
	// A key of its own, so that nothing here waits for the x86 families.
	if err := vmtest.Run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
		"-subj", "/CN=verinit test arm", "-keyout", p("arm.key"), "-out", p("arm.pem")); err != nil {
		return nil, err
	}
	sign := func(hash string) (string, error) {
		der, err := exec.Command(e.bin("verinit"), "sign", "--key", p("arm.key"), "--cert", p("arm.pem"), hash).Output()
		if err != nil {
			return "", fmt.Errorf("verinit sign: %v", err)
		}
		return base64.StdEncoding.EncodeToString(der), nil
	}
	// The initramfs images: the architecture's default module set from
	// the unpacked kernel package, which has no modules.dep.
	a.initrd, a.initrdSigned = p("initrd.img"), p("initrd-signed.img")
	pack := []string{"initramfs", "--init", initBin, "--modules-dir", h.ModulesDir}
	if err := vmtest.Run(dir, e.bin("verinit"), append(pack, "-o", a.initrd)...); err != nil {
		return nil, err
	}
	if err := vmtest.Run(dir, e.bin("verinit"), append(pack, "-o", a.initrdSigned, "--cert", p("arm.pem"), "--policy", "signature=required")...); err != nil {
		return nil, err
	}
	// The A/B disk, its architecture read from the root's busybox.
	rootfs := p("rootfs")
	if err := vmtest.MakeRootDirWith(rootfs, h.Busybox, true); err != nil {
		return nil, err
	}
	out, err := exec.Command(e.bin("verinit"), "disk", "create", p("ab.img"), "--rootfs", rootfs, "--json").Output()
	if err != nil {
		return nil, fmt.Errorf("verinit disk create: %v", err)
	}
	var created struct {
		Arch  string
		Slots []struct {
			RootHash string `json:"root_hash"`
			Cmdline  string
			Data     struct{ UUID string } `json:"data"`
			Hash     struct{ UUID string } `json:"verity"`
		}
	}
	if err := json.Unmarshal(out, &created); err != nil {
		return nil, fmt.Errorf("verinit disk create --json: %v\n%s", err, out)
	}
	if want := map[string]string{"arm64": "arm64", "armhf": "arm"}[debArch]; created.Arch != want || len(created.Slots) != 2 {
		return nil, fmt.Errorf("verinit disk create made %d slots for %q, want 2 for %s:\n%s", len(created.Slots), created.Arch, want, out)
	}
	for _, s := range created.Slots {
		sig, err := sign(s.RootHash)
		if err != nil {
			return nil, err
		}
		a.slots = append(a.slots, armSlot{RootHash: s.RootHash, Cmdline: s.Cmdline, Data: s.Data.UUID, Hash: s.Hash.UUID, sig: sig})
	}
	h.AddImage("ab", p("ab.img"), false)
	if debArch != "arm64" {
		return a, nil
	}
	if err := e.makeUBootImages(a, dir, rootfs); err != nil {
		return nil, err
	}
	// The LVM disk: slot A's file system and a tree made for it, on LVs.
	squash := p("rootfs.squashfs")
	if err := vmtest.Run(dir, "mksquashfs", rootfs, squash, "-noappend", "-all-root", "-quiet"); err != nil {
		return nil, err
	}
	out, err = exec.Command(e.bin("verinit"), "verity", "format", squash, p("rootfs.verity")).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("verinit verity format: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("no root hash in %s", out)
	}
	a.lvmRootHash = string(m[1])
	if a.lvmSig, err = sign(a.lvmRootHash); err != nil {
		return nil, err
	}
	disk := p("lvm.img")
	if err := newImage(disk, 32<<20); err != nil {
		return nil, err
	}
	err = withLoops([]string{disk}, func(l []string) error {
		for _, c := range [][]string{{"pvcreate", l[0]}, {"vgcreate", "vgarm", l[0]},
			{"lvcreate", "-an", "-Zn", "-n", "root", "-L", "8M", "vgarm"},
			{"lvcreate", "-an", "-Zn", "-n", "root-hash", "-L", "4M", "vgarm"}} {
			if err := lvmCmd(c...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for lv, data := range map[string]string{"root": squash, "root-hash": p("rootfs.verity")} {
		if err := fillLV([]string{disk}, "vgarm", lv, data); err != nil {
			return nil, err
		}
	}
	h.AddImage("lvm", disk, false)
	return a, nil
}

// makeUBootImages makes the U-Boot disks of armImages: the slots signed
// by the arm key, an ESP with the kernel, the signed initramfs and what
// `verinit disk create --print u-boot` writes (boot.cmd, boot.scr,
// uboot.env).
func (e *env) makeUBootImages(a *armImages, dir, rootfs string) error {
	p := func(name string) string { return filepath.Join(dir, name) }
	esp := p("esp-uboot")
	if err := os.MkdirAll(esp, 0o755); err != nil {
		return err
	}
	if err := vmtest.CopyFile(a.Kernel, filepath.Join(esp, "linux")); err != nil {
		return err
	}
	if err := vmtest.CopyFile(a.initrdSigned, filepath.Join(esp, "initrd")); err != nil {
		return err
	}
	out, err := e.verinitOut("disk", "create", p("uboot.img"), "--rootfs", rootfs, "--sign-key", p("arm.key"), "--sign-cert", p("arm.pem"),
		"--esp", esp, "--esp-size", "64M", "--print", "u-boot", "--options", "console=ttyAMA0 verinit.failure_delay=0", "--json")
	if err != nil {
		return err
	}
	slots, espOffset, err := diskOffsets(out)
	if err != nil {
		return err
	}
	a.espOffset = espOffset
	a.AddImage("uboot", p("uboot.img"), false)
	if err := flipCopy(p("uboot.img"), p("uboot-a-corrupt.img"), slots[0]); err != nil {
		return err
	}
	a.AddImage("uboot-a-corrupt", p("uboot-a-corrupt.img"), false)
	return e.makeFITImages(a, dir, rootfs)
}

// makeFITImages makes the signed FIT disks of armImages: the FIT as
// contrib/u-boot/verinit.its says, with QEMU's device tree for the
// kernel and, with the key added, for U-Boot.
func (e *env) makeFITImages(a *armImages, dir, rootfs string) error {
	p := func(name string) string { return filepath.Join(dir, name) }
	fit, esp := p("fit"), p("esp-fit")
	for _, d := range []string{filepath.Join(fit, "keys"), esp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := a.DeviceTree(vmtest.UBootARM64, filepath.Join(fit, "board.dtb")); err != nil {
		return err
	}
	for src, dst := range map[string]string{
		a.Kernel:                        "Image",
		a.initrdSigned:                  "initramfs",
		filepath.Join(fit, "board.dtb"): "u-boot.dtb",
		filepath.Join(repoRoot(), "contrib", "u-boot", "verinit.its"): "verinit.its",
	} {
		if err := vmtest.CopyFile(src, filepath.Join(fit, dst)); err != nil {
			return err
		}
	}
	if err := vmtest.Run(fit, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
		"-subj", "/CN=verinit test FIT", "-keyout", "keys/verinit.key", "-out", "keys/verinit.crt"); err != nil {
		return err
	}
	if err := vmtest.Run(fit, "mkimage", "-f", "verinit.its", "-k", "keys", "-K", "u-boot.dtb", "-r", filepath.Join(esp, "verinit.itb")); err != nil {
		return err
	}
	a.fitDTB = filepath.Join(fit, "u-boot.dtb")
	out, err := e.verinitOut("disk", "create", p("uboot-fit.img"), "--rootfs", rootfs, "--sign-key", p("arm.key"), "--sign-cert", p("arm.pem"),
		"--esp", esp, "--esp-size", "64M", "--print", "u-boot", "--fit", "/verinit.itb", "--options", "console=ttyAMA0 verinit.failure_delay=0", "--json")
	if err != nil {
		return err
	}
	_, espOffset, err := diskOffsets(out)
	if err != nil {
		return err
	}
	a.AddImage("uboot-fit", p("uboot-fit.img"), false)
	// The kernel's data fills the FIT from its first kilobytes to
	// past 30 MiB: a byte at 16 MiB is the kernel's.
	if err := flipCopy(filepath.Join(esp, "verinit.itb"), p("changed.itb"), 16<<20); err != nil {
		return err
	}
	if err := vmtest.CopyFile(p("uboot-fit.img"), p("uboot-fit-changed.img")); err != nil {
		return err
	}
	if err := vmtest.Run(dir, "mcopy", "-o", "-i", fmt.Sprintf("%s@@%d", p("uboot-fit-changed.img"), espOffset), p("changed.itb"), "::/verinit.itb"); err != nil {
		return err
	}
	a.AddImage("uboot-fit-changed", p("uboot-fit-changed.img"), false)
	return nil
}

// diskOffsets reads from verinit disk create --json where each slot's
// data partition and the ESP start, in bytes.
func diskOffsets(out []byte) (slots []int64, esp int64, err error) {
	var disk struct {
		Slots []struct {
			Data struct {
				OffsetBytes int64 `json:"offset_bytes"`
			} `json:"data"`
		} `json:"slots"`
		ESP struct {
			OffsetBytes int64 `json:"offset_bytes"`
		} `json:"esp"`
	}
	if err := json.Unmarshal(out, &disk); err != nil || len(disk.Slots) == 0 || disk.ESP.OffsetBytes == 0 {
		return nil, 0, fmt.Errorf("verinit disk create --json: %v: %s", err, out)
	}
	for _, s := range disk.Slots {
		slots = append(slots, s.Data.OffsetBytes)
	}
	return slots, disk.ESP.OffsetBytes, nil
}
