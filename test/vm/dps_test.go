//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestDPS boots the A/B disk the ways a bootloader names a slot, and
// checks which slot and devices the init chose.
func TestDPS(t *testing.T) {
	a, b := shared.ab(t).a, shared.ab(t).b
	tests := []struct {
		name     string
		disks    []string
		cmdline  string
		slot     string // the real init's /etc/slot
		rootHash string // "" for an unverified root
		data     string
		hash     string
		key      string
	}{
		{"A by PARTUUID, verity partner paired by UUID", []string{"ab"}, "root=PARTUUID=" + a.dataUUID + " roothash=" + a.rootHash + " rauc.slot=A",
			"A", a.rootHash, a.dataDev, a.hashDev, "PARTUUID"},
		{"B by PARTUUID, verity partner paired by UUID", []string{"ab"}, "root=PARTUUID=" + b.dataUUID + " roothash=" + b.rootHash + " rauc.slot=B",
			"B", b.rootHash, b.dataDev, b.hashDev, "PARTUUID"},
		{"A by root hash alone", []string{"ab"}, "roothash=" + a.rootHash, "A", a.rootHash, a.dataDev, a.hashDev, "PARTUUID"},
		{"auto-discovery picks the newest label", []string{"ab"}, "", "B", "", b.dataDev, "", "DPS"},
		{"auto-discovery skips no-auto", []string{"ab-noauto"}, "", "A", "", a.dataDev, "", "DPS"},
		{"B on the second disk", []string{"main", "ab"}, "roothash=" + b.rootHash, "B", b.rootHash, "/dev/vdb3", "/dev/vdb4", "PARTUUID"},
		{"damaged primary GPT, kernel told to use the backup", []string{"ab-badprimary"}, "gpt roothash=" + a.rootHash, "A", a.rootHash, a.dataDev, a.hashDev, "PARTUUID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, tc.disks, tc.cmdline)
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			if !strings.Contains(r.Console, "VERINIT-TEST-ROOT: slot "+tc.slot+"\n") {
				t.Errorf("the real init is not slot %s's", tc.slot)
			}
			if tc.rootHash == "" {
				if got := vmtest.Field(r.Status, "verity"); got != nil {
					t.Errorf("status claims verity: %v", got)
				}
				if got := vmtest.Field(r.Status, "root", "device"); got != tc.data {
					t.Errorf("root.device = %v, want %s", got, tc.data)
				}
			} else {
				for path, want := range map[string]any{"verity.root_hash": tc.rootHash, "verity.data_device": tc.data,
					"verity.hash_device": tc.hash, "root.device": "/dev/mapper/root"} {
					if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
						t.Errorf("status %s = %v, want %v", path, got, want)
					}
				}
			}
			if got := vmtest.Field(r.Status, "root", "key"); got != tc.key {
				t.Errorf("root.key = %v, want %s", got, tc.key)
			}
			if !strings.HasPrefix(tc.cmdline, "gpt ") { // inspect reads images as a kernel without gpt would
				agreeWithInspect(t, tc.disks, tc.cmdline, r)
			}
		})
	}
}

// TestDPSRefuse: ambiguity and a damaged table are refused with reasons.
func TestDPSRefuse(t *testing.T) {
	a := shared.ab(t).a
	tests := []struct {
		name    string
		disks   []string
		cmdline string
		line    string
	}{
		{"duplicate PARTUUID on two disks", []string{"ab", "ab"}, "root=PARTUUID=" + a.dataUUID + " roothash=" + a.rootHash,
			`verinit: \[device \+\d+ms\] root PARTUUID=` + a.dataUUID + ` matches 2 partitions: vda1 vdb1; refusing to guess$`},
		{"duplicate root hash pair on two disks", []string{"ab", "ab"}, "roothash=" + a.rootHash,
			`verinit: \[device \+\d+ms\] verity PARTUUID=` + a.dataUUID + ` matches 2 partitions: vda1 vdb1; refusing to guess$`},
		{"auto-discovery with two disks", []string{"ab", "ab"}, "",
			`verinit: \[device \+\d+ms\] root: dps: ambiguous root-x86-64 partition: .*refusing to guess between vda partition 1 .*vdb partition 3`},
		{"damaged primary GPT without the gpt parameter", []string{"ab-badprimary"}, "roothash=" + a.rootHash + " verinit.timeout=3",
			`verinit: \[device \+\d+ms\] verity PARTUUID=` + a.dataUUID + `: no such partition; PARTUUID=` + a.vUUID + `: no such partition after 3s; block devices seen: vda; vda: the primary GPT is damaged \(.*\) and the backup is good, but the kernel makes partition devices from a backup GPT only when booted with the gpt parameter$`},
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
