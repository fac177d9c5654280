package activate

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/verity"
)

// RootName is the dm name of the verified root, as systemd names it.
const RootName = "root"

// Result is the verity device made for the root.
type Result struct {
	Device     dm.Device
	Params     verity.Params
	RootHash   []byte
	HashOffset uint64
	Options    []string
	Table      string // "0 SECTORS verity PARAMS"
}

// superblockSize is what veritysetup writes at the hash offset.
const superblockSize = 512

// Verity checks the hash device against the root hash and creates the
// read-only dm-verity device RootName over data and hash.
func Verity(v *config.Verity, data, hash blockdev.Device) (*Result, error) {
	df, err := blockdev.Open(data)
	if err != nil {
		return nil, err
	}
	defer df.Close()
	hf, err := blockdev.Open(hash)
	if err != nil {
		return nil, err
	}
	defer hf.Close()
	dataBytes, err := blockdev.Size(df)
	if err != nil {
		return nil, err
	}

	offset := v.HashOffset
	if v.HashOffsetFromFS {
		if offset, err = findAppended(df, data, dataBytes); err != nil {
			return nil, err
		}
		dataBytes = int64(offset) // the data ends where the tree starts
	}
	var sb *verity.Superblock
	if !v.Options.NoSuperblock {
		buf := make([]byte, superblockSize)
		if _, err := hf.ReadAt(buf, int64(offset)); err != nil {
			return nil, fmt.Errorf("verity: read superblock of %s at byte %d: %w", hash.Path(), offset, err)
		}
		if sb, err = verity.ParseSuperblock(buf); err != nil {
			return nil, fmt.Errorf("%s: %w", hash.Path(), err)
		}
	}
	p, root, err := Plan(v, sb, offset, dataBytes)
	if err != nil {
		return nil, err
	}
	if err := verity.CheckRootHash(hf, p, root); err != nil {
		return nil, fmt.Errorf("%s: %w", hash.Path(), err)
	}
	opts := v.Options.KernelOptions()
	target, params, sectors, err := p.KernelTable(data.DevNum(), hash.DevNum(), root, opts)
	if err != nil {
		return nil, err
	}
	table, err := VerityTable(params, sectors)
	if err != nil {
		return nil, err
	}
	uuid := "VERINIT-VERITY-" + hex.EncodeToString(root)
	if len(uuid) > 128 {
		uuid = uuid[:128]
	}
	dev, err := dm.CreateReadOnly(RootName, uuid, table)
	if err != nil {
		return nil, fmt.Errorf("verity: %w", err)
	}
	return &Result{Device: dev, Params: p, RootHash: root, HashOffset: offset, Options: opts,
		Table: fmt.Sprintf("0 %d %s %s", sectors, target, params)}, nil
}

// findAppended finds the superblock of a tree appended after the file
// system on the data device, as `verinit verity format DATA DATA
// --hash-offset` and Yocto's class put it: at the file system's size
// rounded up to 4096 (or to 512).
func findAppended(f *os.File, d blockdev.Device, size int64) (uint64, error) {
	info, err := fsdetect.Probe(f, size)
	if err != nil {
		return 0, fmt.Errorf("verity: hash tree appended to %s: cannot find the end of its file system: %w", d.Path(), err)
	}
	var tried []uint64
	for _, align := range []uint64{4096, 512} {
		off := (info.SizeBytes + align - 1) / align * align
		if len(tried) > 0 && tried[len(tried)-1] == off {
			continue
		}
		tried = append(tried, off)
		buf := make([]byte, superblockSize)
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			continue
		}
		if _, err := verity.ParseSuperblock(buf); err == nil || !errors.Is(err, verity.ErrNoSuperblock) {
			return off, nil // a superblock (a bad one is reported by the caller)
		}
	}
	return 0, fmt.Errorf("verity: no verity superblock after the %s file system of %s (looked at bytes %v); give verinit.verity_hash_offset=", info.Type, d.Path(), tried)
}
