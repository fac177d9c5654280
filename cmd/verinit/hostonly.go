package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/hostonly"
	"github.com/verinit/verinit/pkg/initramfs"
	"github.com/verinit/verinit/pkg/modules"
)

// hostOnlyWants traces the devices named, else the mounted root, on this
// machine and returns what it found and the modules of the kernel in
// modulesDir that reach it.
// The module metadata it read is returned for the archive's build.
func hostOnlyWants(modulesDir, release string, arch dps.Arch, devices []string) (*hostonly.Storage, []modules.Want, *initramfs.ModuleDB, error) {
	tr := hostonly.Tracer{Sys: "/sys", Dev: "/dev"}
	var devs []hostonly.Dev
	var mounted []string // file system types of the mounts traced
	if len(devices) > 0 {
		for _, p := range devices {
			d, err := hostonly.DevOf(p)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("--host-only-device: %w", err)
			}
			devs = append(devs, d)
		}
	} else {
		f, err := os.Open("/proc/self/mountinfo")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--host-only: %w", err)
		}
		mounts, err := hostonly.ParseMountinfo(f)
		f.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--host-only: %w", err)
		}
		devs, mounted, err = hostonly.RootDevs(mounts)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--host-only: %w: give --host-only-device", err)
		}
	}
	// The devices named are read for their file systems; a mounted
	// root says its own.
	st, err := tr.Trace(devs, len(devices) > 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--host-only: %w", err)
	}
	st.FSTypes = append(st.FSTypes, mounted...)
	slices.Sort(st.FSTypes)
	st.FSTypes = slices.Compact(st.FSTypes)
	db, err := initramfs.ModulesDB(modulesDir)
	if err != nil {
		return nil, nil, nil, err
	}
	wants, err := st.Wants(db.DB, arch, release, tr.EFI())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--host-only: %w", err)
	}
	return st, wants, db, nil
}

// hostOnlyReport is what initramfs --json says of a host-only trace.
type hostOnlyReport struct {
	Blocks  []string         `json:"blocks"`
	Disks   []string         `json:"disks"`
	Drivers []hostOnlyDriver `json:"drivers"`
	FSTypes []string         `json:"file_systems"`
}

type hostOnlyDriver struct {
	Module   string `json:"module"`
	Device   string `json:"device"`
	Modalias string `json:"modalias,omitempty"`
}

func hostOnlyJSON(st *hostonly.Storage) *hostOnlyReport {
	if st == nil {
		return nil
	}
	r := &hostOnlyReport{Blocks: st.Blocks, Disks: st.Disks, FSTypes: st.FSTypes, Drivers: []hostOnlyDriver{}}
	for _, d := range st.Drivers {
		r.Drivers = append(r.Drivers, hostOnlyDriver(d))
	}
	return r
}

// hostOnlyLine says in one line what --host-only traced.
func hostOnlyLine(st *hostonly.Storage) string {
	drivers := make([]string, len(st.Drivers))
	for i, d := range st.Drivers {
		drivers[i] = fmt.Sprintf("%s (%s)", d.Module, strings.TrimPrefix(d.Device, "devices/"))
	}
	return fmt.Sprintf("host-only: block devices %s on disks %s; drivers %s; file systems %s",
		strings.Join(st.Blocks, " "), strings.Join(st.Disks, " "), strings.Join(drivers, ", "), strings.Join(st.FSTypes, " "))
}
