//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestLVM boots roots on LVM2 logical volumes, activated from the
// on-disk metadata without lvm2, and checks the devices and tables.
func TestLVM(t *testing.T) {
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		slot    string // the real init's /etc/slot, "" to skip
		dmName  string // the LV's dm name
		typ     string // its first target type
		verity  bool
	}{
		{"root on an LV, /dev/VG/LV", []string{"lvm-ab"}, "root=/dev/vg-ab/root-a", "A", "vg--ab-root--a", "linear", false},
		{"rd.lvm.lv alone", []string{"lvm-ab"}, "rd.lvm.lv=vg-ab/root-a", "A", "vg--ab-root--a", "linear", false},
		{"verity with a data LV and a hash LV", []string{"lvm-ab"}, "roothash=" + shared.lvm(t).rootHashB +
			" systemd.verity_root_data=/dev/mapper/vg--ab-root--b systemd.verity_root_hash=LVM=vg-ab/root-b-hash", "B", "vg--ab-root--b", "linear", true},
		{"LV spanning two PVs on two disks", []string{"lvm-span1", "lvm-span2"}, "root=LVM=vgspan/root", "", "vgspan-root", "linear", false},
		{"striped LV", []string{"lvm-stripe1", "lvm-stripe2"}, "root=/dev/mapper/vgstripe-root", "A", "vgstripe-root", "striped", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, tc.disks, tc.cmdline)
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			if tc.slot != "" && !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot "+tc.slot+"\n") {
				t.Errorf("the real init is not slot %s's", tc.slot)
			}
			lvs, _ := vmtest.Field(r.Status, "lvm").([]any)
			if len(lvs) == 0 {
				t.Fatalf("status lists no activated LV")
			}
			lv := lvs[0].(map[string]any)
			if lv["device"] != "/dev/mapper/"+tc.dmName {
				t.Errorf("LV device %v, want /dev/mapper/%s", lv["device"], tc.dmName)
			}
			table, _ := lv["table"].([]any)
			if len(table) == 0 || !strings.Contains(table[0].(string), " "+tc.typ+" ") {
				t.Errorf("LV table %v, want a %s target", table, tc.typ)
			}
			stages := []string{"mount", "config", "modules", "device", "discovery", "lvm", "mount-root", "measure", "switch"}
			if tc.verity {
				stages = []string{"mount", "config", "modules", "device", "discovery", "lvm", "verity", "root-hash", "mount-root", "measure", "switch"}
			}
			vmtest.WantStages(t, r.Status, stages...)
			want := any("/dev/mapper/" + tc.dmName)
			if tc.verity {
				want = "/dev/mapper/root"
				if got := vmtest.Field(r.Status, "verity", "data_device"); got != "/dev/mapper/"+tc.dmName {
					t.Errorf("verity data device %v", got)
				}
			}
			if got := vmtest.Field(r.Status, "root", "device"); got != want {
				t.Errorf("root.device = %v, want %v", got, want)
			}
			agreeWithInspect(t, tc.disks, tc.cmdline, r)
		})
	}
}

// TestLVMRefuse: what cannot be activated safely is refused, saying why.
func TestLVMRefuse(t *testing.T) {
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		line    string
	}{
		{"missing PV", []string{"lvm-span1"}, "root=LVM=vgspan/root verinit.timeout=3",
			`verinit: \[device \+\d+ms\] root LVM=vgspan/root: no such logical volume after 3s; block devices seen: vda; volume group vgspan lacks PV ` + shared.lvm(t).spanPV2 + `$`},
		{"exported VG", []string{"lvm-refuse"}, "root=/dev/vgexp/root",
			`verinit: \[device \+\d+ms\] root /dev/vgexp/root: lvm: refusing vgexp/root: volume group is exported$`},
		{"unsupported segment type", []string{"lvm-zero"}, "root=/dev/vgodd/root",
			`verinit: \[device \+\d+ms\] root /dev/vgodd/root: lvm: refusing vgodd/root: segment 1 has type "zero"; only linear and striped are supported$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, tc.disks, tc.cmdline+" verinit.failure_delay=0")
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			vmtest.WantLine(t, r.Console, tc.line)
			agreeWithInspect(t, tc.disks, tc.cmdline, r)
		})
	}
}
