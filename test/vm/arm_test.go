//go:build vm

package vm

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/internal/vmtest"
)

// armBoot is one ARM case: which initramfs, the disks and the command
// line, and what the booted system must show.
type armBoot struct {
	name   string
	signed bool // initrdSigned, not the plain initrd
	disks  []string
	line   string
	status map[string]any // status.json fields of a boot that reaches the real init
	refuse string         // a console line of a refused boot, which must not reach it
}

// runARM boots each case on the architecture's kernel and board; every
// disk must be unchanged afterwards (the harness checks).
func runARM(t *testing.T, a *armImages, cases []armBoot) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			initrd := a.initrd
			if tc.signed {
				initrd = a.initrdSigned
			}
			r := a.Boot(t, vmtest.Boot{Initrd: initrd, Disks: tc.disks, Cmdline: tc.line + " verinit.failure_delay=0"})
			if tc.refuse != "" {
				if r.Reached {
					t.Errorf("the real init was reached")
				}
				vmtest.WantLine(t, r.Console, tc.refuse)
				vmtest.WantLine(t, r.Console, `verinit: \[failure \+\d+ms\] rebooting in 0s$`)
				return
			}
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			for path, want := range tc.status {
				if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
					t.Errorf("status %s = %v, want %v", path, got, want)
				}
			}
		})
	}
}

// signedSlot is the command line of a slot whose root hash alone names
// it (its partitions are paired by UUID), with its signature.
func signedSlot(s armSlot) string {
	return "roothash=" + s.RootHash + " verinit.roothashsig=base64:" + s.sig
}

// TestARM64 boots Debian's arm64 kernel on QEMU's virt board (TCG), disks
// on virtio-mmio, with the init cross-built and the modules packed from
// the kernel package without depmod.
func TestARM64(t *testing.T) {
	t.Parallel()
	a := shared.arm(t, "arm64")
	slotA, slotB := a.slots[0], a.slots[1]
	signer := "CN=verinit test arm"
	runARM(t, a, []armBoot{
		{name: "PARTUUID root", disks: []string{"ab"}, line: "root=PARTUUID=" + slotA.Data,
			status: map[string]any{"root.key": "PARTUUID", "root.device": "/dev/vda1", "root.fstype": "squashfs"}},
		{name: "signed slot B by its root hash alone", signed: true, disks: []string{"ab"}, line: signedSlot(slotB),
			status: map[string]any{"verity.root_hash": slotB.RootHash, "verity.source": "dps", "verity.data_device": "/dev/vda3",
				"verity.hash_device": "/dev/vda4", "signature.subject": signer, "policy.signature": "required"}},
		{name: "auto-discovery finds the arm64 root type", disks: []string{"ab"}, line: "",
			status: map[string]any{"root.key": "DPS", "root.fstype": "squashfs"}},
		{name: "signed, verified root on LVM", signed: true, disks: []string{"lvm"},
			line:   "roothash=" + a.lvmRootHash + " systemd.verity_root_data=/dev/vgarm/root systemd.verity_root_hash=/dev/vgarm/root-hash verinit.roothashsig=base64:" + a.lvmSig,
			status: map[string]any{"verity.root_hash": a.lvmRootHash, "verity.data_device": "/dev/mapper/vgarm-root", "signature.subject": signer}},
		{name: "slot A's partitions with slot B's signed root hash are refused", signed: true, disks: []string{"ab"},
			line:   "roothash=" + slotB.RootHash + " systemd.verity_root_data=PARTUUID=" + slotA.Data + " systemd.verity_root_hash=PARTUUID=" + slotA.Hash + " verinit.roothashsig=base64:" + slotB.sig,
			refuse: `verinit: \[verity \+\d+ms\] .*verity: root hash mismatch: .*` + regexp.QuoteMeta(slotB.RootHash)},
	})
}

// TestARMHF boots Debian's armmp-lpae kernel on QEMU's virt board with a
// Cortex-A15, disks on virtio-pci, with the init built for ARMv7.
func TestARMHF(t *testing.T) {
	t.Parallel()
	a := shared.arm(t, "armhf")
	slotA, slotB := a.slots[0], a.slots[1]
	runARM(t, a, []armBoot{
		{name: "signed slot A by its root hash alone", signed: true, disks: []string{"ab"}, line: signedSlot(slotA),
			status: map[string]any{"verity.root_hash": slotA.RootHash, "verity.data_device": "/dev/vda1", "signature.subject": "CN=verinit test arm"}},
		{name: "a signature over the other slot is refused", signed: true, disks: []string{"ab"},
			line:   "roothash=" + slotA.RootHash + " verinit.roothashsig=base64:" + slotB.sig,
			refuse: `verinit: \[verity \+\d+ms\] verity: signature from verinit.roothashsig=base64:\.\.\.: sig: signature does not match the root hash: `},
	})
}

