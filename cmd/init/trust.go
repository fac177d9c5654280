package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/config"
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
	t := activate.Trust{Policy: b.cfg.Policy}
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
		t.Sig, err = activate.ReadPartitionDER(ms[0].Device)
	default:
		if _, serr := os.Stat(config.VeritySigEnvPath); serr == nil {
			t.SigFrom = config.VeritySigEnvPath
			t.Sig, err = readBounded(config.VeritySigEnvPath, sig.MaxSignatureBytes)
		} else if dev, ok := activate.SigPartition(view, d.Data); ok {
			t.SigFrom = "root-verity-sig partition " + dev.Path()
			t.Sig, err = activate.ReadVeritySig(dev, v.RootHash)
		}
	}
	return t, err
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
