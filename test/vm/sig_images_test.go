//go:build vm

package vm

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Partition type of a DPS root-verity-sig partition (x86-64).
const typeRootVeritySigX8 = "41092b05-9fc8-4523-994f-2def0408b176"

// sigImages holds the signatures the cases pass.
type sigImages struct {
	aByTrusted, bByTrusted, aByUntrusted, bOverA string // base64 DER
	aTruncated                                   string
}

// sign signs a root hash with `verinit sign` and the named key of
// makeSigImages ("trusted" or "untrusted"), with more arguments.
func (e *env) sign(key, hash string, args ...string) ([]byte, error) {
	p := func(n string) string { return filepath.Join(e.dir, "keys", n) }
	args = append([]string{"sign", "--key", p(key + ".key"), "--cert", p(key + ".pem"), hash}, args...)
	out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), args...).Output()
	if err != nil {
		return nil, fmt.Errorf("verinit sign %s: %v", strings.Join(args, " "), err)
	}
	return out, nil
}

// makeSigImages makes a trusted and an untrusted signing key with
// openssl, signs the A/B disk's root hashes with `verinit sign`, packs an
// initramfs trusting only the first key and requiring signatures, and an
// A/B disk whose slots carry DPS root-verity-sig partitions.
func (e *env) makeSigImages() error {
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
	a, b := e.ab.a.rootHash, e.ab.b.rootHash
	for _, s := range []struct {
		dst       *string
		key, hash string
	}{{&e.sig.aByTrusted, "trusted", a}, {&e.sig.bByTrusted, "trusted", b}, {&e.sig.aByUntrusted, "untrusted", a}, {&e.sig.bOverA, "trusted", b}} {
		der, err := sign(s.key, s.hash, false)
		if err != nil {
			return err
		}
		*s.dst = b64(der)
		if s.dst == &e.sig.aByTrusted {
			e.sig.aTruncated = b64(der[:len(der)/2])
		}
	}
	// The DPS disk: the A/B disk plus a root-verity-sig partition per slot.
	var parts []partSpec
	img := func(n string) string { return filepath.Join(e.dir, n) }
	for _, s := range []struct {
		slot, hash string
		sl         abSlot
	}{{"a", a, e.ab.a}, {"b", b, e.ab.b}} {
		js, err := sign("trusted", s.hash, true)
		if err != nil {
			return err
		}
		if err := os.WriteFile(img("sig-"+s.slot+".json"), js, 0o644); err != nil {
			return err
		}
		parts = append(parts,
			partSpec{uuid: s.sl.dataUUID, name: "root-" + s.slot, image: img("ab-" + s.slot + ".squashfs"), typ: typeRootX86},
			partSpec{uuid: s.sl.vUUID, name: "root-" + s.slot + "-verity", image: img("ab-" + s.slot + ".verity"), typ: typeRootVerityX8},
			partSpec{uuid: fmt.Sprintf("5e1f5e1f-0000-4000-8000-00000000000%s", s.slot), name: "root-" + s.slot + "-verity-sig",
				image: img("sig-" + s.slot + ".json"), typ: typeRootVeritySigX8})
	}
	if err := e.makeDisk("ab-sig", parts); err != nil {
		return err
	}
	e.initrdSigned = img("initrd-signed.img")
	if err := run(e.dir, verinit, "initramfs", "-o", e.initrdSigned, "--init", filepath.Join(e.dir, "bin", "init"),
		"--kernel-release", e.release, "--cert", p("trusted.pem"), "--policy", "signature=required"); err != nil {
		return err
	}
	// A Yocto-style initramfs: dm-verity.env with its signature beside it.
	envSig, err := sign("trusted", e.verity.rootHashExt4, false)
	if err != nil {
		return err
	}
	if err := os.WriteFile(img("dm-verity.env.p7s"), envSig, 0o644); err != nil {
		return err
	}
	e.initrdYoctoSigned = img("initrd-yocto-signed.img")
	return run(e.dir, verinit, "initramfs", "-o", e.initrdYoctoSigned, "--init", filepath.Join(e.dir, "bin", "init"),
		"--kernel-release", e.release, "--cert", p("trusted.pem"), "--policy", "signature=required",
		"--file", img("dm-verity.env")+":/usr/share/misc/dm-verity.env", "--file", img("dm-verity.env.p7s")+":/usr/share/misc/dm-verity.env.p7s")
}
