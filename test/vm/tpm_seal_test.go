//go:build vm

package vm

import (
	"archive/tar"
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/verinit/verinit/internal/tpmtest"
	"github.com/verinit/verinit/internal/vmtest"
)

// Identities of the seal disk's partitions.
const (
	uuidSealAData = "7c2e4d5f-0000-4000-8000-0000000000c1"
	uuidSealAHash = "7c2e4d5f-0000-4000-8000-0000000000c2"
	uuidSealBData = "7c2e4d5f-0000-4000-8000-0000000000c3"
	uuidSealBHash = "7c2e4d5f-0000-4000-8000-0000000000c4"
)

// Markers of sealInit.
const (
	markerUnsealed = "VERINIT-TEST-SEAL: unsealed "
	markerRefused  = "VERINIT-TEST-SEAL: refused "
)

// sealInit tries, with Debian's tpm2-tools, to unseal the object on the
// second disk (a tar of seal.pub and seal.priv) under a policy on PCR 15
// (sha256), then goes on as the test root's init.
const sealInit = `#!/bin/busybox sh
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu TPM2TOOLS_TCTI=device:/dev/tpmrm0
/bin/busybox mkdir -p /run/seal && cd /run/seal && /bin/busybox tar -xf /dev/vdb
if /usr/bin/tpm2 createprimary -Q -C o -c p.ctx 2>err && /usr/bin/tpm2 load -Q -C p.ctx -u seal.pub -r seal.priv -c s.ctx 2>err &&
	secret=$(/usr/bin/tpm2 unseal -c s.ctx -p pcr:sha256:15 2>err); then
	echo "` + markerUnsealed + `$secret"
else
	echo "` + markerRefused + `$(/bin/busybox grep -m1 '^ERROR: Esys' err)"
fi
cd /
exec /sbin/test-init "$@"
`

// sealImages holds the disk "seal": slots A and B of a root holding
// tpm2-tools and sealInit (differing in /etc/slot), each behind
// dm-verity, and the command line of each.
type sealImages struct {
	cmdline map[string]string
}

func (e *env) makeSealImages(s *sealImages) error {
	root := filepath.Join(e.dir, "rootfs-seal")
	if err := vmtest.MakeRootDirWith(root, e.Busybox, false); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "sbin", "test-init"), []byte(vmtest.TestInit), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "sbin", "init"), []byte(sealInit), 0o755); err != nil {
		return err
	}
	if err := vmtest.AddDynamic(root, []string{"/usr/bin/tpm2"}, "/usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0"); err != nil {
		return err
	}
	img := func(n string) string { return filepath.Join(e.dir, n) }
	s.cmdline = map[string]string{}
	var parts []vmtest.Part
	for _, slot := range []struct{ name, data, hash string }{{"A", uuidSealAData, uuidSealAHash}, {"B", uuidSealBData, uuidSealBHash}} {
		if err := os.WriteFile(filepath.Join(root, "etc", "slot"), []byte(slot.name+"\n"), 0o644); err != nil {
			return err
		}
		sq, hash := img("seal-"+slot.name+".squashfs"), img("seal-"+slot.name+".hash")
		if err := vmtest.Run(e.dir, "mksquashfs", root, sq, "-noappend", "-all-root", "-quiet"); err != nil {
			return err
		}
		rh, err := vmtest.VeritysetupFormat(sq, hash)
		if err != nil {
			return err
		}
		s.cmdline[slot.name] = "roothash=" + rh + " systemd.verity_root_data=PARTUUID=" + slot.data + " systemd.verity_root_hash=PARTUUID=" + slot.hash + " rauc.slot=" + slot.name
		parts = append(parts, vmtest.Part{UUID: slot.data, Name: "seal-" + slot.name, Image: sq}, vmtest.Part{UUID: slot.hash, Name: "seal-" + slot.name + "-verity", Image: hash})
	}
	return e.MakeDisk("seal", parts)
}

