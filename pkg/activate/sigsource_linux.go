package activate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/veritysig"
)

// readVeritySigJSON reads a root-verity-sig partition's JSON.
func readVeritySigJSON(dev blockdev.Device) (veritysig.Partition, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return veritysig.Partition{}, err
	}
	defer f.Close()
	return VeritySigJSONAt(f, dev.SizeBytes, dev.Path())
}

// ReadVeritySig reads a root-verity-sig partition's JSON and checks that
// it is about this root hash.
func ReadVeritySig(dev blockdev.Device, rootHash string) ([]byte, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return VeritySigAt(f, dev.SizeBytes, dev.Path(), rootHash)
}

// ReadPartitionDER reads a DER signature stored raw at the start of a
// partition (the rest is padding): the DER header gives its length.
func ReadPartitionDER(dev blockdev.Device) ([]byte, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return PartitionDERAt(f, dev.Path())
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
