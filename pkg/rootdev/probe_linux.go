package rootdev

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/lvm"
)

// Prober reads partition tables, file system superblocks and LVM2
// labels, once per device: a disk that is announced again with the same
// number and size is not read again. A device that could not be opened
// (a *blockdev.OpenError) was not read, and is tried again.
type Prober struct {
	disks map[string]probed[Disk]
	fs    map[string]probed[fsdetect.Info]
	pvs   map[string]probed[pvScan]
	// How one device is read (readDisk, probeFS, scanDevicePV; tests
	// fake them). Only a View that needs LVM calls scanPV.
	readDisk func(blockdev.Device) Disk
	probeFS  func(blockdev.Device) (fsdetect.Info, error)
	scanPV   func(blockdev.Device) pvScan
}

// What LVM scanning may cost, whatever the disks hold: every device is
// read for a label only when the root is an LV, at most MaxLVMDevices
// of them, and the PVs kept hold at most MaxLVMMetadataBytes of metadata
// text in all (each copy at most lvm.MaxMetadataBytes, read one device
// at a time; the text itself is not kept, only the volume group parsed
// from it, whose size the text bounds). A device past either bound is
// not used and says so in View.PVErrors.
const (
	MaxLVMDevices       = 256
	MaxLVMMetadataBytes = 64 << 20
)

type probed[T any] struct {
	dev   blockdev.Device
	value T
}

// cached returns what m holds for d, or reads d with read and keeps
// that unless d did not open.
func cached[T any](m map[string]probed[T], d blockdev.Device, read func(blockdev.Device) (T, error)) T {
	if c, ok := m[d.Name]; ok && c.dev == d {
		return c.value
	}
	value, err := read(d)
	var unopened *blockdev.OpenError
	if errors.As(err, &unopened) {
		delete(m, d.Name)
	} else {
		m[d.Name] = probed[T]{d, value}
	}
	return value
}

// NewProber returns an empty Prober.
func NewProber() *Prober {
	p := &Prober{
		disks:    map[string]probed[Disk]{},
		fs:       map[string]probed[fsdetect.Info]{},
		pvs:      map[string]probed[pvScan]{},
		readDisk: readDisk,
		probeFS:  probeFS,
	}
	if feature.LVM { // else pkg/lvm is not linked
		p.scanPV = scanDevicePV
	}
	return p
}

// Needs says what a View must read.
type Needs struct{ Tables, FS, LVM bool }

// Add is what n and m need together.
func (n Needs) Add(m Needs) Needs {
	return Needs{Tables: n.Tables || m.Tables, FS: n.FS || m.FS, LVM: n.LVM || m.LVM}
}

// NeedsOf is what resolving the specs needs.
func NeedsOf(specs ...Spec) Needs {
	var n Needs
	for _, s := range specs {
		n.Tables = n.Tables || s.NeedsTables()
		n.FS = n.FS || s.NeedsFS()
		n.LVM = n.LVM || s.NeedsLVM()
	}
	return n
}

// View reads what is needed from devs (only devices not read before).
func (p *Prober) View(devs []blockdev.Device, need Needs) View {
	v := View{Devices: devs, Disks: map[string]Disk{}, FS: map[string]fsdetect.Info{}}
	needTables, needFS := need.Tables, need.FS
	for _, d := range devs {
		if needTables && !d.IsPartition() && d.SizeBytes > 0 {
			v.Disks[d.Name] = cached(p.disks, d, func(d blockdev.Device) (Disk, error) {
				disk := p.readDisk(d)
				return disk, disk.Err
			})
		}
		if needFS && d.SizeBytes > 0 {
			// Unreadable or unknown: no match.
			v.FS[d.Name] = cached(p.fs, d, p.probeFS)
		}
	}
	switch {
	case need.LVM && !feature.LVM:
		v.LVMError = feature.ErrNoLVM
	case need.LVM:
		p.viewLVM(devs, &v)
	}
	return v
}

