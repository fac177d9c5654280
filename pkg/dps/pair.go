package dps

import (
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/verinit/verinit/pkg/gpt"
)

// uuidBytes is the size of a UUID and of each half of the root hash that
// PairUUIDs uses.
const uuidBytes = 16

// PairUUIDs returns the partition UUIDs that DPS gives the data partition
// and the verity partition of a dm-verity volume with root hash rootHash:
// the data partition's UUID is the first 128 bits of the root hash, the
// verity partition's UUID the last 128 bits (DPS "Verity"; dps.md §4.3).
//
// The bits are taken as the text form of the UUID, in order: systemd's
// dissect_image copies the hash bytes into an sd_id128_t, whose bytes are
// in text order, and compares that with the PARTUUID it parses from
// libblkid's text. The results are in on-disk GPT order, so data.String()
// is the first 32 hex digits of the root hash with dashes after digits 8,
// 12, 16 and 20, e.g. root hash 0123456789abcdef0123456789abcdef... gives
// data 01234567-89ab-cdef-0123-456789abcdef. The version and variant bits
// are whatever the hash holds; they must not be "fixed".
//
// For a sha256 root hash (32 bytes) the halves do not overlap. For sha512
// (64 bytes) the 32 bytes in the middle are not used. For sha1 (20 bytes)
// the halves overlap: data is bytes 0-15 and verity bytes 4-19, which is
// what systemd does too (it only refuses hashes shorter than 16 bytes), so
// such a pair cannot be turned back into the root hash by GuessRootHash.
//
// PairUUIDs fails, as systemd does (EINVAL), for a root hash shorter than
// 16 bytes or when either UUID would be all zeros, which GPT reserves for
// unused entries.
func PairUUIDs(rootHash []byte) (data, verity gpt.GUID, err error) {
	if len(rootHash) < uuidBytes {
		return data, verity, errors.New("dps: root hash of " + strconv.Itoa(len(rootHash)) + " bytes is too short to name partitions: want at least 16")
	}
	data = gpt.GUIDFromBytes([uuidBytes]byte(rootHash[:uuidBytes]))
	verity = gpt.GUIDFromBytes([uuidBytes]byte(rootHash[len(rootHash)-uuidBytes:]))
	if data.IsZero() || verity.IsZero() {
		return gpt.GUID{}, gpt.GUID{}, errors.New("dps: root hash " + hexString(rootHash) + " would give an all-zero partition UUID")
	}
	return data, verity, nil
}

// GuessRootHash returns the 32-byte root hash that the UUIDs of a data
// partition and its verity partition stand for, the reverse of PairUUIDs
// for sha256 root hashes: the two UUIDs' bytes in text order, joined. This
// is what systemd does when it is given no root hash
// (dissected_image_guess_verity_roothash, $SYSTEMD_DISSECT_VERITY_GUESS).
//
// The result is not a trust anchor: whoever wrote the partition table
// chose it. Use it to check that a signature (root-verity-sig) or an
// externally supplied hash agrees with the partitions, or to check that a
// hash tree is consistent, never as the reason to trust the data. It is
// wrong for root hashes that are not 32 bytes long.
func GuessRootHash(data, verity gpt.GUID) []byte {
	d, v := data.Bytes(), verity.Bytes()
	h := make([]byte, 0, 2*uuidBytes)
	h = append(h, d[:]...)
	return append(h, v[:]...)
}

// hexString returns b in lowercase hex, shortened to maxQuoted digits.
func hexString(b []byte) string {
	if n := maxQuoted / 2; len(b) > n {
		return hex.EncodeToString(b[:n]) + "..."
	}
	return hex.EncodeToString(b)
}
