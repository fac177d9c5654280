// Package bootpath measures the init's own CPU work on the host, the way
// the init does it: the command line and a packed policy to a Config, the
// partition tables read and the decision made, the signed root hash read
// from its root-verity-sig partition and checked against the packed
// certificate, the superblock and the tree's top block checked, the table
// made, and status.json written. `make bench` reports it against the
// budget of 2 ms (issue 22): under QEMU's TCG the same work is emulated,
// so the VM figure measures the emulator as much as the init.
package bootpath

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/image"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/locate/images"
	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/sig/sign"
	"github.com/verinit/verinit/pkg/status"
	"github.com/verinit/verinit/pkg/veritysig"
)

// fixture is an A/B disk whose slots are signed, the certificate that
// signs them, and slot A's command line in its signed form.
type fixture struct {
	disk    string
	certPEM []byte
	line    string
	policy  []byte
}

var (
	once sync.Once
	fix  fixture
	err0 error
)

func setup(b *testing.B) fixture {
	b.Helper()
	once.Do(func() { fix, err0 = makeFixture() })
	if err0 != nil {
		b.Fatal(err0)
	}
	return fix
}

func makeFixture() (fixture, error) {
	dir, err := os.MkdirTemp("", "verinit-bootpath-")
	if err != nil {
		return fixture{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fixture{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bootpath"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fixture{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fixture{}, err
	}
	// A 4 MiB root: the size does not matter, only the tree's top does.
	root := make([]byte, 4<<20)
	r := mrand.NewChaCha8([32]byte{'b', 'o', 'o', 't'})
	_, _ = r.Read(root)
	rootPath := filepath.Join(dir, "root.img")
	if err := os.WriteFile(rootPath, root, 0o644); err != nil {
		return fixture{}, err
	}
	disk := filepath.Join(dir, "disk.img")
	f, err := os.Create(disk)
	if err != nil {
		return fixture{}, err
	}
	defer f.Close()
	l, err := image.Create(f, image.Spec{Image: rootPath, Slots: 2, Arch: dps.ArchX86_64,
		Sign: func(rootHash []byte) ([]byte, error) {
			h := hex.EncodeToString(rootHash)
			sigDER, err := sign.RootHash(h, key, cert, sign.Options{})
			if err != nil {
				return nil, err
			}
			return sign.VeritySigJSON(h, cert, sigDER)
		}})
	if err != nil {
		return fixture{}, err
	}
	return fixture{disk: disk, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		line:   "console=ttyS0 quiet " + l.Slots[0].SigCmdline(),
		policy: []byte("signature=required\n")}, nil
}

// BenchmarkBootPath is one boot's CPU work, from /proc/cmdline to the
// table and status.json, with the devices read from a disk image.
func BenchmarkBootPath(b *testing.B) {
	f := setup(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := bootPath(f); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBootPath runs the path once, so that `go test` keeps it working.
func TestBootPath(t *testing.T) {
	f, err := makeFixture()
	if err != nil {
		t.Fatal(err)
	}
	if err := bootPath(f); err != nil {
		t.Fatal(err)
	}
}

func bootPath(f fixture) error {
	cfg, err := config.Parse(cmdline.Parse(f.line), config.Packed{Policy: f.policy})
	if err != nil {
		return err
	}
	im, err := images.Open([]string{f.disk})
	if err != nil {
		return err
	}
	defer im.Close()
	d, done, err := locate.Decide(locate.Input{Config: &cfg, Arch: dps.ArchX86_64}, im.View)
	if err != nil || !done {
		return errorf("decide: done %v, %v, missing %v", done, err, d.Missing)
	}
	sigPart, sigSize, err := im.OpenMatch(d.Sig)
	if err != nil {
		return err
	}
	// As the init reads it: the whole partition, padding and all.
	content := make([]byte, min(sigSize, veritysig.MaxPartitionBytes))
	if _, err := io.ReadFull(io.NewSectionReader(sigPart, 0, sigSize), content); err != nil {
		return err
	}
	vs, err := veritysig.Parse(content)
	if err != nil {
		return err
	}
	roots, err := sig.ParseCertificates(f.certPEM)
	if err != nil {
		return err
	}
	v := cfg.Verity
	v.RootHash = vs.RootHash
	data, dataSize, err := im.OpenMatch(d.Data)
	if err != nil {
		return err
	}
	hash, _, err := im.OpenMatch(d.Hash)
	if err != nil {
		return err
	}
	prep, err := activate.Prepare(v, data, dataSize, "vda1", hash, "vda2",
		activate.Trust{Sig: vs.Signature, RootHash: vs.RootHash, Roots: roots, Policy: cfg.Policy})
	if err != nil {
		return err
	}
	_, params, _, err := prep.Table("254:1", "254:2")
	if err != nil {
		return err
	}
	st := status.Status{Cmdline: f.line, Verity: &status.Verity{Device: "/dev/mapper/root", RootHash: v.RootHash, Table: params}}
	if len(st.JSON()) == 0 {
		return errorf("empty status")
	}
	return nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
