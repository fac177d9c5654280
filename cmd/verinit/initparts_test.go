package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/feature/featuretest"
)

// TestInitramfsInitParts: initramfs names the parts its init was built
// without, and refuses a policy that needs one; tpm predict refuses an
// initramfs whose init does not measure.
func TestInitramfsInitParts(t *testing.T) {
	lean := featuretest.Init(t, "verinit_nolvm,verinit_notpm")
	dir := t.TempDir()
	initrd := filepath.Join(dir, "initrd.img")
	code, _, stderr := runCLI(t, "initramfs", "-o", initrd, "--init", lean, "--no-modules", "--policy", "tpm=required")
	if want := "verinit initramfs: --policy tpm=required: the init " + lean + " was built without TPM support (-tags verinit_notpm): it would refuse every boot\n"; code != 1 || stderr != want {
		t.Errorf("tpm=required: exit %d, stderr %q, want %q", code, stderr, want)
	}
	code, stdout, stderr := runCLI(t, "initramfs", "-o", initrd, "--init", lean, "--no-modules")
	if code != 0 || !strings.Contains(stdout, ", init "+lean+" (built without LVM, TPM: -tags verinit_nolvm,verinit_notpm), ") {
		t.Errorf("exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "initramfs", "-o", initrd, "--init", lean, "--no-modules", "--json")
	var rep initramfsReport
	if err := json.Unmarshal([]byte(stdout), &rep); code != 0 || err != nil || !slices.Equal(rep.InitWithout, []string{"LVM", "TPM"}) {
		t.Errorf("--json: exit %d, %v, init_without %q", code, err, rep.InitWithout)
	}
	code, _, stderr = runCLI(t, "tpm", "predict", filepath.Join(dir, "disk.img"), "--initramfs", initrd, "--cmdline", "roothash=00")
	if want := "verinit tpm predict: --initramfs " + initrd + ": its init was built without TPM support (-tags verinit_notpm): it measures nothing\n"; code != 1 || stderr != want {
		t.Errorf("tpm predict: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

// TestInspectInitWithoutLVM: inspect --initramfs refuses an LV root as an
// init built without LVM would, and not for an init built with it.
func TestInspectInitWithoutLVM(t *testing.T) {
	img := lvmImage(t)
	dir := t.TempDir()
	for _, tc := range []struct{ tags, want string }{
		{"verinit_nolvm", "the init would stop: vg-t/root: this init was built without LVM support (build tag verinit_nolvm)"},
		{"verinit_notpm", "root: /dev/mapper/vg--t-root"},
	} {
		initrd := filepath.Join(dir, tc.tags+".img")
		if code, _, stderr := runCLI(t, "initramfs", "-o", initrd, "--init", featuretest.Init(t, tc.tags), "--no-modules"); code != 0 {
			t.Fatalf("initramfs: %s", stderr)
		}
		out, code := run(t, "inspect", "--initramfs", initrd, "--cmdline", "root=/dev/vg-t/root", img)
		if !strings.Contains(out, tc.want) || (code == 0) != (tc.tags == "verinit_notpm") {
			t.Errorf("-tags %s: exit %d, want %q in\n%s", tc.tags, code, tc.want, out)
		}
	}
}

// TestInitWithoutSignatures: initramfs packs no certificate nor a
// signature policy for an init built without signature support; inspect
// --initramfs decides as that init would: the root hash as given, any
// signature asked for refused.
func TestInitWithoutSignatures(t *testing.T) {
	keys := signingKey(t)
	nosig := featuretest.Init(t, "verinit_nosig")
	dir := t.TempDir()
	initrd := filepath.Join(dir, "nosig.img")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cert", filepath.Join(keys, "c.pem")}, "verinit initramfs: --cert: the init " + nosig + " was built without signature support (-tags verinit_nosig): it checks no signature against a certificate\n"},
		{[]string{"--policy", "min-version=3"}, "verinit initramfs: --policy: it requires a signed root hash, but the init " + nosig + " was built without signature support (-tags verinit_nosig): it would refuse every boot\n"},
	} {
		code, _, stderr := runCLI(t, append([]string{"initramfs", "-o", initrd, "--init", nosig, "--no-modules"}, tc.args...)...)
		if code != 1 || stderr != tc.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := runCLI(t, "initramfs", "-o", initrd, "--init", nosig, "--no-modules", "--policy", "verity=required"); code != 0 {
		t.Fatalf("initramfs: %s", stderr)
	}
	disk := filepath.Join(dir, "disk.img")
	rep := diskJSON(t, "disk", "create", disk, "--rootfs", diskRootfs(t), "--sign-key", filepath.Join(keys, "k.pem"), "--sign-cert", filepath.Join(keys, "c.pem"), "--json")
	hash := rep.Slots[0].RootHash
	out, code := run(t, "inspect", "--initramfs", initrd, "--cmdline", "roothash="+hash, disk)
	if code != 0 || !strings.Contains(out, hash) || strings.Contains(out, "signer") {
		t.Errorf("the root hash as given, no signer: exit %d\n%s", code, out)
	}
	out, code = run(t, "inspect", "--initramfs", initrd, "--cmdline", "roothash="+hash+" verinit.signature=required", disk)
	if want := "verity: this init was built without signature support (build tag verinit_nosig): the policy requires a signed root hash"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("verinit.signature=required: exit %d, want %q in\n%s", code, want, out)
	}
}
