// Package images presents disk image files (or block devices) as the
// init would see them as disks, for `verinit inspect`'s dry run: the same
// rootdev.View, so that locate.Decide and activate.Prepare make the same
// decisions on them as at boot. It opens files by path, so it is for the
// host: the init reads devices through pkg/rootdev.
package images

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/lvm"
	"github.com/verinit/verinit/pkg/rootdev"
)

// Images are disk image files (or block devices) seen as the init would
// see them as disks: the first is vda, the second vdb, and so on, with the
// partition devices the kernel would make from their partition tables.
type Images struct {
	View  rootdev.View
	files map[string]*os.File // disk name -> file
}

// virtioMajor is what the demo VM's disks have; only for MAJ:MIN display.
const virtioMajor = 254

// Open opens each path read-only and reads its partition table.
func Open(paths []string) (*Images, error) {
	im := &Images{View: rootdev.View{Disks: map[string]rootdev.Disk{}}, files: map[string]*os.File{}}
	for i, p := range paths {
		if i >= 26 {
			return nil, fmt.Errorf("inspect: at most 26 disks")
		}
		name := "vd" + string(rune('a'+i))
		f, err := os.Open(p)
		if err != nil {
			im.Close()
			return nil, fmt.Errorf("inspect: %w", err)
		}
		im.files[name] = f
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			im.Close()
			return nil, fmt.Errorf("inspect: %s: %w", p, err)
		}
		disk := blockdev.Device{Name: name, Disk: name, Major: virtioMajor, Minor: uint32(16 * i), SizeBytes: size}
		im.View.Devices = append(im.View.Devices, disk)
		d := rootdev.Disk{Device: disk}
		sector, err := gpt.ProbeSectorSize(f, size)
		if err == nil {
			d.Table, err = gpt.Read(f, size, sector)
		}
		if err != nil {
			d.Err = fmt.Errorf("no usable GPT: %w", err)
		} else if !d.Table.FromBackup {
			// The kernel makes partition devices only from a valid
			// primary GPT (without the gpt parameter).
			for _, part := range d.Table.Partitions {
				im.View.Devices = append(im.View.Devices, blockdev.Device{
					Name: fmt.Sprintf("%s%d", name, part.Number), Disk: name, Partition: part.Number,
					Major: virtioMajor, Minor: uint32(16*i + part.Number),
					SizeBytes: int64(part.SizeBytes(d.Table.SectorSize)),
				})
			}
		}
		im.View.Disks[name] = d
	}
	im.scanLVM()
	return im, nil
}

// scanLVM finds the LVM2 PVs among the devices and assembles their VGs,
// as the init's prober does.
func (im *Images) scanLVM() {
	im.View.PVs = map[string]blockdev.Device{}
	var pvs []*lvm.PV
	for _, d := range im.View.Devices {
		r, size, err := im.Open(d)
		if err != nil {
			continue
		}
		pv, err := lvm.ScanPV(r, size)
		if errors.Is(err, lvm.ErrNotPV) {
			continue
		}
		if err != nil {
			if im.View.PVErrors == nil {
				im.View.PVErrors = map[string]error{}
			}
			im.View.PVErrors[d.Name] = fmt.Errorf("/dev/%s: %w", d.Name, err)
			continue
		}
		pvs = append(pvs, pv)
		im.View.PVs[pv.UUID] = d
	}
	im.View.VGs, im.View.LVMError = lvm.Assemble(pvs)
}

// OpenMatch returns a reader over a matched device: the device itself,
// or for a logical volume its extents mapped through the activation plan
// (what the dm device would show).
func (im *Images) OpenMatch(m rootdev.Match) (io.ReaderAt, int64, error) {
	if m.LV == nil {
		return im.Open(m.Device)
	}
	lr := &lvReader{plan: m.LV, pvs: map[string]io.ReaderAt{}}
	for uuid, d := range m.PVs {
		r, _, err := im.Open(d)
		if err != nil {
			return nil, 0, err
		}
		lr.pvs[uuid] = r
	}
	return lr, int64(m.LV.Sectors) * 512, nil
}

// lvReader reads a logical volume through its linear and striped targets.
type lvReader struct {
	plan *lvm.Plan
	pvs  map[string]io.ReaderAt
}

func (l *lvReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		var t *lvm.Target
		for i := range l.plan.Targets {
			tt := &l.plan.Targets[i]
			if pos >= int64(tt.StartSector)*512 && pos < int64(tt.StartSector+tt.Sectors)*512 {
				t = tt
				break
			}
		}
		if t == nil {
			return n, io.EOF
		}
		rel := pos - int64(t.StartSector)*512
		end := int64(t.Sectors) * 512
		area, areaOff := t.Areas[0], rel
		if t.Type == "striped" {
			chunk := int64(t.ChunkSectors) * 512
			k, in := rel/chunk, rel%chunk
			area = t.Areas[k%int64(len(t.Areas))]
			areaOff = (k/int64(len(t.Areas)))*chunk + in
			end = rel - in + chunk // stay inside this chunk
		}
		want := min(int64(len(p)-n), end-rel)
		r := l.pvs[area.PVUUID]
		if r == nil {
			return n, fmt.Errorf("inspect: no device for PV %s", area.PVUUID)
		}
		got, err := r.ReadAt(p[n:n+int(want)], int64(area.OffsetSectors)*512+areaOff)
		n += got
		if err != nil && !(errors.Is(err, io.EOF) && int64(got) == want) {
			return n, err
		}
	}
	return n, nil
}

// Close closes the files.
func (im *Images) Close() {
	for _, f := range im.files {
		f.Close()
	}
}

// Open returns a reader over device d (a disk or one of its partitions)
// and its size.
func (im *Images) Open(d blockdev.Device) (io.ReaderAt, int64, error) {
	f, ok := im.files[d.Disk]
	if !ok {
		return nil, 0, fmt.Errorf("inspect: no disk %s", d.Disk)
	}
	if !d.IsPartition() {
		return f, d.SizeBytes, nil
	}
	t := im.View.Disks[d.Disk].Table
	for _, p := range t.Partitions {
		if p.Number == d.Partition {
			off := int64(p.FirstLBA) * int64(t.SectorSize)
			return io.NewSectionReader(f, off, d.SizeBytes), d.SizeBytes, nil
		}
	}
	return nil, 0, fmt.Errorf("inspect: no partition %d on %s", d.Partition, d.Disk)
}
