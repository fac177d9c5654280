//go:build vm

package vm

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// inspectResult is what `verinit inspect --json` decided.
type inspectResult struct {
	Decision *inspectVolume `json:"decision"`
	Error    string         `json:"error"`
}

// inspectVolume is inspect's decision on the root, or on /usr (Usr).
type inspectVolume struct {
	Root       string         `json:"root"`
	DataDevice string         `json:"data_device"`
	HashDevice string         `json:"hash_device"`
	RootHash   string         `json:"root_hash"`
	Table      string         `json:"table"`
	Usr        *inspectVolume `json:"usr"`
}

// inspect runs `verinit inspect` on the same images with the same command
// line the VM booted with.
func (e *env) inspect(t *testing.T, disks []string, cmdline string) inspectResult {
	t.Helper()
	args := []string{"inspect", "--json", "--cmdline", cmdline}
	e.images(t, disks...)
	for _, d := range disks {
		path, ok := e.Image(d)
		if !ok {
			t.Fatalf("no image %q", d)
		}
		args = append(args, path)
	}
	out, _ := exec.Command(filepath.Join(e.dir, "bin", "verinit"), args...).Output()
	var r inspectResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("verinit inspect: %v\n%s", err, out)
	}
	return r
}

// agreeWithInspect checks that inspect decided what the booted init did.
func agreeWithInspect(t *testing.T, disks []string, cmdline string, r vmtest.Result) {
	t.Helper()
	in := shared.inspect(t, disks, cmdline)
	if !r.Reached {
		if in.Error == "" {
			t.Errorf("the init refused, but inspect decided %+v", in.Decision)
		}
		return
	}
	if in.Decision == nil {
		t.Fatalf("the init booted, but inspect says: %s", in.Error)
	}
	if got, want := in.Decision.Root, vmtest.Field(r.Status, "root", "device"); got != want {
		t.Errorf("inspect root %s, the init mounted %v", got, want)
	}
	if table, ok := vmtest.Field(r.Status, "verity", "table").(string); ok {
		if in.Decision.Table != table {
			t.Errorf("inspect table %q\nthe init loaded %q", in.Decision.Table, table)
		}
	} else if in.Decision.Table != "" {
		t.Errorf("inspect would verify (%s), the init did not", in.Decision.Table)
	}
	usr, _ := vmtest.Field(r.Status, "usr").(map[string]any)
	switch u := in.Decision.Usr; {
	case (u == nil) != (usr == nil):
		t.Errorf("inspect /usr %+v, the init's %v", u, usr)
	case u != nil:
		if want := vmtest.Field(r.Status, "usr", "device"); u.Root != want {
			t.Errorf("inspect /usr %s, the init mounted %v", u.Root, want)
		}
		if want, _ := vmtest.Field(r.Status, "usr", "verity", "table").(string); u.Table != want {
			t.Errorf("inspect /usr table %q\nthe init loaded %q", u.Table, want)
		}
	}
	if strings.Contains(cmdline, "gpt") && in.Error != "" {
		t.Logf("inspect: %s", in.Error)
	}
}
