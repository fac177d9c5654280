package activate

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/veritysig"
)

// CertDir holds the certificates `verinit initramfs --cert` packs.
const CertDir = "/etc/verinit/certs"

// SigSources is where GatherTrust looks for certificates and the
// signature: the initramfs and the block devices for the init
// (DeviceSources), fakes in tests.
type SigSources interface {
	// File reads a small file of the initramfs, at most max bytes. An
	// absent file is an error matching fs.ErrNotExist.
	File(path string, max int) ([]byte, error)
	// Certificates lists the packed certificate files.
	Certificates() ([]string, error)
	// PartitionDER waits for the device spec names and reads the DER
	// signature at its start; name is the device, for messages.
	PartitionDER(spec rootdev.Spec) (name string, der []byte, err error)
	// VeritySig reads the Discoverable Partitions root-verity-sig
	// partition paired with the data partition, if there is one, and
	// returns the signature it holds for rootHash.
	VeritySig(data rootdev.Match, rootHash string) (name string, der []byte, found bool, err error)
	// SignedRootHash reads the root hash a root-verity-sig partition's
	// JSON names, and its signature.
	SignedRootHash(part rootdev.Match) (name, rootHash string, der []byte, err error)
}

// UnsignedTrust is GatherTrust in an init built without signature
// support (feature.Sig): the root hash is trusted as given, so nothing may
// ask for a signature: a policy that requires one, a signature named on
// the command line, or the kernel's check of one. A signature the init
// would only have found (beside dm-verity.env, a root-verity-sig
// partition) is not looked for.
func UnsignedTrust(v *config.Verity, p config.Policy) (Trust, error) {
	t := Trust{Policy: p}
	switch {
	case p.Signature == config.Required:
		return t, fmt.Errorf("verity: %w: the policy requires a signed root hash", feature.ErrNoSig)
	case v.Sig.Given():
		return t, fmt.Errorf("verity: %s: %w", v.Sig.From, feature.ErrNoSig)
	case v.KernelSig:
		return t, fmt.Errorf("verity: verinit.verity_sig=kernel: %w", feature.ErrNoSig)
	}
	return t, nil
}

// GatherTrust collects what the root hash of v is checked against under
// policy p: the packed certificates and the signature, from the first
// source that has one: the command line (base64, a file in the
// initramfs, a partition), a file beside Yocto's dm-verity.env, or the
// root-verity-sig partition paired with the data partition.
//
// With verinit.roothash_sig= the root hash itself comes with the
// signature, from the partition sigPart: it is in Trust.RootHash, for the
// caller to put into v before Prepare, which checks the signature over it
// (config allows the key only when a signature is required).
func GatherTrust(v *config.Verity, p config.Policy, data, sigPart rootdev.Match, src SigSources) (Trust, error) {
	if !feature.Sig { // pkg/sig is not linked
		return UnsignedTrust(v, p)
	}
	t := Trust{Policy: p}
	files, err := src.Certificates()
	if err != nil {
		return t, fmt.Errorf("certificates: %w", err)
	}
	for _, f := range files {
		pem, err := src.File(f, veritysig.MaxSignatureBytes)
		if err != nil {
			return t, err
		}
		certs, err := parseRoots(pem)
		if err != nil {
			return t, fmt.Errorf("%s: %w", f, err)
		}
		t.Roots = append(t.Roots, certs...)
	}
	switch s := v.Sig; {
	case v.Source == config.FromSignature:
		var name string
		name, t.RootHash, t.Sig, err = src.SignedRootHash(sigPart)
		t.SigFrom = "verinit.roothash_sig=" + v.RootHashFrom.Raw + " (" + name + ")"
	case s.Inline != nil:
		t.Sig, t.SigFrom = s.Inline, s.From+"=base64:..."
	case s.Path != "":
		t.SigFrom = s.From + "=" + s.Path
		t.Sig, err = src.File(s.Path, veritysig.MaxSignatureBytes)
	case s.Part.Kind != 0:
		var name string
		name, t.Sig, err = src.PartitionDER(s.Part)
		t.SigFrom = s.From + "=" + s.Part.Raw + " (" + name + ")"
	default:
		t.Sig, err = src.File(config.VeritySigEnvPath, veritysig.MaxSignatureBytes)
		if err == nil {
			t.SigFrom = config.VeritySigEnvPath
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return t, err
		}
		name, der, found, verr := src.VeritySig(data, v.RootHash)
		if found {
			t.Sig, t.SigFrom, err = der, "root-verity-sig partition "+name, verr
		} else {
			err = verr
		}
	}
	return t, err
}