// TestUBootARM64 boots through Debian's U-Boot for QEMU's arm64 virt
// board (u-boot-qemu, as QEMU's -bios): distro boot finds the boot.scr
// that `verinit disk create --print u-boot` put on the ESP, which picks
// the slot by RAUC's U-Boot scheme (BOOT_ORDER, BOOT_<slot>_LEFT, kept
// in uboot.env on the ESP with fatwrite), counts a try down and boots
// the kernel and verinit's signed initramfs from the ESP. A good slot A
// boots with one try counted; with A's first data block changed after
// signing, the kernel restarts on it three times and U-Boot falls back
// to B. Read from the console and from uboot.env as the boots left it.
func TestUBootARM64(t *testing.T) {
	t.Parallel()
	a := shared.arm(t, "arm64")
	for _, tc := range []struct {
		name, disk string
		fit        bool     // U-Boot boots a FIT, with the device tree that requires its key
		booted     []string // the script's "booting slot" lines
		uboot      string   // what U-Boot printed, if it matters
		slot       string   // the slot the real init ran in, "" for none
		corrupted  int      // how often the kernel found A's block changed
		env        string   // uboot.env at the end
	}{
		{"slot A, one try counted", "uboot", false, []string{"A (BOOT_ORDER=A B BOOT_A_LEFT=2 BOOT_B_LEFT=3)"}, "", "A", 0,
			"BOOT_A_LEFT=2, BOOT_B_LEFT=3, BOOT_ORDER=A B"},
		{"slot A changed after signing: three tries, then B", "uboot-a-corrupt", false, []string{
			"A (BOOT_ORDER=A B BOOT_A_LEFT=2 BOOT_B_LEFT=3)",
			"A (BOOT_ORDER=A B BOOT_A_LEFT=1 BOOT_B_LEFT=3)",
			"A (BOOT_ORDER=A B BOOT_A_LEFT=0 BOOT_B_LEFT=3)",
			"B (BOOT_ORDER=A B BOOT_A_LEFT=0 BOOT_B_LEFT=2)"}, "", "B", 3,
			"BOOT_A_LEFT=0, BOOT_B_LEFT=2, BOOT_ORDER=A B"},
		{"slot A from a signed FIT", "uboot-fit", true, []string{"A (BOOT_ORDER=A B BOOT_A_LEFT=2 BOOT_B_LEFT=3)"},
			"Verifying Hash Integrity ... sha256,rsa2048:verinit+ OK", "A", 0,
			"BOOT_A_LEFT=2, BOOT_B_LEFT=3, BOOT_ORDER=A B"},
		// One FIT serves both slots: U-Boot refuses it for each.
		// QEMU stops at the first reset.
		{"a FIT changed after signing: refused, the try spent", "uboot-fit-changed", true, []string{"A (BOOT_ORDER=A B BOOT_A_LEFT=2 BOOT_B_LEFT=3)"},
			"Bad hash value for 'hash-1' hash node in 'kernel' image node", "", 0,
			"BOOT_A_LEFT=2, BOOT_B_LEFT=3, BOOT_ORDER=A B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			b := vmtest.Boot{Disks: []string{tc.disk}, Firmware: &vmtest.UBootARM64, Timeout: 15 * time.Minute, Keep: true}
			if tc.fit {
				b.QEMU = []string{"-dtb", a.fitDTB}
			}
			if tc.slot == "" {
				b.QEMU = append(b.QEMU, "-no-reboot")
			}
			r := a.Boot(t, b)
			t.Logf("%d boots in %s", len(tc.booted), time.Since(start).Round(time.Second))
			var booted []string
			for _, m := range regexp.MustCompile(`(?m)^verinit: booting slot (.*)$`).FindAllStringSubmatch(r.Console, -1) {
				booted = append(booted, m[1])
			}
			if strings.Join(booted, "\n") != strings.Join(tc.booted, "\n") {
				t.Errorf("U-Boot booted:\n  %s\nwant\n  %s", strings.Join(booted, "\n  "), strings.Join(tc.booted, "\n  "))
			}
			if !strings.Contains(r.Console, tc.uboot) {
				t.Errorf("U-Boot did not print %q", tc.uboot)
			}
			if n := len(regexp.MustCompile(`device-mapper: verity: \d+:\d+: data block 0 is corrupted`).FindAllString(r.Console, -1)); n != tc.corrupted {
				t.Errorf("the kernel found slot A's changed block %d times, want %d", n, tc.corrupted)
			}
			if tc.slot == "" {
				if strings.Contains(r.Console, "Booting Linux") || !strings.Contains(r.Console, "verinit: U-Boot started no kernel for slot A: resetting") {
					t.Errorf("U-Boot started a kernel, or did not reset when it refused to")
				}
			} else if !r.Reached || vmtest.Field(r.Status, "slot", "rauc.slot") != tc.slot {
				t.Fatalf("the real init was reached %v, in slot %v; want slot %s", r.Reached, vmtest.Field(r.Status, "slot", "rauc.slot"), tc.slot)
			}
			if got := ubootEnv(t, r.Disks[0], a.espOffset); got != tc.env {
				t.Errorf("uboot.env holds %q, want %q", got, tc.env)
			}
		})
	}
}

// ubootEnv reads uboot.env from the ESP at espOffset of disk, checks its
// CRC-32 and returns its variables, sorted, comma-separated.
func ubootEnv(t *testing.T, disk string, espOffset int64) string {
	t.Helper()
	b, err := exec.Command("mtype", "-i", disk+"@@"+strconv.FormatInt(espOffset, 10), "::/uboot.env").Output()
	if err != nil || len(b) != 0x4000 {
		t.Fatalf("mtype uboot.env: %d bytes, %v", len(b), err)
	}
	if crc := binary.LittleEndian.Uint32(b); crc != crc32.ChecksumIEEE(b[4:]) {
		t.Fatalf("uboot.env: CRC %#x, the data's is %#x", crc, crc32.ChecksumIEEE(b[4:]))
	}
	data, _, _ := bytes.Cut(b[4:], []byte{0, 0})
	vars := strings.Split(string(data), "\x00")
	slices.Sort(vars)
	return strings.Join(vars, ", ")
}
