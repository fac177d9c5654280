//go:build vm

package vm

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// Partition type of a DPS root-verity-sig partition (x86-64).
const typeRootVeritySigX8 = "41092b05-9fc8-4523-994f-2def0408b176"

// sigImages holds the signatures the cases pass.
type sigImages struct {
	aByTrusted, bByTrusted, aByUntrusted, bOverA string // base64 DER
	aTruncated                                   string
	// initrdSigned trusts the trusted key and requires signatures;
	// initrdYoctoSigned also carries dm-verity.env and its signature.
	initrdSigned, initrdYoctoSigned string
}

// sign signs a root hash with `verinit sign` and the named key of
// makeSigImages ("trusted" or "untrusted"), with more arguments.
func (e *env) sign(key, hash string, args ...string) ([]byte, error) {
	p := func(n string) string { return filepath.Join(e.dir, "keys", n) }
	return e.verinitOut(append([]string{"sign", "--key", p(key + ".key"), "--cert", p(key + ".pem"), hash}, args...)...)
}

// makeSigImages makes a trusted and an untrusted signing key with
// openssl, signs the A/B disk's root hashes with `verinit sign`, packs an
// initramfs trusting only the first key and requiring signatures, and an
// A/B disk whose slots carry DPS root-verity-sig partitions.
func (e *env) makeSigImages(s *sigImages) error {
	ab, err := e.abOnce()
	if err != nil {
		return err
	}
	v, err := e.verityOnce()
	if err != nil {
		return err
	}
	dir := filepath.Join(e.dir, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, k := range []struct{ name, alg string }{{"trusted", "EC"}, {"untrusted", "RSA"}} {
		args := []string{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=verinit test " + k.name,
			"-keyout", p(k.name + ".key"), "-out", p(k.name + ".pem")}
		if k.alg == "EC" {
			args[3] = "ec"
			args = append(args[:4], append([]string{"-pkeyopt", "ec_paramgen_curve:P-256"}, args[4:]...)...)
		}
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("openssl req: %v\n%s", err, out)
		}
	}
	verinit := filepath.Join(e.dir, "bin", "verinit")
	sign := func(key, hash string, asJSON bool) ([]byte, error) {
		if asJSON {
			return e.sign(key, hash, "--verity-sig-json")
		}
		return e.sign(key, hash)
	}
	b64 := base64.StdEncoding.EncodeToString
	a, b := ab.a.rootHash, ab.b.rootHash
	for _, sg := range []struct {
		dst       *string
		key, hash string
	}{{&s.aByTrusted, "trusted", a}, {&s.bByTrusted, "trusted", b}, {&s.aByUntrusted, "untrusted", a}, {&s.bOverA, "trusted", b}} {
		der, err := sign(sg.key, sg.hash, false)
		if err != nil {
			return err
		}
		*sg.dst = b64(der)
		if sg.dst == &s.aByTrusted {
			s.aTruncated = b64(der[:len(der)/2])
		}
	}
	// The DPS disk: the A/B disk plus a root-verity-sig partition per slot.
	var parts []vmtest.Part
	img := func(n string) string { return filepath.Join(e.dir, n) }
	for _, s := range []struct {
		slot, hash string
		sl         abSlot
	}{{"a", a, ab.a}, {"b", b, ab.b}} {
		js, err := sign("trusted", s.hash, true)
		if err != nil {
			return err
		}
		if err := os.WriteFile(img("sig-"+s.slot+".json"), js, 0o644); err != nil {
			return err
		}
		parts = append(parts,
			vmtest.Part{UUID: s.sl.dataUUID, Name: "root-" + s.slot, Image: img("ab-" + s.slot + ".squashfs"), Type: typeRootX86},
			vmtest.Part{UUID: s.sl.vUUID, Name: "root-" + s.slot + "-verity", Image: img("ab-" + s.slot + ".verity"), Type: typeRootVerityX8},
			vmtest.Part{UUID: fmt.Sprintf("5e1f5e1f-0000-4000-8000-00000000000%s", s.slot), Name: "root-" + s.slot + "-verity-sig",
				Image: img("sig-" + s.slot + ".json"), Type: typeRootVeritySigX8})
	}
	if err := e.MakeDisk("ab-sig", parts); err != nil {
		return err
	}
	s.initrdSigned = img("initrd-signed.img")
	if err := vmtest.Run(e.dir, verinit, "initramfs", "-o", s.initrdSigned, "--init", e.bin("init"),
		"--kernel-release", e.Release, "--cert", p("trusted.pem"), "--policy", "signature=required"); err != nil {
		return err
	}
	// A Yocto-style initramfs: dm-verity.env with its signature beside it.
	envSig, err := sign("trusted", v.rootHashExt4, false)
	if err != nil {
		return err
	}
	if err := os.WriteFile(img("dm-verity.env.p7s"), envSig, 0o644); err != nil {
		return err
	}
	s.initrdYoctoSigned = img("initrd-yocto-signed.img")
	return vmtest.Run(e.dir, verinit, "initramfs", "-o", s.initrdYoctoSigned, "--init", e.bin("init"),
		"--kernel-release", e.Release, "--cert", p("trusted.pem"), "--policy", "signature=required",
		"--file", img("dm-verity.env")+":/usr/share/misc/dm-verity.env", "--file", img("dm-verity.env.p7s")+":/usr/share/misc/dm-verity.env.p7s")
}
