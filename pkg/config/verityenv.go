package config

import (
	"fmt"
	"strconv"
	"strings"
)

// VerityEnvPath is where Yocto meta-security's dm-verity image class
// installs its description of the verity image in the initramfs.
const VerityEnvPath = "/usr/share/misc/dm-verity.env"

// VerityEnv is what dm-verity.env says (keys as dm-verity-img.bbclass
// writes them from `veritysetup format` output).
type VerityEnv struct {
	RootHash      string
	Salt          string
	Algorithm     string
	HashType      int
	DataBlocks    uint64
	DataBlockSize uint32
	HashBlockSize uint32
	DataSize      uint64 // padded image size: the hash offset when appended
	SeparateHash  bool
	RootUUID      string // with SeparateHash: PARTUUIDs of data and hash
	HashUUID      string
}

const maxEnvBytes = 64 << 10

// ParseVerityEnv reads a dm-verity.env file. Values may carry the
// " [bytes]" suffix newer cryptsetup prints; only the number counts.
func ParseVerityEnv(b []byte) (VerityEnv, error) {
	var e VerityEnv
	lines, err := readKeyValues(b, "dm-verity.env", "KEY=value", maxEnvBytes)
	if err != nil {
		return e, err
	}
	kv := map[string]string{}
	for _, l := range lines {
		kv[l.key] = strings.Trim(l.value, `"'`)
	}
	num := func(key string, bits int) (uint64, error) {
		v, ok := kv[key]
		if !ok {
			return 0, nil
		}
		digits := v
		if i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			digits = v[:i]
		}
		n, err := strconv.ParseUint(digits, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("dm-verity.env: %s=%s: not a number", key, shown(v))
		}
		return n, nil
	}
	var u uint64
	e.RootHash, e.Salt, e.Algorithm = kv["ROOT_HASH"], kv["SALT"], kv["HASH_ALGORITHM"]
	if e.RootHash == "" {
		return e, fmt.Errorf("dm-verity.env: no ROOT_HASH")
	}
	if u, err = num("HASH_TYPE", 8); err != nil {
		return e, err
	}
	e.HashType = int(u)
	if e.DataBlocks, err = num("DATA_BLOCKS", 64); err != nil {
		return e, err
	}
	if u, err = num("DATA_BLOCK_SIZE", 32); err != nil {
		return e, err
	}
	e.DataBlockSize = uint32(u)
	if u, err = num("HASH_BLOCK_SIZE", 32); err != nil {
		return e, err
	}
	e.HashBlockSize = uint32(u)
	if e.DataSize, err = num("DATA_SIZE", 64); err != nil {
		return e, err
	}
	switch kv["SEPARATE_HASH"] {
	case "", "0":
	case "1":
		e.SeparateHash = true
		e.RootUUID, e.HashUUID = kv["ROOT_UUID"], kv["RHASH_UUID"]
	default:
		return e, fmt.Errorf("dm-verity.env: SEPARATE_HASH=%s: want 0 or 1", shown(kv["SEPARATE_HASH"]))
	}
	return e, nil
}
