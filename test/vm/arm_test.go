//go:build vm

package vm

import (
	"regexp"
	"strings"
	"testing"

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
