package rootdev

import (
	"errors"
	"fmt"
	"testing"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/fsdetect"
)

// fakeDevs returns n whole disks of 1 GiB, vd0, vd1, ...
func fakeDevs(n int) []blockdev.Device {
	devs := make([]blockdev.Device, n)
	for i := range devs {
		name := fmt.Sprintf("vd%d", i)
		devs[i] = blockdev.Device{Name: name, Disk: name, Major: 254, Minor: uint32(i), SizeBytes: 1 << 30}
	}
	return devs
}

// countingProber is a Prober whose LVM scan is scan, counted in *calls.
func countingProber(calls *int, scan func(blockdev.Device) pvScan) *Prober {
	p := NewProber()
	p.scanPV = func(d blockdev.Device) pvScan { *calls++; return scan(d) }
	return p
}

// read once, whatever it held.
func TestUnopenedReadAgain(t *testing.T) {
	devs := fakeDevs(2) // vd0 opens late, vd1 holds no GPT
	opens := map[string]int{}
	p := NewProber()
	p.readDisk = func(d blockdev.Device) Disk {
		opens[d.Name]++
		if d.Name == "vd0" && opens[d.Name] == 1 {
			return Disk{Device: d, Err: &blockdev.OpenError{Err: errors.New("blockdev: open /dev/" + d.Name + ": no such device or address")}}
		}
		return Disk{Device: d, Err: fmt.Errorf("no usable GPT")}
	}
	for range 3 {
		p.View(devs, Needs{Tables: true})
	}
	if opens["vd0"] != 2 || opens["vd1"] != 1 {
		t.Fatalf("reads %v, want vd0 twice (once unopened) and vd1 once", opens)
	}
	p.probeFS = func(d blockdev.Device) (fsdetect.Info, error) {
		opens["fs "+d.Name]++
		if opens["fs "+d.Name] == 1 {
			return fsdetect.Info{}, &blockdev.OpenError{Err: errors.New("blockdev: open /dev/" + d.Name + ": no such device or address")}
		}
		return fsdetect.Info{}, nil
	}
	calls := 0
	p.scanPV = func(d blockdev.Device) pvScan {
		calls++
		if calls == 1 {
			return pvScan{err: &blockdev.OpenError{Err: errors.New("blockdev: open /dev/" + d.Name + ": no such device or address")}}
		}
		return pvScan{}
	}
	for range 3 {
		p.View(devs[:1], Needs{FS: true, LVM: true})
	}
	wantScans := 2
	if !feature.LVM {
		wantScans = 0 // nothing reads LVM2 labels
	}
	if opens["fs vd0"] != 2 || calls != wantScans {
		t.Fatalf("file system probes %d, LVM scans %d, want 2 and %d", opens["fs vd0"], calls, wantScans)
	}
}
