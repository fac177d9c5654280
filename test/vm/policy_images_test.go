//go:build vm

package vm

import (
	"encoding/base64"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// Identities of the SHA-1 disk's partitions.
const (
	uuidS1Data = "7c2e4d5f-0000-4000-8000-0000000000f1" // squashfs data
	uuidS1Hash = "7c2e4d5f-0000-4000-8000-0000000000f2" // its veritysetup tree, --hash=sha1
)

// policyImages holds what the policy cases need besides the A/B, blob
// and signature images.
type policyImages struct {
	blobASig   string // base64 signature of the blob disk's slot A root hash, by the trusted key
	sha1Hash   string // root hash of the SHA-1 tree
	sha1Sig    string // its base64 signature, by the trusted key
	initrdSHA1 string // trusts the key, requires signatures, allows SHA-1 trees
}

// makePolicyImages makes a disk with a SHA-1 tree, signs it and slot A
// of the blob disk with the trusted key, and packs an initramfs that
// allows SHA-1 trees.
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
	for _, s := range []struct {
		dst  *string
		hash string
	}{{&p.sha1Sig, p.sha1Hash}, {&p.blobASig, c.disk.Slots[0].RootHash}} {
		der, err := e.sign("trusted", s.hash)
		if err != nil {
			return err
		}
		*s.dst = base64.StdEncoding.EncodeToString(der)
	}
	p.initrdSHA1 = img("initrd-sha1.img")
	return vmtest.Run(e.dir, filepath.Join(e.dir, "bin", "verinit"), "initramfs", "-o", p.initrdSHA1, "--init", filepath.Join(e.dir, "bin", "init"),
		"--kernel-release", e.Release, "--cert", filepath.Join(e.dir, "keys", "trusted.pem"), "--policy", "signature=required", "--policy", "sha1=allowed")
}
