package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lvmImage makes an image holding one PV with VG "vg-t" and LVs "root"
// (linear) and "z" (type zero), with the real lvm2 on a loop device.
func lvmImage(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root for losetup (make test runs as root)")
	}
	img := filepath.Join(t.TempDir(), "pv.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 32<<20); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Fatalf("losetup: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	cfg := `devices { filter=["a|^` + loop + `$|","r|.*|"] }`
	for _, c := range [][]string{{"pvcreate", loop}, {"vgcreate", "vg-t", loop},
		{"lvcreate", "-an", "-Zn", "-n", "root", "-L", "8M", "vg-t"},
		{"lvcreate", "-an", "-Zn", "--type", "zero", "-n", "z", "-L", "4M", "vg-t"}} {
		args := append([]string{c[0], "-q", "--driverloaded", "n", "--config", cfg}, c[1:]...)
		if out, err := exec.Command("lvm", args...).CombinedOutput(); err != nil {
			t.Fatalf("lvm %v (install lvm2): %v\n%s", c, err, out)
		}
	}
	return img
}

func TestInspectLVM(t *testing.T) {
	img := lvmImage(t)
	out, code := run(t, "inspect", "--json", "--cmdline", "root=/dev/vg-t/root", img)
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("exit %d: %v\n%s", code, err, out)
	}
	if rep.Decision == nil || rep.Decision.Root != "/dev/mapper/vg--t-root" {
		t.Errorf("decision %+v, error %q", rep.Decision, rep.Error)
	}
	if len(rep.VGs) != 1 || len(rep.VGs[0].LVs) != 2 {
		t.Fatalf("volume groups %+v", rep.VGs)
	}
	root, z := rep.VGs[0].LVs[0], rep.VGs[0].LVs[1]
	if len(root.Table) != 1 || root.Table[0] != "0 16384 linear 254:0 2048" {
		t.Errorf("root table %q", root.Table)
	}
	if !strings.Contains(z.Refusal, `segment 1 has type "zero"`) {
		t.Errorf("zero LV refusal %q", z.Refusal)
	}
	out, code = run(t, "inspect", "--cmdline", "root=/dev/vg-t/z", img)
	if code != 1 || !strings.Contains(out, `the init would stop: root /dev/vg-t/z: lvm: refusing vg-t/z: segment 1 has type "zero"`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, code = run(t, "lvm", "dump", img)
	if code != 0 || !strings.Contains(out, `"Name": "vg-t"`) || !strings.Contains(out, `"Name": "root"`) {
		t.Errorf("lvm dump: exit %d\n%s", code, out)
	}
}
