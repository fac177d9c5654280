package activate

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/verity"
)

// veritysetup's defaults, for a tree without a superblock.
const (
	defaultAlgorithm = "sha256"
	defaultBlockSize = 4096
)

// Plan merges the configured options with the superblock (nil when the
// tree has none) found at hashOffset. dataBytes is the size of the data
// device. Options given explicitly must agree with the superblock: the
// superblock is read from the same untrusted disk as the data.
func Plan(v *config.Verity, sb *verity.Superblock, hashOffset uint64, dataBytes int64) (verity.Params, []byte, error) {
	o := v.Options
	var p verity.Params
	if sb != nil {
		p = sb.Params(hashOffset)
		if err := agree(o, p); err != nil {
			return p, nil, err
		}
	} else {
		p = verity.Params{HashType: 1, Algorithm: defaultAlgorithm, DataBlockSize: defaultBlockSize,
			HashBlockSize: defaultBlockSize, HashOffsetBytes: hashOffset, NoSuperblock: true}
		if o.FormatSet {
			p.HashType = o.Format
		}
		if o.Algorithm != "" {
			p.Algorithm = o.Algorithm
		}
		if o.DataBlockSize != 0 {
			p.DataBlockSize = o.DataBlockSize
		}
		if o.HashBlockSize != 0 {
			p.HashBlockSize = o.HashBlockSize
		}
		if !o.SaltSet {
			return p, nil, fmt.Errorf("verity: without a superblock the salt must be given (salt=HEX or salt=-)")
		}
		p.Salt = o.Salt
		p.DataBlocks = o.DataBlocks
		if p.DataBlocks == 0 {
			p.DataBlocks = uint64(dataBytes) / uint64(p.DataBlockSize)
		}
	}
	if err := p.Validate(); err != nil {
		return p, nil, err
	}
	if need := p.DataBlocks * uint64(p.DataBlockSize); need > uint64(dataBytes) {
		return p, nil, fmt.Errorf("verity: %d data blocks of %d bytes need %d bytes, but the data device has %d", p.DataBlocks, p.DataBlockSize, need, dataBytes)
	}
	root, err := verity.ParseHexRootHash(v.RootHash, p.Algorithm)
	if err != nil {
		return p, nil, fmt.Errorf("verity: root hash: %w", err)
	}
	return p, root, nil
}

// agree checks explicit options against the superblock's parameters.
func agree(o config.VerityOptions, p verity.Params) error {
	type check struct {
		name       string
		given, has string
	}
	checks := []check{
		{"data-block-size", u(uint64(o.DataBlockSize)), u(uint64(p.DataBlockSize))},
		{"hash-block-size", u(uint64(o.HashBlockSize)), u(uint64(p.HashBlockSize))},
		{"data-blocks", u(o.DataBlocks), u(p.DataBlocks)},
		{"hash", o.Algorithm, p.Algorithm},
	}
	if o.FormatSet {
		checks = append(checks, check{"format", strconv.Itoa(o.Format), strconv.Itoa(p.HashType)})
	}
	if o.SaltSet {
		checks = append(checks, check{"salt", saltText(o.Salt), saltText(p.Salt)})
	}
	for _, c := range checks {
		if c.given != "" && c.given != "0" && c.given != c.has {
			return fmt.Errorf("verity: %s=%s was given, but the superblock says %s", c.name, c.given, c.has)
		}
	}
	return nil
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

// saltText is a salt as veritysetup prints it: hex, or "-" for none.
func saltText(salt []byte) string {
	if len(salt) == 0 {
		return "-"
	}
	return hex.EncodeToString(salt)
}
