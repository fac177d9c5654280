//go:build vm

package vm

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
	"github.com/verinit/verinit/pkg/dps"
)

// Identities of the /usr disks' partitions.
const (
	uuidUsrRoot    = "7c2e4d5f-0000-4000-8000-0000000000a1" // ext4 root whose /bin and /sbin link into /usr
	uuidUsrOwnInit = "7c2e4d5f-0000-4000-8000-0000000000a2" // ext4 root with an init of its own
	uuidUsrData    = "7c2e4d5f-0000-4000-8000-0000000000a3" // the /usr squashfs
	uuidUsrHash    = "7c2e4d5f-0000-4000-8000-0000000000a4" // its tree
)

// usrImages holds what the /usr cases name.
type usrImages struct {
	usrHash string // usrhash= of the /usr squashfs (the test root, as /usr)
	// initrdTab packs an /etc/veritytab whose volume "usr" is the disk
	// "usr"'s /usr.
	initrdTab string
	// createdB is slot B's usr hash on "usr-created", the disk `verinit
	// disk create --usr` made, signed by the sig family's trusted key.
	createdB string
}

// makeUsrImages makes the disks of a separate, verified /usr: the test
// root made into a /usr (usr/bin/busybox, usr/sbin/init) as squashfs with
// its veritysetup tree, and
//   - "usr": an ext4 root whose /bin and /sbin link into /usr (systemd's
//     merged /usr), an ext4 root holding an init of its own, and /usr's
//     data and hash partitions, found by PARTLABEL;
//   - "usr-dps": the same /usr as Discoverable Partitions usr and
//     usr-verity partitions of this architecture, named by the halves of
//     the usr hash, for root=tmpfs.
func (e *env) makeUsrImages(u *usrImages) error {
	if _, err := e.baseOnce(); err != nil { // rootfs, the test root
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	if err := vmtest.Run(e.dir, "mksquashfs", img("rootfs"), img("usr.squashfs"), "-noappend", "-all-root", "-quiet"); err != nil {
		return err
	}
	var err error
	if u.usrHash, err = vmtest.VeritysetupFormat(img("usr.squashfs"), img("usr.hash"), "--uuid=9b1ec1a1-3333-4333-8333-333333333333"); err != nil {
		return err
	}
	linked, own := img("usrroot"), img("usrroot-own")
	for _, dir := range []string{linked, own} {
		for _, d := range []string{"usr", "dev", "proc", "sys", "run", "tmp", "etc"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				return err
			}
		}
		if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
			return err
		}
	}
	if err := os.Symlink("usr/sbin", filepath.Join(linked, "sbin")); err != nil {
		return err
	}
	// An init of the root's own, which nothing verified: the init must
	// refuse it beside a verified /usr.
	if err := os.MkdirAll(filepath.Join(own, "sbin"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(own, "sbin", "init"), []byte(vmtest.TestInit), 0o755); err != nil {
		return err
	}
	for _, s := range [][]string{
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-L", "usrroot", "-d", linked, img("usrroot.ext4"), "8M"},
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-L", "usrrootown", "-d", own, img("usrroot-own.ext4"), "8M"},
	} {
		if err := vmtest.Run(e.dir, s[0], s[1:]...); err != nil {
			return err
		}
	}
	tab := img("usr-veritytab")
	if err := os.WriteFile(tab, []byte("usr PARTLABEL=usr-a PARTLABEL=usr-a-verity "+u.usrHash+" x-initrd.attach\n"), 0o644); err != nil {
		return err
	}
	u.initrdTab = img("initrd-usr-veritytab.img")
	if err := vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", u.initrdTab, "--init", e.bin("init"), "--kernel-release", e.Release,
		"--file", tab+":/etc/veritytab"); err != nil {
		return err
	}
	if err := e.MakeDisk("usr", []vmtest.Part{
		{UUID: uuidUsrRoot, Name: "root-rw", Image: img("usrroot.ext4")},
		{UUID: uuidUsrOwnInit, Name: "root-own-init", Image: img("usrroot-own.ext4")},
		{UUID: uuidUsrData, Name: "usr-a", Image: img("usr.squashfs")},
		{UUID: uuidUsrHash, Name: "usr-a-verity", Image: img("usr.hash")},
	}); err != nil {
		return err
	}
	h, err := hex.DecodeString(u.usrHash)
	if err != nil {
		return err
	}
	dataUUID, hashUUID, err := dps.PairUUIDs(h)
	if err != nil {
		return err
	}
	if err := e.makeCreatedUsrDisk(u); err != nil {
		return err
	}
	usrType, _ := dps.TypeGUID(dps.Usr, dps.ArchX86_64)
	usrVerityType, _ := dps.TypeGUID(dps.UsrVerity, dps.ArchX86_64)
	return e.MakeDisk("usr-dps", []vmtest.Part{
		{UUID: dataUUID.String(), Name: "usr", Type: usrType.String(), Image: img("usr.squashfs")},
		{UUID: hashUUID.String(), Name: "usr-verity", Type: usrVerityType.String(), Image: img("usr.hash")},
	})
}

// makeCreatedUsrDisk makes "usr-created" with verinit disk create --usr:
// two /usr slots of the test root, each signed (usr-verity-sig) by the
// key the sig family's initrdSigned trusts.
func (e *env) makeCreatedUsrDisk(u *usrImages) error {
	if _, err := e.sigOnce(); err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	out, err := exec.Command(e.bin("verinit"), "disk", "create", img("usr-created.img"), "--rootfs", img("rootfs"), "--usr",
		"--sign-key", img("keys/trusted.key"), "--sign-cert", img("keys/trusted.pem"), "--json").Output()
	if err != nil {
		return fmt.Errorf("verinit disk create --usr: %w", err)
	}
	var rep struct {
		Slots []struct {
			RootHash string `json:"root_hash"`
		} `json:"slots"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Slots) != 2 {
		return fmt.Errorf("verinit disk create --usr printed %s (%v)", out, err)
	}
	u.createdB = rep.Slots[1].RootHash
	e.AddImage("usr-created", img("usr-created.img"), false)
	return nil
}
