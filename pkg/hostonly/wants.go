package hostonly

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// EFI reports whether the machine booted through UEFI firmware, whose
// variables the init reads (efivarfs) for the boot loader's choice.
func (tr Tracer) EFI() bool { return exists(filepath.Join(tr.Sys, "firmware", "efi")) }

// Wants returns what an initramfs for kernel (its modules db, architecture
// arch) packs for s: the module of each driver on the chains, loading as
// its aliases say (by device modalias for most), else what the device's
// modalias stands for in that kernel; device-mapper, dm-verity and the
// hashes of the default set, which a verified root always needs; each of
// s.FSTypes; and efivarfs with efi. A driver or file system the kernel has
// neither as a module nor built in is an error: that initramfs could not
// reach the root.
func (s *Storage) Wants(db *modules.DB, arch dps.Arch, kernel string, efi bool) ([]modules.Want, error) {
	f, err := modules.NewFinder(db)
	if err != nil {
		return nil, err
	}
	var out []modules.Want
	add := func(w modules.Want) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	for _, d := range s.Drivers {
		name := d.Module
		mods, builtin := f.Find(name)
		if len(mods) == 0 && len(builtin) == 0 && d.Modalias != "" {
			name = d.Modalias
			mods, builtin = f.Find(name)
		}
		switch {
		case len(mods) > 0:
			add(f.Added(name))
		case len(builtin) == 0:
			also := ""
			if d.Modalias != "" {
				also = ", nor one for its modalias " + d.Modalias
			}
			return nil, fmt.Errorf("hostonly: %s drives %s, and kernel %s has no module or built-in driver %s%s",
				d.Module, d.Device, kernel, d.Module, also)
		}
	}
	for _, w := range modules.DefaultSet(arch) {
		if w.Class == loadlist.DM {
			add(w)
		}
	}
	for _, t := range s.FSTypes {
		mods, builtin := f.Find(t)
		if len(mods) == 0 && len(builtin) == 0 {
			return nil, fmt.Errorf("hostonly: the file system %s is neither a module nor built into kernel %s", t, kernel)
		}
		if len(mods) > 0 {
			add(modules.Want{Name: t, Class: loadlist.FS})
		}
	}
	if efi {
		add(modules.Want{Name: "efivarfs", Class: loadlist.FS})
	}
	return out, nil
}

// RootDevs returns the devices that hold the root file system in mounts
// (those of /proc/self/mountinfo): "/", and "/usr" when it is mounted on
// its own. A root that is no block device (tmpfs, overlay, NFS) beside a
// /usr that is one gives /usr alone; with neither on a block device there
// is nothing to trace, and the error says what they are. It also returns
// the file system types of the mounts it took.
func RootDevs(mounts []Mount) (devs []Dev, fsTypes []string, err error) {
	root, ok := MountAt(mounts, "/")
	if !ok {
		return nil, nil, fmt.Errorf("hostonly: nothing is mounted on / in mountinfo")
	}
	take := []Mount{root}
	if usr, ok := MountAt(mounts, "/usr"); ok {
		take = append(take, usr)
	}
	for _, m := range take {
		if m.Dev.Major != 0 {
			devs = append(devs, m.Dev)
			fsTypes = append(fsTypes, m.FSType)
		}
	}
	if len(devs) == 0 {
		return nil, nil, fmt.Errorf("hostonly: / is %s (%s, device %s), not a block device, and /usr is not mounted from one", root.FSType, root.Source, root.Dev)
	}
	return devs, fsTypes, nil
}
