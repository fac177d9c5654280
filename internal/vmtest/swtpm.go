package vmtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/verinit/verinit/internal/tpmtest"
)

// startSwtpm starts swtpm with its state in stateDir for one boot and
// returns the QEMU arguments that attach it as the machine's TPM. swtpm
// gets its control socket already listening (its fd 3), so QEMU's
// connection waits in the backlog: nothing to wait for; it exits when
// QEMU hangs up (--terminate), and is killed at the test's end if not.
func (h *Harness) startSwtpm(t testing.TB, dir, stateDir string) []string {
	t.Helper()
	sock := filepath.Join(dir, "swtpm.sock")
	lf, err := tpmtest.Listening(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	// swtpm's options split on commas, which test names (and so
	// t.TempDir) may hold: name the state through a link.
	state := filepath.Join(dir, "tpmstate")
	if err := os.Symlink(stateDir, state); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("swtpm", "socket", "--tpm2", "--tpmstate", "dir="+state, "--ctrl", "type=unixio,fd=3", "--terminate")
	cmd.ExtraFiles = []*os.File{lf}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("swtpm: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && out.Len() > 0 {
			t.Logf("swtpm: %s", out.Bytes())
		}
	})
	dev := "tpm-tis"
	if h.Machine.QEMU != X86_64.QEMU {
		dev = "tpm-tis-device" // ARM's virt board: TIS on MMIO
	}
	return []string{"-chardev", "socket,id=chrtpm,path=" + sock, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", dev + ",tpmdev=tpm0"}
}
