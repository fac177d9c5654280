//go:build vm

package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/verinit/verinit/pkg/lvm"
)

// lvmConfig keeps the host's lvm2 to our loop devices and away from
// device-mapper (there is none to use on the host).
const lvmConfig = `devices { filter=["a|^/dev/loop|","r|.*|"] } activation { udev_sync=0 udev_rules=0 }`

// lvmImages describes the LVM disks (see makeLVMImages).
type lvmImages struct {
	rootHashB string // of vg-ab/root-b with vg-ab/root-b-hash
	spanPV2   string // the UUID of vgspan's second PV
}

// lvmCmd runs an lvm2 command without device-mapper.
func lvmCmd(args ...string) error {
	full := append([]string{args[0], "-q", "--driverloaded", "n", "--config", lvmConfig}, args[1:]...)
	out, err := exec.Command("lvm", full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lvm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// withLoops attaches the image files as loop devices for fn.
func withLoops(files []string, fn func(loops []string) error) error {
	var loops []string
	defer func() {
		for _, l := range loops {
			exec.Command("losetup", "-d", l).Run()
		}
	}()
	for _, f := range files {
		out, err := exec.Command("losetup", "-f", "--show", f).Output()
		if err != nil {
			return fmt.Errorf("losetup %s: %v", f, err)
		}
		loops = append(loops, strings.TrimSpace(string(out)))
	}
	return fn(loops)
}

// fillLV writes data into an LV of the VG on the image files, through
// the activation plan pkg/lvm makes (its tables are checked against
// lvm2's own in pkg/lvm's oracle tests): the host has no device-mapper
// to write through.
func fillLV(files []string, vgName, lvName, data string) error {
	var pvs []*lvm.PV
	byUUID := map[string]string{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		st, _ := fh.Stat()
		pv, err := lvm.ScanPV(fh, st.Size())
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		pvs = append(pvs, pv)
		byUUID[pv.UUID] = f
	}
	vgs, err := lvm.Assemble(pvs)
	if err != nil {
		return err
	}
	var plan *lvm.Plan
	for _, vg := range vgs {
		if vg.Name == vgName {
			if plan, err = vg.Plan(lvName, lvm.PlanOptions{IgnoreActivationSkip: true}); err != nil {
				return err
			}
		}
	}
	if plan == nil {
		return fmt.Errorf("no VG %s", vgName)
	}
	content, err := os.ReadFile(data)
	if err != nil {
		return err
	}
	if int64(len(content)) > int64(plan.Sectors)*512 {
		return fmt.Errorf("%s (%d bytes) does not fit %s/%s", data, len(content), vgName, lvName)
	}
	write := func(uuid string, off int64, b []byte) error {
		f, err := os.OpenFile(byUUID[uuid], os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt(b, off)
		return err
	}
	for _, t := range plan.Targets {
		start, end := int64(t.StartSector)*512, int64(t.StartSector+t.Sectors)*512
		if start >= int64(len(content)) {
			break
		}
		end = min(end, int64(len(content)))
		seg := content[start:end]
		if t.Type == "linear" {
			if err := write(t.Areas[0].PVUUID, int64(t.Areas[0].OffsetSectors)*512, seg); err != nil {
				return err
			}
			continue
		}
		chunk := int64(t.ChunkSectors) * 512
		n := int64(len(t.Areas))
		for k := int64(0); k*chunk < int64(len(seg)); k++ {
			a := t.Areas[k%n]
			piece := seg[k*chunk : min((k+1)*chunk, int64(len(seg)))]
			if err := write(a.PVUUID, int64(a.OffsetSectors)*512+(k/n)*chunk, piece); err != nil {
				return err
			}
		}
	}
	return nil
}

func newImage(path string, size int64) error {
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	return os.Truncate(path, size)
}

// makeLVMImages builds, with the real lvm2 on loop devices:
//   - "lvm-ab": one PV, VG vg-ab with LVs root-a, root-b (squashfs) and
//     root-b-hash (its verity tree), names with dashes;
//   - "lvm-span1"+"lvm-span2": VG vgspan whose LV root (ext4) spans both PVs;
//   - "lvm-stripe1"+"lvm-stripe2": VG vgstripe with a 2-stripe LV root;
//   - "lvm-refuse": VG vgexp, exported, with LV root; VG vgodd with an LV
//     of type zero.
func (e *env) makeLVMImages(l *lvmImages) error {
	if _, err := e.baseOnce(); err != nil { // root.ext4
		return err
	}
	if _, err := e.abOnce(); err != nil { // its slot B squashfs
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	// A verity tree for the squashfs image, for root-b-hash.
	out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), "verity", "format", img("ab-b.squashfs"), img("lvm-b.verity")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("verinit verity format: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("no root hash in %s", out)
	}
	l.rootHashB = string(m[1])
	for _, n := range []string{"lvm-ab", "lvm-span1", "lvm-span2", "lvm-stripe1", "lvm-stripe2", "lvm-refuse"} {
		if err := newImage(img(n+".img"), 48<<20); err != nil {
			return err
		}
		e.AddImage(n, img(n+".img"), false)
	}
	steps := []struct {
		files []string
		cmds  func(l []string) [][]string
		fill  [][3]string // vg, lv, data
	}{
		{[]string{img("lvm-ab.img")}, func(l []string) [][]string {
			return [][]string{{"pvcreate", l[0]}, {"vgcreate", "vg-ab", l[0]},
				{"lvcreate", "-an", "-Zn", "-n", "root-a", "-L", "12M", "vg-ab"},
				{"lvcreate", "-an", "-Zn", "-n", "root-b", "-L", "12M", "vg-ab"},
				{"lvcreate", "-an", "-Zn", "-n", "root-b-hash", "-L", "4M", "vg-ab"}}
		}, [][3]string{{"vg-ab", "root-a", img("ab-a.squashfs")}, {"vg-ab", "root-b", img("ab-b.squashfs")}, {"vg-ab", "root-b-hash", img("lvm-b.verity")}}},
		{[]string{img("lvm-span1.img"), img("lvm-span2.img")}, func(l []string) [][]string {
			return [][]string{{"pvcreate", l[0], l[1]}, {"vgcreate", "vgspan", l[0], l[1]},
				{"lvcreate", "-an", "-Zn", "-n", "root", "-L", "8M", "vgspan", l[0]},
				{"lvextend", "-L", "+12M", "vgspan/root", l[1]}}
		}, [][3]string{{"vgspan", "root", img("root.ext4")}}},
		{[]string{img("lvm-stripe1.img"), img("lvm-stripe2.img")}, func(l []string) [][]string {
			return [][]string{{"pvcreate", l[0], l[1]}, {"vgcreate", "vgstripe", l[0], l[1]},
				{"lvcreate", "-an", "-Zn", "-n", "root", "-i2", "-I64k", "-L", "12M", "vgstripe"}}
		}, [][3]string{{"vgstripe", "root", img("ab-a.squashfs")}}},
	}
	for _, s := range steps {
		err := withLoops(s.files, func(l []string) error {
			for _, c := range s.cmds(l) {
				if err := lvmCmd(c...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, f := range s.fill {
			if err := fillLV(s.files, f[0], f[1], f[2]); err != nil {
				return err
			}
		}
	}
	// The refused cases.
	err = withLoops([]string{img("lvm-refuse.img")}, func(l []string) error {
		for _, c := range [][]string{{"pvcreate", l[0]}, {"vgcreate", "vgexp", l[0]},
			{"lvcreate", "-an", "-Zn", "-n", "root", "-L", "4M", "vgexp"},
			{"vgexport", "vgexp"}} {
			if err := lvmCmd(c...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := newImage(img("lvm-zero.img"), 48<<20); err != nil {
		return err
	}
	e.AddImage("lvm-zero", img("lvm-zero.img"), false)
	err = withLoops([]string{img("lvm-zero.img")}, func(l []string) error {
		for _, c := range [][]string{{"pvcreate", l[0]}, {"vgcreate", "vgodd", l[0]},
			{"lvcreate", "-an", "-Zn", "--type", "zero", "-n", "root", "-L", "4M", "vgodd"}} {
			if err := lvmCmd(c...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// vgspan's second PV, for the missing-PV message.
	f, err := os.Open(img("lvm-span2.img"))
	if err != nil {
		return err
	}
	defer f.Close()
	pv, err := lvm.ScanPV(f, 48<<20)
	if err != nil {
		return err
	}
	l.spanPV2 = pv.UUID
	return nil
}
