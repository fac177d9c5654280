package activate

import (
	"fmt"
	"io"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/veritysig"
)

// SigPartition finds the DPS root-verity-sig partition on the data
// partition's disk, when the data is a GPT partition.
func SigPartition(v rootdev.View, data rootdev.Match) (blockdev.Device, bool) {
	disk, ok := v.Disks[data.Device.Disk]
	if !ok || disk.Table == nil || !data.Device.IsPartition() {
		return blockdev.Device{}, false
	}
	for _, p := range disk.Table.Partitions {
		if p.Number != data.Device.Partition {
			continue
		}
		s, err := dps.FindVeritySig(dps.Disk{Name: data.Device.Disk, Table: disk.Table}, p)
		if err != nil {
			return blockdev.Device{}, false
		}
		for _, dev := range v.Devices {
			if dev.Disk == data.Device.Disk && dev.Partition == s.Number {
				return dev, true
			}
		}
	}
	return blockdev.Device{}, false
}

// VeritySigJSONAt reads the root-verity-sig JSON of the partition of size
// bytes in r, named name in errors.
func VeritySigJSONAt(r io.ReaderAt, size int64, name string) (veritysig.Partition, error) {
	// One buffer of the partition's size: the padding after the JSON is
	// checked too, so all of it is read.
	n := max(0, min(size, veritysig.MaxPartitionBytes))
	buf := make([]byte, n)
	if err := readFullAt(r, buf); err != nil {
		return veritysig.Partition{}, fmt.Errorf("%s: read the signature JSON at byte 0x0 (%d bytes): %w", name, n, err)
	}
	vs, err := veritysig.Parse(buf)
	if err != nil {
		return veritysig.Partition{}, fmt.Errorf("%s: %w", name, err)
	}
	return vs, nil
}

// VeritySigAt is VeritySigJSONAt that also checks the JSON is about
// rootHash, and returns its signature.
func VeritySigAt(r io.ReaderAt, size int64, name, rootHash string) ([]byte, error) {
	vs, err := VeritySigJSONAt(r, size, name)
	if err != nil {
		return nil, err
	}
	if vs.RootHash != rootHash {
		return nil, fmt.Errorf("%s: the signature partition is for root hash %s, not %s", name, vs.RootHash, rootHash)
	}
	return vs.Signature, nil
}

// readFullAt fills b from the start of r; io.EOF with every byte read
// (allowed of an io.ReaderAt at its end) is no error.
func readFullAt(r io.ReaderAt, b []byte) error {
	n, err := r.ReadAt(b, 0)
	if n == len(b) {
		return nil
	}
	return err
}

// PartitionDERAt reads the DER signature at the start of r.
func PartitionDERAt(r io.ReaderAt, name string) ([]byte, error) {
	head := make([]byte, 6)
	if err := readFullAt(r, head); err != nil {
		return nil, fmt.Errorf("%s: read the DER header at byte 0x0: %w", name, err)
	}
	n, ok := derLength(head)
	if !ok || n > veritysig.MaxSignatureBytes {
		return nil, fmt.Errorf("%s: no DER signature at the start of the partition", name)
	}
	der := make([]byte, n)
	if err := readFullAt(r, der); err != nil {
		return nil, fmt.Errorf("%s: read the %d-byte signature at byte 0x0: %w", name, n, err)
	}
	return der, nil
}

// derLength is the total length of the DER SEQUENCE starting at b.
func derLength(b []byte) (int, bool) {
	if len(b) < 2 || b[0] != 0x30 {
		return 0, false
	}
	if b[1] < 0x80 {
		return 2 + int(b[1]), true
	}
	k := int(b[1] & 0x7f)
	if k == 0 || k > 3 || len(b) < 2+k {
		return 0, false
	}
	n := 0
	for _, c := range b[2 : 2+k] {
		n = n<<8 | int(c)
	}
	return 2 + k + n, true
}
