package modules

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// kernelModulesDir returns the modules directory of the running kernel, or
// else of the newest release under /lib/modules. It fails the test if there is
// none, unless VERINIT_NO_KERNEL=1.
func kernelModulesDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("VERINIT_NO_KERNEL") == "1" {
		t.Skip("VERINIT_NO_KERNEL=1: not testing against /lib/modules")
	}
	running := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		running = strings.TrimSpace(string(b))
	}
	rel, err := FindRelease(os.DirFS("/lib/modules"), running)
	if err != nil {
		t.Fatalf("no kernel modules tree under /lib/modules (running kernel %q): %v; "+
			"install a kernel's modules, or set VERINIT_NO_KERNEL=1 to skip the tests that need one", running, err)
	}
	return filepath.Join("/lib/modules", rel)
}

// TestRealKernel resolves the default module set against the installed
// kernel's modules directory.
func TestRealKernel(t *testing.T) {
	dir := kernelModulesDir(t)
	db, err := LoadDB(os.DirFS(dir))
	if err != nil {
		t.Fatalf("LoadDB(%s): %v", dir, err)
	}
	plan, err := Resolve(db, DefaultModules())
	if err != nil {
		t.Fatalf("Resolve(default set) in %s: %v", dir, err)
	}
	t.Logf("%s: %d modules, built in %q, missing %q", dir, len(plan.Modules), plan.Builtin, plan.Missing)
	for _, m := range plan.Modules {
		t.Logf("  %s %s %q", m.Name, m.Path, m.Deps)
	}
	if len(plan.Missing) > 0 {
		t.Errorf("default modules missing from %s: %q", dir, plan.Missing)
	}
	checkPlanOrder(t, plan)

	pos := make(map[string]int)
	for i, m := range plan.Modules {
		pos[m.Name] = i
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m.Path))); err != nil {
			t.Errorf("module %s: %v", m.Name, err)
		}
	}
	for _, name := range DefaultModules() {
		if strings.HasPrefix(name, "crypto-") {
			continue // an alias: checked below by what it resolves to
		}
		_, isMod := pos[name]
		if !isMod && !slices.Contains(plan.Builtin, name) {
			t.Errorf("default module %s is neither planned nor built in", name)
		}
	}
	// crypto-sha512 is modular in Debian's kernel (sha1 and sha256 are
	// built in): dm-verity trees made with --hash=sha512 need it.
	if _, ok := pos["sha512_generic"]; !ok && strings.Contains(dir, "-amd64") {
		t.Errorf("crypto-sha512 did not bring sha512_generic")
	}
	// Each pair: the first must load after the second when both are modules.
	for _, p := range [][2]string{
		{"dm_verity", "dm_mod"}, {"dm_verity", "dm_bufio"},
		{"virtio_blk", "virtio"}, {"virtio_blk", "virtio_ring"},
		{"virtio_scsi", "scsi_mod"}, {"sd_mod", "scsi_mod"},
		{"uas", "usb_storage"}, {"ext4", "jbd2"}, {"nvme", "nvme_core"},
	} {
		i, ok1 := pos[p[0]]
		j, ok2 := pos[p[1]]
		if ok1 && ok2 && i < j {
			t.Errorf("%s (position %d) is loaded before %s (position %d)", p[0], i, p[1], j)
		}
		if ok1 && !ok2 && !slices.Contains(plan.Builtin, p[1]) && db.hasModule(p[1]) {
			t.Errorf("%s is planned but its dependency %s is not", p[0], p[1])
		}
	}

	// The plan must make a load list the init accepts.
	release := filepath.Base(dir)
	var entries []loadlist.Entry
	for _, m := range plan.Modules {
		ko, _, _ := SplitModulePath(m.Path)
		entries = append(entries, loadlist.Entry{Name: m.Name, Path: path.Join("/lib/modules", release, ko), Deps: m.Deps})
	}
	var buf bytes.Buffer
	if err := loadlist.Write(&buf, entries); err != nil {
		t.Fatalf("loadlist.Write: %v", err)
	}
	if _, err := loadlist.Parse(&buf); err != nil {
		t.Fatalf("loadlist.Parse: %v", err)
	}
}

func (db *DB) hasModule(name string) bool {
	return slices.ContainsFunc(db.Deps, func(e DepEntry) bool { return e.Name == name })
}
