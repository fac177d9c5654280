//go:build vm

package vm

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// diskCreated is what `verinit disk create --json` printed.
type diskCreated struct {
	Slots []struct {
		Bootname string `json:"bootname"`
		RootHash string `json:"root_hash"`
		Cmdline  string `json:"cmdline"`
	} `json:"slots"`
}

// makeCreatedDisks builds A/B disks with `verinit disk create`, at 512
// and 4096-byte sectors, from the test root file system.
func (e *env) makeCreatedDisks() (map[string]diskCreated, error) {
	if _, err := e.baseOnce(); err != nil {
		return nil, err
	}
	created := map[string]diskCreated{}
	for _, c := range []struct {
		name   string
		sector int
	}{{"created", 512}, {"created-4k", 4096}} {
		path := filepath.Join(e.dir, c.name+".img")
		out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), "disk", "create", path,
			"--rootfs", filepath.Join(e.dir, "rootfs"), "--sector-size", fmt.Sprint(c.sector), "--json").Output()
		if err != nil {
			return nil, fmt.Errorf("verinit disk create: %v\n%s", err, out)
		}
		var dc diskCreated
		if err := json.Unmarshal(out, &dc); err != nil {
			return nil, fmt.Errorf("verinit disk create --json: %v\n%s", err, out)
		}
		created[c.name] = dc
		e.AddImage(c.name, path, c.sector == 4096)
	}
	return created, nil
}

// TestDiskCreate boots each slot of the disks `verinit disk create` made
// with the command line it printed, as a boot loader would pass it.
func TestDiskCreate(t *testing.T) {
	for _, disk := range []string{"created", "created-4k"} {
		for i, slot := range shared.created(t)[disk].Slots {
			t.Run(fmt.Sprintf("%s slot %s", disk, slot.Bootname), func(t *testing.T) {
				t.Parallel()
				r := shared.boot(t, []string{disk}, slot.Cmdline+" verinit.verity=required")
				if !r.Reached || r.Status == nil {
					t.Fatalf("the real init was not reached or printed no status")
				}
				dataDev := fmt.Sprintf("/dev/vda%d", 2*i+1)
				for path, want := range map[string]any{"verity.root_hash": slot.RootHash, "verity.data_device": dataDev,
					"slot.rauc.slot": slot.Bootname, "root.device": "/dev/mapper/root"} {
					p := strings.SplitN(path, ".", 2)
					if got := vmtest.Field(r.Status, p...); got != want {
						t.Errorf("status %s = %v, want %v", path, got, want)
					}
				}
				agreeWithInspect(t, []string{disk}, slot.Cmdline+" verinit.verity=required", r)
			})
		}
	}
}
