//go:build !verinit_nolvm

package rootdev

import (
	"fmt"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/lvm"
)

// TestLVMScannedOnlyForAnLV: no LVM2 label is read unless the root is
// named as an LV; then each device once, however often it is viewed.
func TestLVMScannedOnlyForAnLV(t *testing.T) {
	calls := 0
	p := countingProber(&calls, func(blockdev.Device) pvScan { return pvScan{} })
	devs := fakeDevs(3)
	for _, spec := range []string{"PARTUUID=7c2e4d5f-0000-4000-8000-0000000000f1", "PARTLABEL=root-a", "/dev/vda2"} {
		s, err := ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		if need := NeedsOf(s); need.LVM {
			t.Errorf("%s needs LVM", spec)
		}
		p.View(devs, Needs{})
	}
	if calls != 0 {
		t.Fatalf("%d devices scanned for LVM2 labels, want none", calls)
	}
	s, err := ParseSpec("LVM=vg/root")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		p.View(devs, NeedsOf(s))
	}
	if calls != len(devs) {
		t.Fatalf("%d scans of %d devices viewed three times, want each once", calls, len(devs))
	}
}

// TestLVMDeviceBound: at most MaxLVMDevices devices are scanned; the
// rest say so, one line each.
func TestLVMDeviceBound(t *testing.T) {
	calls := 0
	p := countingProber(&calls, func(blockdev.Device) pvScan { return pvScan{} })
	devs := fakeDevs(MaxLVMDevices + 44)
	v := p.View(devs, Needs{LVM: true})
	if calls != MaxLVMDevices {
		t.Errorf("%d devices scanned, want %d", calls, MaxLVMDevices)
	}
	if len(v.PVErrors) != 44 {
		t.Fatalf("%d devices refused, want 44", len(v.PVErrors))
	}
	err := v.PVErrors[fmt.Sprintf("vd%d", MaxLVMDevices)]
	if want := fmt.Sprintf("lvm: /dev/vd%d: not scanned: more than %d devices", MaxLVMDevices, MaxLVMDevices); err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestLVMMetadataBound: the PVs kept hold at most MaxLVMMetadataBytes of
// metadata; a PV past it is refused, dropped and not read again.
func TestLVMMetadataBound(t *testing.T) {
	const each = 20 << 20 // three fit in 64 MiB, the fourth does not
	calls := 0
	p := countingProber(&calls, func(d blockdev.Device) pvScan {
		vg := &lvm.VG{Name: "vg" + d.Name, UUID: "uuid-" + d.Name}
		return pvScan{pv: &lvm.PV{UUID: "pv-" + d.Name, Metadata: []*lvm.Metadata{{Size: each, VG: vg}}}}
	})
	devs := fakeDevs(5)
	for range 2 {
		v := p.View(devs, Needs{LVM: true})
		if len(v.PVs) != 3 || len(v.VGs) != 3 {
			t.Fatalf("%d PVs and %d VGs kept, want 3", len(v.PVs), len(v.VGs))
		}
		for _, name := range []string{"vd3", "vd4"} {
			err := v.PVErrors[name]
			if err == nil || !strings.Contains(err.Error(), "lvm: /dev/"+name+": not used: its 20971520 bytes of metadata would take the PVs past 67108864 bytes") {
				t.Errorf("%s: error %v", name, err)
			}
		}
		kept := 0
		for _, c := range p.pvs {
			if c.value.pv != nil {
				kept += metadataBytes(c.value.pv)
			}
		}
		if kept > MaxLVMMetadataBytes {
			t.Errorf("the prober keeps PVs with %d bytes of metadata, more than %d", kept, MaxLVMMetadataBytes)
		}
	}
	if calls != 5 {
		t.Errorf("%d scans, want 5 (each device once)", calls)
	}
	// A device that went away takes its PV with it.
	p.View(devs[1:], Needs{LVM: true})
	if _, ok := p.pvs["vd0"]; ok {
		t.Errorf("vd0 is gone but its PV is kept")
	}
}

// TestUnopenedReadAgain: a disk the kernel lists before it can be opened
// (ENXIO) is read again on the next view, while a disk that opened is
