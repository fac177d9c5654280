package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Markers the test root's init prints.
const (
	MarkerInit   = "VERINIT-TEST-ROOT: init reached"
	MarkerArgs   = "VERINIT-TEST-ROOT: args:"
	MarkerStatus = "VERINIT-TEST-ROOT: status"
	MarkerEnd    = "VERINIT-TEST-ROOT: end"
	MarkerTPMLog = "VERINIT-TEST-ROOT: tpm events"
	MarkerPCR    = "VERINIT-TEST-ROOT: pcr"
	// The real init's standard output was not a terminal (console=null).
	MarkerNoConsole = "VERINIT-TEST-ROOT: no console, writing to ttyS0"
)

// TestInit is the test root's init: it prints the markers, its arguments
// and status.json, then powers off so that QEMU exits.
const TestInit = `#!/bin/busybox sh
# Booted with console=null, the real init has no console: it writes to
# the serial port itself.
[ -t 1 ] || { exec >/dev/ttyS0 2>&1; echo "` + MarkerNoConsole + `"; }
echo "` + MarkerInit + ` pid=$$"
printf '` + MarkerArgs + `'; for a in "$@"; do printf ' [%s]' "$a"; done; echo
echo "VERINIT-TEST-ROOT: uptime $(/bin/busybox cat /proc/uptime)"
echo "VERINIT-TEST-ROOT: env GODEBUG=$GODEBUG"
[ -f /etc/slot ] && echo "VERINIT-TEST-ROOT: slot $(/bin/busybox cat /etc/slot)"
printf 'VERINIT-TEST-ROOT: ro'; for d in /sys/class/block/vd*; do printf ' %s=%s' "${d##*/}" "$(/bin/busybox cat $d/ro)"; done; echo
if [ -f /run/verinit/status.json ]; then
	echo "` + MarkerStatus + `"
	/bin/busybox cat /run/verinit/status.json
	echo "` + MarkerEnd + `"
fi
if [ -f /run/verinit/tpm-events.json ]; then
	echo "` + MarkerTPMLog + `"
	/bin/busybox cat /run/verinit/tpm-events.json
	echo "` + MarkerEnd + `"
fi
pcr=$(/bin/busybox sed -n 's/.*"tpm":{[^}]*"pcr":\([0-9]*\).*/\1/p' /run/verinit/status.json 2>/dev/null)
for d in /sys/class/tpm/tpm0/pcr-*; do
	[ -n "$pcr" ] && [ -f "$d/$pcr" ] && echo "` + MarkerPCR + ` ${d##*/pcr-} $pcr $(/bin/busybox cat $d/$pcr)"
done
for a in $(/bin/busybox cat /proc/cmdline); do
	case "$a" in verinit_test.read=*) rd=${a#*=} ;; esac
done
healthy=1
if [ -n "$rd" ]; then
	if sum=$(/bin/busybox sha256sum "$rd" 2>&1); then
		echo "` + MarkerRead + ` ok sha256=${sum%% *}"
	else
		echo "` + MarkerRead + ` failed: $sum"
		healthy=
	fi
fi
slot=$(/bin/busybox sed -n 's/.*"slot":{"[^"]*":"\([^"]*\)".*/\1/p' /run/verinit/status.json 2>/dev/null)
if [ -n "$slot" ] && [ -n "$healthy" ]; then echo "` + MarkerGood + `$slot"; fi
/bin/busybox poweroff -f
`

// Markers of the test root's health check: verinit_test.read=PATH makes it
// read PATH and print its sha256 or the error; a root that was booted as a
// slot (status.json names one) and found healthy marks itself good, as
// "rauc status mark-good" would.
const (
	MarkerRead = "VERINIT-TEST-ROOT: read"
	MarkerGood = "VERINIT-TEST-ROOT: mark-good slot="
)

// MakeRootDir makes a test root in dir: the host's busybox (static) and,
// with withInit, TestInit as /sbin/init.
func MakeRootDir(dir string, withInit bool) error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return err
	}
	return MakeRootDirWith(dir, bb, withInit)
}

// MakeRootDirWith is MakeRootDir with the static busybox bb, such as a
// Harness's for its architecture.
func MakeRootDirWith(dir, bb string, withInit bool) error {
	for _, d := range []string{"bin", "sbin", "dev", "proc", "sys", "run", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := CopyFile(bb, filepath.Join(dir, "bin/busybox")); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(dir, "bin/busybox"), 0o755); err != nil {
		return err
	}
	if !withInit {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "sbin/init"), []byte(TestInit), 0o755)
}

// AddDynamic copies the dynamically linked programs (host paths) into the
// test root dir at the same paths, with every library ldd says they and
// the extra libraries (such as one they dlopen) need, and their
// interpreter: enough to run a Debian tool from a busybox root, with
// LD_LIBRARY_PATH naming the library directories.
func AddDynamic(dir string, programs []string, extra ...string) error {
	need := map[string]bool{}
	for _, p := range append(append([]string{}, programs...), extra...) {
		need[p] = true
		out, err := exec.Command("ldd", p).Output()
		if err != nil {
			return fmt.Errorf("ldd %s: %v", p, err)
		}
		for line := range strings.Lines(string(out)) {
			// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
			// "/lib64/ld-linux-x86-64.so.2 (0x...)"
			f := strings.Fields(line)
			for _, w := range f {
				if strings.HasPrefix(w, "/") {
					need[w] = true
				}
			}
		}
	}
	for p := range need {
		dst := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := CopyFile(p, dst); err != nil { // follows links: the content under the name asked for
			return err
		}
		if err := os.Chmod(dst, 0o755); err != nil {
			return err
		}
	}
	return nil
}