// TestTPMSeal seals a secret with tpm2-tools, on the host, to the sha256
// value of PCR 15 that `verinit tpm predict` gives for slot A, with the
// state of the TPM the VMs then boot with; slot A's boot unseals it in
// its real root, slot B's is refused by the TPM.
func TestTPMSeal(t *testing.T) {
	s := shared.seal(t)
	_, values := predict(t, "seal", shared.initrd, s.cmdline["A"])
	state := t.TempDir()
	const secret = "the-data-partition-key-of-slot-A"
	blob := sealTo(t, state, values["sha256"], secret)
	shared.AddImage("seal-blob", blob, false)
	// B's PCR differs, so the TPM refuses the policy session (TPM_RC_POLICY_FAIL).
	for slot, want := range map[string]string{"A": markerUnsealed + secret, "B": markerRefused + "ERROR: Esys_Unseal(0x99D) - tpm:session(1):a policy check failed"} {
		t.Run(slot, func(t *testing.T) {
			t.Parallel()
			tpmState := t.TempDir()
			if err := vmtest.Run(state, "cp", "-a", state+"/.", tpmState); err != nil {
				t.Fatal(err)
			}
			r := shared.bootOpts(t, vmtest.Boot{Initrd: shared.initrd, Disks: []string{"seal", "seal-blob"}, Cmdline: s.cmdline[slot], TPM: tpmState})
			if !r.Reached || vmtest.Field(r.Status, "tpm", "state") != "measured" {
				t.Fatalf("the real init was not reached, or did not measure: %v", vmtest.Field(r.Status, "tpm"))
			}
			if !bytes.Contains([]byte(r.Console), []byte("\n"+want)) {
				t.Errorf("slot %s: no line starting %q", slot, want)
			}
			if slot == "A" && r.PCRs["sha256"] != values["sha256"] {
				t.Errorf("slot A: PCR 15 is %s, predicted %s", r.PCRs["sha256"], values["sha256"])
			}
		})
	}
}

// sealTo seals secret with tpm2-tools to a policy on PCR 15 (sha256)
// holding pcrHex, in a swtpm whose state is kept in state, and returns a
// disk image holding a tar of seal.pub and seal.priv.
func sealTo(t *testing.T, state, pcrHex, secret string) string {
	t.Helper()
	dir := t.TempDir()
	// tpm2-tss's swtpm TCTI with path=P talks to the data socket P and
	// the control socket P.ctrl: both listen before swtpm starts (its fds
	// 3 and 4), so the tools' connections wait in the backlog.
	sock := filepath.Join(dir, "swtpm")
	var files []*os.File
	for _, name := range []string{sock, sock + ".ctrl"} {
		f, err := tpmtest.Listening(name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	swtpm := exec.Command("swtpm", "socket", "--tpm2", "--tpmstate", "dir="+state, "--server", "type=unixio,fd=3", "--ctrl", "type=unixio,fd=4",
		"--flags", "not-need-init,startup-clear")
	swtpm.ExtraFiles = files
	var swtpmOut bytes.Buffer
	swtpm.Stdout, swtpm.Stderr = &swtpmOut, &swtpmOut
	if err := swtpm.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}
	defer func() { _ = swtpm.Process.Kill(); _ = swtpm.Wait() }()
	pcr, err := hex.DecodeString(pcrHex)
	if err != nil || len(pcr) != 32 {
		t.Fatalf("predicted sha256 value %q", pcrHex)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := os.WriteFile(p("pcr15.bin"), pcr, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("secret"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TPM2TOOLS_TCTI=swtpm:path=" + sock}
	for _, args := range [][]string{
		{"tpm2_createprimary", "-Q", "-C", "o", "-c", p("primary.ctx")},
		{"tpm2_createpolicy", "-Q", "--policy-pcr", "-l", "sha256:15", "-f", p("pcr15.bin"), "-L", p("policy.digest")},
		{"tpm2_create", "-Q", "-C", p("primary.ctx"), "-L", p("policy.digest"), "-i", p("secret"), "-u", p("seal.pub"), "-r", p("seal.priv")},
		// A clean shutdown: swtpm keeps its state for the VMs.
		{"swtpm_ioctl", "--unix", sock + ".ctrl", "-s"},
	} {
		if err := vmtest.RunEnv(dir, env, args[0], args[1:]...); err != nil {
			t.Fatalf("%v\nswtpm: %s", err, swtpmOut.String())
		}
	}
	_ = swtpm.Wait()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, n := range []string{"seal.pub", "seal.priv"} {
		b, err := os.ReadFile(p(n))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(shared.dir, "seal-blob.img")
	if err := os.WriteFile(img, append(tb.Bytes(), make([]byte, 1<<20-tb.Len()%(1<<20))...), 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}
