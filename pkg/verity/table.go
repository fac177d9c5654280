package verity

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// KernelTable returns the device-mapper target for p: the target type
// "verity", its parameter string and the target length in 512-byte sectors,
// exactly as veritysetup open loads them. The parameters are
//
//	<version> <data_dev> <hash_dev> <data_block_size> <hash_block_size>
//	<num_data_blocks> <hash_start_block> <algorithm> <digest> <salt>
//	[<#opt_params> <opt_params>...]
//
// (Documentation/admin-guide/device-mapper/verity.rst; cryptsetup's
// get_dm_verity_params in lib/libdevmapper.c prints the same fields with
// "%u %s %s %u %u %" PRIu64 " %" PRIu64 " %s %s %s"). <hash_start_block>
// counts hash blocks up to the top level of the tree, past the superblock
// (VERITY_hash_offset_block): HashOffsetBytes/HashBlockSize + 1 with a
// superblock, HashOffsetBytes/HashBlockSize without. The digest and salt are
// lower-case hex
// (crypt_bytes_to_hex), the salt "-" when empty. The length is
// DataBlocks*DataBlockSize/512 (VERITY_activate's dmd.size).
//
// dataDev and hashDev are paths or "major:minor" and may be equal. opts are
// the optional words, e.g. {"restart_on_corruption", "ignore_zero_blocks"}
// or {"root_hash_sig_key_desc", desc}; KernelTable prefixes their count, and
// adds no group when opts is empty (as cryptsetup does). Devices and words
// must be non-empty and free of white space and backslashes, which the
// kernel's argument splitter would interpret. The error matches
// ErrInvalidParams.
func (p Params) KernelTable(dataDev, hashDev string, rootHash []byte, opts []string) (target, params string, sectors uint64, err error) {
	l, err := p.layout()
	if err != nil {
		return "", "", 0, err
	}
	if len(rootHash) != l.digest {
		return "", "", 0, invalid("root hash of %d bytes for %s, want %d", len(rootHash), p.Algorithm, l.digest)
	}
	for _, w := range [...]struct{ what, v string }{{"data device", dataDev}, {"hash device", hashDev}} {
		if !tableWord(w.v) {
			return "", "", 0, invalid("%s %q is empty or contains white space or a backslash", w.what, w.v)
		}
	}
	for _, o := range opts {
		if !tableWord(o) {
			return "", "", 0, invalid("table option %q is empty or contains white space or a backslash", o)
		}
	}
	salt := "-"
	if len(p.Salt) > 0 {
		salt = hex.EncodeToString(p.Salt)
	}
	params = fmt.Sprintf("%d %s %s %d %d %d %d %s %x %s", p.HashType, dataDev, hashDev,
		p.DataBlockSize, p.HashBlockSize, p.DataBlocks, l.treeStart, p.Algorithm, rootHash, salt)
	if len(opts) > 0 {
		params += " " + strconv.Itoa(len(opts)) + " " + strings.Join(opts, " ")
	}
	return "verity", params, p.DataBlocks * uint64(p.DataBlockSize) / 512, nil
}

// tableWord reports whether s can be one word of a dm table line.
func tableWord(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n\v\f\r\\")
}
