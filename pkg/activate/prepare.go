package activate

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/verity"
	"github.com/verinit/verinit/pkg/veritysig"
)

// superblockSize is what veritysetup writes at the hash offset.
const superblockSize = 512

// Prepared is a verity setup whose root hash was checked against the
// tree: what is left is to load it.
type Prepared struct {
	Params     verity.Params
	RootHash   []byte
	HashOffset uint64            // bytes: the superblock (or tree) on the hash device
	Options    []string          // optional table arguments
	Signer     *veritysig.Signer // who signed the root hash, nil when unsigned
}

// Prepare reads the superblock (unless the configuration says there is
// none), merges it with the configuration, and checks the root hash
// against the top block of the tree. It only reads, through io.ReaderAt,
// so that `verinit inspect` runs the same checks on image files. The
// names are for messages.
func Prepare(v *config.Verity, data io.ReaderAt, dataBytes int64, dataName string, hash io.ReaderAt, hashName string, trust Trust) (*Prepared, error) {
	// The signature first: it is cheap, and says whether the root hash
	// (and so everything read below) can be trusted at all.
	signer, err := checkSignature(v.RootHash, trust)
	if err != nil {
		return nil, err
	}
	offset := v.HashOffset
	if v.HashOffsetFromFS {
		if offset, err = findAppended(data, dataBytes, dataName); err != nil {
			return nil, err
		}
		dataBytes = int64(offset) // the data ends where the tree starts
	}
	var sb *verity.Superblock
	if !v.Options.NoSuperblock {
		buf := make([]byte, superblockSize)
		if _, err := hash.ReadAt(buf, int64(offset)); err != nil {
			return nil, fmt.Errorf("verity: read superblock of %s at byte %#x: %w", hashName, offset, err)
		}
		if sb, err = verity.ParseSuperblock(buf); err != nil {
			return nil, fmt.Errorf("%s: %w", hashName, err)
		}
	}
	p, root, err := Plan(v, sb, offset, dataBytes)
	if err != nil {
		return nil, err
	}
	if err := verity.CheckRootHash(hash, p, root); err != nil {
		return nil, fmt.Errorf("%s: %w", hashName, err)
	}
	prep := &Prepared{Params: p, RootHash: root, HashOffset: offset, Options: v.Options.KernelOptions(), Signer: signer}
	signed := ""
	if signer != nil {
		signed = strings.ToLower(v.RootHash)
	}
	if err := enforce(trust.Policy, prep, signed); err != nil {
		return nil, err
	}
	return prep, nil
}

// AddFEC adds the table arguments of forward error correction from the
// parity f describes on fecDev, with the hash device hashDev of
// hashBytes (devices as paths or MAJ:MIN; the parity is on the hash
// device when the two are the same). The init and verinit inspect both
// call it, so they load and show the same table. It comes after
// Prepare's policy check: FEC only repairs blocks to what the tree
// verifies, and every policy allows it.
func (p *Prepared) AddFEC(f *config.FEC, fecDev, hashDev string, hashBytes uint64) error {
	args, err := p.Params.FECArgs(fecDev, f.Roots, f.OffsetBytes, hashBytes, fecDev == hashDev)
	if err != nil {
		return err
	}
	p.Options = append(p.Options, args...)
	return nil
}

// Table is the dm-verity target over the two devices (paths or MAJ:MIN).
func (p *Prepared) Table(dataDev, hashDev string) (target, params string, sectors uint64, err error) {
	return p.Params.KernelTable(dataDev, hashDev, p.RootHash, p.Options)
}

// findAppended finds the superblock of a tree appended after the file
// system on the data device, as `verinit verity format DATA DATA
// --hash-offset` and Yocto's class put it: at the file system's size
// rounded up to 4096 (or to 512).
func findAppended(data io.ReaderAt, size int64, name string) (uint64, error) {
	info, err := fsdetect.Probe(data, size)
	if err != nil {
		return 0, fmt.Errorf("verity: hash tree appended to %s: cannot find the end of its file system: %w", name, err)
	}
	var tried []uint64
	for _, align := range []uint64{4096, 512} {
		off := (info.SizeBytes + align - 1) / align * align
		if len(tried) > 0 && tried[len(tried)-1] == off {
			continue
		}
		tried = append(tried, off)
		buf := make([]byte, superblockSize)
		if n, err := data.ReadAt(buf, int64(off)); n < len(buf) {
			if err == nil || errors.Is(err, io.EOF) {
				continue // past the end: not there
			}
			return 0, fmt.Errorf("verity: hash tree appended to %s: read superblock at byte %#x: %w", name, off, err)
		}
		if _, err := verity.ParseSuperblock(buf); err == nil || !errors.Is(err, verity.ErrNoSuperblock) {
			return off, nil // a superblock (a bad one is reported by the caller)
		}
	}
	return 0, fmt.Errorf("verity: no verity superblock after the %s file system of %s (looked at bytes %v); give verinit.verity_hash_offset=", info.Type, name, tried)
}