// viewLVM scans every device for an LVM2 label (devices we made
// ourselves, dm-*, are skipped) and assembles the volume groups, within
// MaxLVMDevices and MaxLVMMetadataBytes.
func (p *Prober) viewLVM(devs []blockdev.Device, v *View) {
	v.PVs = map[string]blockdev.Device{}
	var pvs []*lvm.PV
	refuse := func(d blockdev.Device, err error) {
		if v.PVErrors == nil {
			v.PVErrors = map[string]error{}
		}
		v.PVErrors[d.Name] = err
	}
	scanned, kept := 0, 0
	for _, d := range devs {
		if d.SizeBytes == 0 || strings.HasPrefix(d.Name, "dm-") {
			continue
		}
		if scanned++; scanned > MaxLVMDevices {
			refuse(d, fmt.Errorf("lvm: %s: not scanned: more than %d devices", d.Path(), MaxLVMDevices))
			continue
		}
		scan := cached(p.pvs, d, func(d blockdev.Device) (pvScan, error) {
			scan := p.scanPV(d)
			return scan, scan.err
		})
		switch {
		case scan.err != nil:
			refuse(d, scan.err)
		case scan.pv != nil:
			n := metadataBytes(scan.pv)
			if kept+n > MaxLVMMetadataBytes {
				err := fmt.Errorf("lvm: %s: not used: its %d bytes of metadata would take the PVs past %d bytes", d.Path(), n, MaxLVMMetadataBytes)
				p.pvs[d.Name] = probed[pvScan]{d, pvScan{err: err}} // nor kept
				refuse(d, err)
				continue
			}
			kept += n
			pvs = append(pvs, scan.pv)
			v.PVs[scan.pv.UUID] = d
		}
	}
	// Nor is what devices that went away held.
	present := make(map[string]bool, len(devs))
	for _, d := range devs {
		present[d.Name] = true
	}
	for name := range p.pvs {
		if !present[name] {
			delete(p.pvs, name)
		}
	}
	v.VGs, v.LVMError = lvm.Assemble(pvs)
}

// metadataBytes is the metadata text a PV's copies were parsed from.
func metadataBytes(pv *lvm.PV) int {
	n := 0
	for _, md := range pv.Metadata {
		n += md.Size
	}
	return n
}

// pvScan is what scanning one device found: a PV, nothing, or an error.
type pvScan struct {
	pv  *lvm.PV
	err error
}

// scanDevicePV reads the LVM2 label of d. No label is not an error.
func scanDevicePV(d blockdev.Device) pvScan {
	f, err := blockdev.Open(d)
	if err != nil {
		return pvScan{err: err}
	}
	defer f.Close()
	pv, err := lvm.ScanPV(f, d.SizeBytes)
	if errors.Is(err, lvm.ErrNotPV) {
		return pvScan{}
	}
	if err != nil {
		return pvScan{err: fmt.Errorf("%s: %w", d.Path(), err)}
	}
	return pvScan{pv: pv}
}

func readDisk(d blockdev.Device) Disk {
	disk := Disk{Device: d}
	f, err := blockdev.Open(d)
	if err != nil {
		disk.Err = err
		return disk
	}
	defer f.Close()
	sector, err := blockdev.SectorSize(f)
	if err != nil {
		disk.Err = err
		return disk
	}
	size, err := blockdev.Size(f)
	if err != nil {
		disk.Err = err
		return disk
	}
	t, err := gpt.Read(newHeadReader(f, size), size, sector)
	if err != nil {
		disk.Err = fmt.Errorf("no usable GPT: %w", err)
		return disk
	}
	disk.Table = t
	return disk
}

// headBytes is what readDisk reads in one go before parsing: the
// protective MBR, the primary header and a 128-entry array, with
// 512- or 4096-byte sectors. One read lets the kernel fetch it in one
// request; piecemeal, its first readahead (16 KiB) ends inside the array
// and the array costs a second request.
const headBytes = 64 << 10

// headReader serves reads within the first headBytes of a disk from
// one read made up front, and others from the disk. If that read fails,
// every read goes to the disk, so that errors name their own offsets.
type headReader struct {
	r    io.ReaderAt
	head []byte
}

func newHeadReader(r io.ReaderAt, size int64) headReader {
	head := make([]byte, min(size, headBytes))
	if n, _ := r.ReadAt(head, 0); n != len(head) {
		head = nil
	}
	return headReader{r: r, head: head}
}

func (h headReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= 0 && off+int64(len(p)) <= int64(len(h.head)) {
		return copy(p, h.head[off:]), nil
	}
	return h.r.ReadAt(p, off)
}

func probeFS(d blockdev.Device) (fsdetect.Info, error) {
	f, err := blockdev.Open(d)
	if err != nil {
		return fsdetect.Info{}, err
	}
	defer f.Close()
	return fsdetect.Probe(f, d.SizeBytes)
}
