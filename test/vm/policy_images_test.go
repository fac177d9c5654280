//go:build vm

package vm

import (
	"encoding/base64"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// Identities of the SHA-1 disk's partitions.
const (
	uuidS1Data = "7c2e4d5f-0000-4000-8000-0000000000f1" // squashfs data
	uuidS1Hash = "7c2e4d5f-0000-4000-8000-0000000000f2" // its veritysetup tree, --hash=sha1
	uuidRSASig = "7c2e4d5f-0000-4000-8000-0000000000f3" // a DER signature of the A/B disk's slot B
)

// policyImages holds what the policy cases need besides the A/B, blob
// and signature images.
type policyImages struct {
	blobASig   string // base64 signature of the blob disk's slot A root hash, by the trusted key
	sha1Hash   string // root hash of the SHA-1 tree
	sha1Sig    string // its base64 signature, by the trusted key
	initrdSHA1 string // trusts the key, requires signatures, allows SHA-1 trees

	// Rollback: the A/B disk's slot A signed as version 1, slot B as
	// version 2, and an initramfs that trusts the keys and allows
	// version 2 and later. Slot B is signed by an RSA key too, which
	// Debian's kernel can check (it has no ECDSA); that signature, with
	// its certificate too long for the command line, is the DER on the
	// "rsa-sig" disk's partition PARTLABEL=b-v2-rsa.
	aV1, bV2    string // base64 signatures
	initrdMinV2 string

	// initrdListed trusts the key, requires signatures and lists the
	// words beyond the init's own that the command line may carry
	// (cmdlineKeysListed).
	initrdListed string
}

// cmdlineKeysListed is initrdListed's cmdline-keys=: the harness's
// console= and panic=, the test root's verinit_test.read=, quiet, and
// the root's own init.
const cmdlineKeysListed = "console panic verinit_test.read quiet init=/sbin/init"

// makePolicyImages makes a disk with a SHA-1 tree, signs it and slot A
// of the blob disk with the trusted key, signs the A/B disk's slots with
// versions, and packs initramfs images that allow SHA-1 trees and that
// refuse versions before 2.
func (e *env) makePolicyImages(p *policyImages) error {
	if _, err := e.baseOnce(); err != nil {
		return err
	}
	if _, err := e.sigOnce(); err != nil { // the keys
		return err
	}
	c, err := e.corruptOnce()
	if err != nil {
		return err
	}
	ab, err := e.abOnce()
	if err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	if p.sha1Hash, err = vmtest.VeritysetupFormat(img("root.squashfs"), img("v-sha1.hash"), "--hash=sha1", "--uuid=9b1ec1a1-1111-4111-8111-1111111111f1"); err != nil {
		return err
	}
	if err := e.MakeDisk("sha1", []vmtest.Part{
		{UUID: uuidS1Data, Name: "data", Image: img("root.squashfs")},
		{UUID: uuidS1Hash, Name: "hash-sha1", Image: img("v-sha1.hash")},
	}); err != nil {
		return err
	}
	keys := func(n string) string { return filepath.Join(e.dir, "keys", n) }
	if err := vmtest.Run(e.dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=verinit test trusted RSA",
		"-keyout", keys("trusted-rsa.key"), "-out", keys("trusted-rsa.pem")); err != nil {
		return err
	}
	for _, s := range []struct {
		dst       *string
		key, hash string
		version   string
	}{{&p.sha1Sig, "trusted", p.sha1Hash, ""}, {&p.blobASig, "trusted", c.disk.Slots[0].RootHash, ""},
		{&p.aV1, "trusted", ab.a.rootHash, "1"}, {&p.bV2, "trusted", ab.b.rootHash, "2"}} {
		var args []string
		if s.version != "" {
			args = []string{"--version", s.version}
		}
		der, err := e.sign(s.key, s.hash, args...)
		if err != nil {
			return err
		}
		*s.dst = base64.StdEncoding.EncodeToString(der)
	}
	der, err := e.sign("trusted-rsa", ab.b.rootHash, "--version", "2")
	if err != nil {
		return err
	}
	if err := os.WriteFile(img("b-v2-rsa.p7s"), der, 0o644); err != nil {
		return err
	}
	if err := e.MakeDisk("rsa-sig", []vmtest.Part{{UUID: uuidRSASig, Name: "b-v2-rsa", Image: img("b-v2-rsa.p7s")}}); err != nil {
		return err
	}
	p.initrdSHA1, p.initrdMinV2, p.initrdListed = img("initrd-sha1.img"), img("initrd-min-v2.img"), img("initrd-listed.img")
	for _, i := range []struct {
		out    string
		policy string
		certs  []string
	}{{p.initrdSHA1, "sha1=allowed", []string{"trusted"}}, {p.initrdMinV2, "min-version=2", []string{"trusted", "trusted-rsa"}},
		{p.initrdListed, "cmdline-keys=" + cmdlineKeysListed, []string{"trusted"}}} {
		args := []string{"initramfs", "-o", i.out, "--init", filepath.Join(e.dir, "bin", "init"), "--kernel-release", e.Release,
			"--policy", "signature=required", "--policy", i.policy}
		for _, c := range i.certs {
			args = append(args, "--cert", keys(c+".pem"))
		}
		if err := vmtest.Run(e.dir, filepath.Join(e.dir, "bin", "verinit"), args...); err != nil {
			return err
		}
	}
	return nil
}
