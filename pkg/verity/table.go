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

// FECArgs returns the optional table words that give the kernel the
// Reed-Solomon parity on fecDev (path or "major:minor"): roots parity
// bytes per codeword, starting at fecOffsetBytes, as veritysetup format
// --fec-device wrote it. The parity covers what cryptsetup's encoder
// covered (VERITY_FEC_blocks in lib/verity/verity_fec.c), and the
// kernel must be told the same count or it interleaves differently: the
// data blocks, then the hash device from the tree's first block (past
// the superblock) to its end, or, with the parity on the hash device
// itself (fecOnHashDev), to fecOffsetBytes. hashDevBytes is the hash
// device's size. The words are in cryptsetup's order (get_dm_verity_params):
// use_fec_from_device, fec_start (in data blocks), fec_blocks, fec_roots.
func (p Params) FECArgs(fecDev string, roots int, fecOffsetBytes, hashDevBytes uint64, fecOnHashDev bool) ([]string, error) {
	l, err := p.layout()
	if err != nil {
		return nil, err
	}
	bs := uint64(p.DataBlockSize)
	switch {
	case p.DataBlockSize != p.HashBlockSize:
		return nil, invalid("forward error correction needs equal data and hash block sizes, not %d and %d", p.DataBlockSize, p.HashBlockSize)
	case roots < 2 || roots > 24:
		return nil, invalid("FEC roots %d: want 2 to 24", roots)
	case fecOffsetBytes%bs != 0:
		return nil, invalid("FEC offset %d is not a multiple of the block size %d", fecOffsetBytes, bs)
	case !tableWord(fecDev):
		return nil, invalid("FEC device %q is empty or contains white space or a backslash", fecDev)
	}
	end := hashDevBytes
	if fecOnHashDev {
		end = fecOffsetBytes
	}
	if end/bs < l.treeStart {
		return nil, invalid("the FEC parity at byte %d of the hash device starts before its tree (block %d)", fecOffsetBytes, l.treeStart)
	}
	blocks := end/bs - l.treeStart + p.DataBlocks
	return []string{"use_fec_from_device", fecDev, "fec_start", strconv.FormatUint(fecOffsetBytes/bs, 10),
		"fec_blocks", strconv.FormatUint(blocks, 10), "fec_roots", strconv.Itoa(roots)}, nil
}

// tableWord reports whether s can be one word of a dm table line.
func tableWord(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n\v\f\r\\")
}
