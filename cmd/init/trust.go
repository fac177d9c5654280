package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/sig"
)

// certDir holds the certificates `verinit initramfs --cert` packs.
const certDir = "/etc/verinit/certs"

// trust gathers what the root hash is checked against: the packed
// certificates and the signature, from the first source that has one:
// the command line (base64, a file in the initramfs, a partition), a
// file beside Yocto's dm-verity.env, or the Discoverable Partitions
// root-verity-sig partition paired with the data partition.
func (b *boot) trust(wt *rootdev.Waiter, view rootdev.View, d locate.Decision, v *config.Verity) (activate.Trust, error) {
	t := activate.Trust{Required: b.cfg.Policy.Signature == config.Required}
	pems, _ := filepath.Glob(filepath.Join(certDir, "*.pem"))
	for _, p := range pems {
		b, err := readBounded(p, sig.MaxSignatureBytes)
		if err != nil {
			return t, err
		}
		certs, err := sig.ParseCertificates(b)
		if err != nil {
			return t, fmt.Errorf("%s: %w", p, err)
		}
		t.Roots = append(t.Roots, certs...)
	}
	var err error
	switch src := v.Sig; {
	case src.Inline != nil:
		t.Sig, t.SigFrom = src.Inline, src.From+"=base64:..."
	case src.Path != "":
		t.SigFrom = src.From + "=" + src.Path
		t.Sig, err = readBounded(src.Path, sig.MaxSignatureBytes)
	case src.Part.Kind != 0:
		ms, _, werr := wt.Wait(src.Part)
		if werr != nil {
			return t, fmt.Errorf("signature %w", werr)
		}
		t.SigFrom = src.From + "=" + src.Part.Raw + " (" + ms[0].Device.Path() + ")"
		t.Sig, err = readPartitionDER(ms[0].Device)
	default:
		if _, serr := os.Stat(config.VeritySigEnvPath); serr == nil {
			t.SigFrom = config.VeritySigEnvPath
			t.Sig, err = readBounded(config.VeritySigEnvPath, sig.MaxSignatureBytes)
		} else if dev, ok := sigPartition(view, d.Data); ok {
			t.SigFrom = "root-verity-sig partition " + dev.Path()
			t.Sig, err = readVeritySig(dev, v.RootHash)
		}
	}
	return t, err
}

// sigPartition finds the DPS root-verity-sig partition on the data
// partition's disk, when the data is a GPT partition.
func sigPartition(v rootdev.View, data rootdev.Match) (blockdev.Device, bool) {
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

// readVeritySig reads a root-verity-sig partition's JSON and checks that
// it is about this root hash.
func readVeritySig(dev blockdev.Device, rootHash string) ([]byte, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, min(dev.SizeBytes, sig.MaxVeritySigBytes)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dev.Path(), err)
	}
	vs, err := sig.ParseVeritySigJSON(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dev.Path(), err)
	}
	if vs.RootHash != rootHash {
		return nil, fmt.Errorf("%s: the signature partition is for root hash %s, not %s", dev.Path(), vs.RootHash, rootHash)
	}
	return vs.Signature, nil
}

// readPartitionDER reads a DER signature stored raw at the start of a
// partition (the rest is padding): the DER header gives its length.
func readPartitionDER(dev blockdev.Device) ([]byte, error) {
	f, err := blockdev.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 6)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", dev.Path(), err)
	}
	n, ok := derLength(head)
	if !ok || n > sig.MaxSignatureBytes {
		return nil, fmt.Errorf("%s: no DER signature at the start of the partition", dev.Path())
	}
	der := make([]byte, n)
	if _, err := f.ReadAt(der, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", dev.Path(), err)
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

// readBounded reads a small file from the initramfs.
func readBounded(path string, max int) ([]byte, error) {
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
