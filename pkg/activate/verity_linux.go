package activate

import (
	"encoding/hex"
	"fmt"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
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
	prep, err := Prepare(v, df, dataBytes, data.Path(), hf, hash.Path())
	if err != nil {
		return nil, err
	}
	target, params, sectors, err := prep.Table(data.DevNum(), hash.DevNum())
	if err != nil {
		return nil, err
	}
	uuid := "VERINIT-VERITY-" + hex.EncodeToString(prep.RootHash)
	if len(uuid) > 128 {
		uuid = uuid[:128]
	}
	t := dm.Target{StartSector: 0, Sectors: sectors, Type: target, Params: params}
	dev, err := dm.Create(RootName, uuid, true, []dm.Target{t})
	if err != nil {
		return nil, fmt.Errorf("verity: %w", err)
	}
	return &Result{Device: dev, Params: prep.Params, RootHash: prep.RootHash, HashOffset: prep.HashOffset,
		Options: prep.Options, Table: t.String()}, nil
}
