//go:build vm

package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/verinit/verinit/internal/vmtest"
)

// DPS partition types (x86-64).
const (
	typeRootX86      = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
	typeRootVerityX8 = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"
)

// abSlot is one slot of the A/B disk.
type abSlot struct {
	rootHash         string
	dataUUID, vUUID  string
	dataDev, hashDev string // as the VM names them, e.g. /dev/vda1
}

// abImages describes the A/B disks (see makeABImages).
type abImages struct {
	a, b abSlot
}

// pairUUIDs splits a sha256 root hash into the Discoverable Partitions
// UUIDs of its data and verity partitions.
func pairUUIDs(h string) (data, verity string) {
	f := func(x string) string {
		return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	}
	return f(h[:32]), f(h[32:64])
}

// makeABImages builds the A/B disk as a DPS image: per slot a root
// partition and a root-verity partition paired by UUID, the trees made by
// verinit verity format. Variants: "ab-noauto" marks root-b no-auto,
// "ab-badprimary" has a damaged primary GPT header (the backup is good).
func (e *env) makeABImages(ab *abImages) error {
	img := func(name string) string { return filepath.Join(e.dir, name) }
	slots := map[string]*abSlot{"a": &ab.a, "b": &ab.b}
	for _, s := range []string{"a", "b"} {
		// Distinct contents per slot so that the root hashes differ.
		dir := img("rootfs-" + s)
		if err := vmtest.MakeRootDir(dir, true); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "etc/slot"), []byte(strings.ToUpper(s)+"\n"), 0o644); err != nil {
			return err
		}
		if err := vmtest.Run(e.dir, "mksquashfs", dir, img("ab-"+s+".squashfs"), "-noappend", "-all-root", "-quiet"); err != nil {
			return err
		}
		out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), "verity", "format", img("ab-"+s+".squashfs"), img("ab-"+s+".verity")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("verinit verity format: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
		if m == nil {
			return fmt.Errorf("no root hash in %s", out)
		}
		sl := slots[s]
		sl.rootHash = string(m[1])
		sl.dataUUID, sl.vUUID = pairUUIDs(sl.rootHash)
	}
	ab.a.dataDev, ab.a.hashDev = "/dev/vda1", "/dev/vda2"
	ab.b.dataDev, ab.b.hashDev = "/dev/vda3", "/dev/vda4"
	parts := func(noAutoB bool) []vmtest.Part {
		attrB := ""
		if noAutoB {
			attrB = "GUID:63"
		}
		return []vmtest.Part{
			{UUID: ab.a.dataUUID, Name: "root-a", Image: img("ab-a.squashfs"), Type: typeRootX86},
			{UUID: ab.a.vUUID, Name: "root-a-verity", Image: img("ab-a.verity"), Type: typeRootVerityX8},
			{UUID: ab.b.dataUUID, Name: "root-b", Image: img("ab-b.squashfs"), Type: typeRootX86, Attrs: attrB},
			{UUID: ab.b.vUUID, Name: "root-b-verity", Image: img("ab-b.verity"), Type: typeRootVerityX8},
		}
	}
	if err := e.MakeDisk("ab", parts(false)); err != nil {
		return err
	}
	if err := e.MakeDisk("ab-noauto", parts(true)); err != nil {
		return err
	}
	// Damage the primary GPT header's CRC field (LBA 1, byte 16).
	if err := flipCopy(img("ab.img"), img("ab-badprimary.img"), 512+16); err != nil {
		return err
	}
	e.AddImage("ab-badprimary", img("ab-badprimary.img"), false)
	return nil
}
