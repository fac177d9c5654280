package activate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/sig"
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

// readVeritySigJSON reads a root-verity-sig partition's JSON.
func readVeritySigJSON(dev blockdev.Device) (sig.VeritySig, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return sig.VeritySig{}, err
	}
	defer f.Close()
	// One buffer of the partition's size: the padding after the JSON is
	// checked too, so all of it is read.
	buf := make([]byte, max(0, min(dev.SizeBytes, sig.MaxVeritySigBytes)))
	if _, err := io.ReadFull(f, buf); err != nil {
		return sig.VeritySig{}, fmt.Errorf("%s: read the signature JSON at byte 0x0 (%d bytes): %w", dev.Path(), min(dev.SizeBytes, sig.MaxVeritySigBytes), err)
	}
	vs, err := sig.ParseVeritySigJSON(buf)
	if err != nil {
		return sig.VeritySig{}, fmt.Errorf("%s: %w", dev.Path(), err)
	}
	return vs, nil
}

// ReadVeritySig reads a root-verity-sig partition's JSON and checks that
// it is about this root hash.
func ReadVeritySig(dev blockdev.Device, rootHash string) ([]byte, error) {
	vs, err := readVeritySigJSON(dev)
	if err != nil {
		return nil, err
	}
	if vs.RootHash != rootHash {
		return nil, fmt.Errorf("%s: the signature partition is for root hash %s, not %s", dev.Path(), vs.RootHash, rootHash)
	}
	return vs.Signature, nil
}

// ReadPartitionDER reads a DER signature stored raw at the start of a
// partition (the rest is padding): the DER header gives its length.
func ReadPartitionDER(dev blockdev.Device) ([]byte, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 6)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%s: read the DER header at byte 0x0: %w", dev.Path(), err)
	}
	n, ok := derLength(head)
	if !ok || n > sig.MaxSignatureBytes {
		return nil, fmt.Errorf("%s: no DER signature at the start of the partition", dev.Path())
	}
	der := make([]byte, n)
	if _, err := f.ReadAt(der, 0); err != nil {
		return nil, fmt.Errorf("%s: read the %d-byte signature at byte 0x0: %w", dev.Path(), n, err)
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

// DeviceSources are the init's SigSources: files of the initramfs, and
// the block devices through the device stage's Waiter and last View.
type DeviceSources struct {
	Waiter *rootdev.Waiter
	View   rootdev.View
}

// File reads a small file of the initramfs.
func (DeviceSources) File(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > max {
		return nil, errors.New(path + ": larger than expected")
	}
	return b, nil
}

// Certificates lists the packed certificates.
func (DeviceSources) Certificates() ([]string, error) {
	return filepath.Glob(filepath.Join(CertDir, "*.pem"))
}

// PartitionDER waits for the partition and reads the signature at its
// start.
func (s DeviceSources) PartitionDER(spec rootdev.Spec) (string, []byte, error) {
	ms, _, err := s.Waiter.Wait(spec)
	if err != nil {
		return "", nil, fmt.Errorf("signature %w", err)
	}
	der, err := ReadPartitionDER(ms[0].Device)
	return ms[0].Device.Path(), der, err
}

// SignedRootHash reads the root hash and its signature from the
// root-verity-sig JSON on the partition verinit.roothash_sig= named.
func (DeviceSources) SignedRootHash(part rootdev.Match) (string, string, []byte, error) {
	vs, err := readVeritySigJSON(part.Device)
	return part.Device.Path(), vs.RootHash, vs.Signature, err
}

// VeritySig reads the root-verity-sig partition paired with data.
func (s DeviceSources) VeritySig(data rootdev.Match, rootHash string) (string, []byte, bool, error) {
	dev, ok := SigPartition(s.View, data)
	if !ok {
		return "", nil, false, nil
	}
	der, err := ReadVeritySig(dev, rootHash)
	return dev.Path(), der, true, err
}
