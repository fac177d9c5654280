package activate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/lvm"
)

// LV activates a planned logical volume as lvm2 would: a dm device named
// plan.Name (VG-LV) with the uuid lvm2 gives it (so that lvm2 in the real
// system recognises it), loaded read-only, with /dev/mapper/VG-LV and the
// /dev/VG/LV link. pvs maps each PV UUID of the plan to its device. It
// returns the device (Node set) and the table lines loaded.
func LV(plan *lvm.Plan, pvs map[string]blockdev.Device) (blockdev.Device, dm.Device, []string, error) {
	devs := map[string]string{}
	for uuid, d := range pvs {
		devs[uuid] = d.DevNum()
	}
	targets := make([]dm.Target, 0, len(plan.Targets))
	lines := make([]string, 0, len(plan.Targets))
	for i := range plan.Targets {
		t := &plan.Targets[i]
		params, err := t.Params(devs)
		if err != nil {
			return blockdev.Device{}, dm.Device{}, nil, fmt.Errorf("%s/%s: %w", plan.VG, plan.LV, err)
		}
		dt := dm.Target{StartSector: t.StartSector, Sectors: t.Sectors, Type: t.Type, Params: params}
		targets, lines = append(targets, dt), append(lines, dt.String())
	}
	dev, err := dm.Create(plan.Name, plan.UUID, true, targets)
	if err != nil {
		return blockdev.Device{}, dm.Device{}, nil, fmt.Errorf("%s/%s: %w", plan.VG, plan.LV, err)
	}
	link := filepath.Join("/dev", plan.VG, plan.LV)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err == nil {
		if err := os.Symlink("../mapper/"+plan.Name, link); err != nil && !errors.Is(err, os.ErrExist) {
			_ = dm.Remove(dev)
			return blockdev.Device{}, dm.Device{}, nil, fmt.Errorf("%s/%s: %w", plan.VG, plan.LV, err)
		}
	}
	bd := blockdev.Device{Name: fmt.Sprintf("dm-%d", dev.Minor), Major: dev.Major, Minor: dev.Minor,
		Disk: fmt.Sprintf("dm-%d", dev.Minor), SizeBytes: int64(plan.Sectors) * 512, Node: dev.Node()}
	return bd, dev, lines, nil
}
