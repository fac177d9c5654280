//go:build vm

package vm

import (
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestBootRoot boots each root form and checks, from what the real init
// printed, that the right device was mounted the right way.
func TestBootRoot(t *testing.T) {
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		device  string // root.device in status.json
		key     string // root.key
		fstype  string
		args    string // the arguments the real init printed
	}{
		{"dev path squashfs", []string{"main"}, "root=/dev/vda2", "/dev/vda2", "path", "squashfs", ""},
		{"PARTUUID erofs", []string{"main"}, "root=PARTUUID=" + strings.ToUpper(uuidErofs), "/dev/vda3", "PARTUUID", "erofs", ""},
		{"PARTUUID PARTNROFF ext4", []string{"main"}, "root=PARTUUID=" + uuidFiller + "/PARTNROFF=3", "/dev/vda4", "PARTUUID", "ext4", ""},
		{"PARTLABEL", []string{"main"}, "root=PARTLABEL=root-sq", "/dev/vda2", "PARTLABEL", "squashfs", ""},
		{"file system UUID", []string{"main"}, "root=UUID=" + fsUUIDExt4, "/dev/vda4", "UUID", "ext4", ""},
		{"second disk", []string{"main", "second"}, "root=PARTLABEL=second", "/dev/vdb1", "PARTLABEL", "ext4", ""},
		{"init args after --", []string{"main"}, `root=PARTLABEL=root-erofs quiet -- single "two words" x=y`, "/dev/vda3", "PARTLABEL", "erofs", "[single] [two words] [x=y]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, tc.disks, tc.cmdline)
			if !r.Reached {
				t.Fatalf("the real init was not reached")
			}
			if r.Status == nil {
				t.Fatalf("the real init printed no status.json")
			}
			for _, c := range []struct {
				path []string
				want any
			}{
				{[]string{"root", "device"}, tc.device},
				{[]string{"root", "key"}, tc.key},
				{[]string{"root", "fstype"}, tc.fstype},
				{[]string{"root", "readonly"}, true},
				{[]string{"init"}, "/sbin/init"},
				{[]string{"verity"}, nil}, // never claims verity when there was none
				{[]string{"policy", "verity"}, "optional"},
			} {
				if got := vmtest.Field(r.Status, c.path...); got != c.want {
					t.Errorf("status %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
				}
			}
			vmtest.WantStages(t, r.Status, "mount", "config", "modules", "device", "discovery", "mount-root", "measure", "switch")
			if r.Args != tc.args {
				t.Errorf("real init got arguments %q, want %q", r.Args, tc.args)
			}
			if !strings.Contains(r.Console, "verinit: [switch +") && !strings.Contains(tc.cmdline, "quiet") {
				t.Errorf("no switch line on the console")
			}
		})
	}
}

// TestBootFailure checks each failure: the exact message, the policy
// action, and that the real init never ran.
func TestBootFailure(t *testing.T) {
	const unknown = "0badc0de-0000-4000-8000-000000000000"
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		lines   []string // regular expressions, each must match a console line
	}{
		{"unknown PARTUUID times out", []string{"main"}, "root=PARTUUID=" + unknown + " verinit.timeout=3 verinit.failure_delay=0",
			[]string{
				`verinit: \[device \+\d+ms\] root PARTUUID=` + unknown + `: no such partition after 3s; block devices seen: vda vda1 vda2 vda3 vda4 vda5$`,
				`verinit: \[failure \+\d+ms\] rebooting in 0s$`,
			}},
		{"root without an init", []string{"main"}, "root=PARTLABEL=noinit verinit.failure_delay=1",
			[]string{
				`verinit: \[mount-root \+\d+ms\] root /dev/vda5: pivot: no init in the root file system \(/sbin/init: not found; /etc/init: not found; /bin/init: not found; /bin/sh: not found\)$`,
				`verinit: \[failure \+\d+ms\] rebooting in 1s$`,
			}},
		{"garbage instead of a GPT", []string{"garbage"}, "root=PARTUUID=" + unknown + " verinit.timeout=2 verinit.on_failure=poweroff verinit.failure_delay=0",
			[]string{
				`verinit: \[device \+\d+ms\] root PARTUUID=` + unknown + `: no such partition after 2s; block devices seen: vda; vda: no usable GPT: gpt: primary header: no "EFI PART" signature at byte 0x200: got ".+"; backup header: no "EFI PART" signature at byte 0x3ffe00: got ".+"$`,
				`verinit: \[failure \+\d+ms\] powering off in 0s$`,
			}},
		{"LABEL on squashfs", []string{"main"}, "root=LABEL=nothing verinit.timeout=2 verinit.failure_delay=0",
			[]string{`verinit: \[device \+\d+ms\] root LABEL=nothing: no such file system after 2s; block devices seen: vda vda1 vda2 vda3 vda4 vda5; vda2: squashfs \(no UUID or label\); vda3: erofs UUID=[0-9a-f-]+ LABEL=; vda4: ext4 UUID=` + fsUUIDExt4 + ` LABEL=rootext4; vda5: squashfs \(no UUID or label\)$`}},
		{"cloned disk: PARTLABEL on two disks", []string{"main", "main"}, "root=PARTLABEL=root-sq verinit.failure_delay=0",
			// Both partition devices: the init decides only once no storage
			// driver is still probing (the second disk comes from the same
			// virtio_pci load as the first).
			[]string{`verinit: \[device \+\d+ms\] root PARTLABEL=root-sq matches 2 partitions: vda2 vdb2; refusing to guess$`}},
		{"panic policy", []string{"main"}, "root=/dev/vdz9 verinit.timeout=3 verinit.on_failure=panic",
			[]string{
				`verinit: \[device \+\d+ms\] root /dev/vdz9: no such device after 3s; block devices seen: vda vda1 vda2 vda3 vda4 vda5$`,
				`Kernel panic - not syncing: Attempted to kill init!`,
			}},
		{"shell policy without a shell", []string{"main"}, "root=/dev/vdz9 verinit.timeout=1 verinit.on_failure=shell verinit.failure_delay=0",
			[]string{`verinit: \[failure \+\d+ms\] no /bin/sh in the initramfs; rebooting instead$`}},
		{"bad policy value", []string{"main"}, "root=/dev/vda2 verinit.on_failure=explode verinit.failure_delay=0",
			[]string{`verinit: \[config \+\d+ms\] kernel command line: verinit.on_failure=explode: want reboot, poweroff, panic or shell$`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, tc.disks, tc.cmdline)
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			for _, re := range tc.lines {
				vmtest.WantLine(t, r.Console, re)
			}
			if regexp.MustCompile(`(?m)^.*verinit: \[switch`).MatchString(r.Console) {
				t.Errorf("the init tried to switch root")
			}
		})
	}
}
