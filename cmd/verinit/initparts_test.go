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
