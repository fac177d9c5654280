package locate

import (
	"fmt"
	"io"
	"os"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/gpt"
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

// OpenImages opens each path read-only and reads its partition table.
func OpenImages(paths []string) (*Images, error) {
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
	return im, nil
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
