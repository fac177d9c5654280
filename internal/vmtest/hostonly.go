package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/initramfs"
	"github.com/verinit/verinit/pkg/modules"
)

// Markers of HostOnlyScript.
const (
	MarkerHostReport  = "VERINIT-TEST-HOSTONLY: report"
	MarkerHostEnd     = "VERINIT-TEST-HOSTONLY: end"
	MarkerHostWritten = "VERINIT-TEST-HOSTONLY: written "
	MarkerHostFailed  = "VERINIT-TEST-HOSTONLY: failed: "
)

// HostOnlyScript is a piece of a test root's init (a busybox sh script):
// with verinit_test.hostonly=1 on the command line it runs `verinit
// initramfs --host-only` on the booted system with the tools
// AddHostOnlyTools put in the root, prints its report and writes the
// archive to /dev/vdb; HostOnlyInitrd reads them back.
const HostOnlyScript = `for a in $(/bin/busybox cat /proc/cmdline); do
	case "$a" in verinit_test.hostonly=1) hostonly=1 ;; esac
done
if [ -n "$hostonly" ]; then
	if /usr/bin/verinit initramfs --host-only --json --init /usr/lib/verinit/init -o /run/hostonly.img >/run/report.json 2>/run/err; then
		echo "` + MarkerHostReport + `"
		/bin/busybox cat /run/report.json
		echo "` + MarkerHostEnd + `"
		/bin/busybox dd if=/run/hostonly.img of=/dev/vdb bs=65536 conv=fsync 2>/dev/null &&
			echo "` + MarkerHostWritten + `$(/bin/busybox stat -c %s /run/hostonly.img)"
	else
		echo "` + MarkerHostFailed + `$(/bin/busybox cat /run/err)"
	fi
fi
`

// AddHostOnlyTools puts into the test root dir what HostOnlyScript runs:
// a static verinit built from the repository repo for goarch, the init
// initBin, and from the kernel's modules directory modulesDir (of
// architecture arch) depmod's files and the modules of the default set,
// which is all a host-only set can be drawn from.
func AddHostOnlyTools(dir, repo, goarch, initBin, modulesDir string, arch dps.Arch) error {
	if err := RunEnv(repo, []string{"CGO_ENABLED=0", "GOARCH=" + goarch}, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(dir, "usr", "bin", "verinit"), "./cmd/verinit"); err != nil {
		return err
	}
	lib := filepath.Join(dir, "usr", "lib", "verinit")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		return err
	}
	if err := CopyFile(initBin, filepath.Join(lib, "init")); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(lib, "init"), 0o755); err != nil {
		return err
	}
	db, err := initramfs.ModulesDB(modulesDir)
	if err != nil {
		return err
	}
	plan, err := modules.Resolve(db.DB, modules.DefaultModules(arch))
	if err != nil {
		return err
	}
	var files []string
	for _, f := range []string{"modules.dep", "modules.alias", "modules.softdep", "modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if _, err := os.Stat(filepath.Join(modulesDir, f)); err == nil {
			files = append(files, f)
		}
	}
	for _, m := range plan.Modules {
		files = append(files, m.Path)
	}
	dst := filepath.Join(dir, "lib", "modules", filepath.Base(modulesDir))
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			return err
		}
		if err := CopyFile(filepath.Join(modulesDir, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	return nil
}

// MakeScratch makes an empty disk image of size bytes named name: the
// disk HostOnlyScript writes to.
func (h *Harness) MakeScratch(name string, size int64) error {
	p := filepath.Join(h.Dir, name+".img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(p, size); err != nil {
		return err
	}
	h.AddImage(name, p, false)
	return nil
}

// HostOnlyInitrd reads what HostOnlyScript printed on console and wrote
// to the scratch disk image (as the boot left it): it writes the
// initramfs to out and returns verinit's JSON report.
func HostOnlyInitrd(console, scratch, out string) ([]byte, error) {
	if _, msg, ok := strings.Cut(console, MarkerHostFailed); ok {
		line, _, _ := strings.Cut(msg, "\n")
		return nil, fmt.Errorf("verinit initramfs --host-only failed on the booted system: %s", line)
	}
	_, body, ok := strings.Cut(console, MarkerHostReport+"\n")
	body, _, ok2 := strings.Cut(body, MarkerHostEnd)
	_, n, ok3 := strings.Cut(console, MarkerHostWritten)
	if !ok || !ok2 || !ok3 {
		return nil, fmt.Errorf("the booted system printed no host-only report and size:\n%s", console)
	}
	n, _, _ = strings.Cut(n, "\n")
	size, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return nil, fmt.Errorf("host-only initramfs size %q: %v", n, err)
	}
	b, err := os.ReadFile(scratch)
	if err != nil {
		return nil, err
	}
	if size <= 0 || size > len(b) {
		return nil, fmt.Errorf("host-only initramfs of %d bytes on a scratch disk of %d", size, len(b))
	}
	if err := os.WriteFile(out, b[:size], 0o644); err != nil {
		return nil, err
	}
	return []byte(body), nil
}
