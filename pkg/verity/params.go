package verity

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math"
	"math/bits"
)

// Limits of the format as this package enforces them.
const (
	// SuperblockSize is the size of the veritysetup superblock in bytes.
	SuperblockSize = 512

	// MinBlockSize and MaxBlockSize bound DataBlockSize and HashBlockSize,
	// which must also be powers of two. cryptsetup accepts up to 512 KiB
	// (VERITY_BLOCK_SIZE_OK in lib/verity/verity.h), but the kernel refuses
	// data blocks larger than the page size (verity_ctr, "Invalid data
	// device block size") and no page is larger than 64 KiB, so larger
	// blocks are refused here.
	MinBlockSize = 512
	MaxBlockSize = 65536

	// MaxSaltSize is the size of the superblock's salt field, which
	// cryptsetup also enforces without a superblock (VERITY_create).
	MaxSaltSize = 256

	// maxLevels is DM_VERITY_MAX_LEVELS (kernel) and VERITY_MAX_LEVELS
	// (cryptsetup).
	maxLevels = 63
)

// Params describes a dm-verity hash tree: what veritysetup reads from its
// superblock or takes on its command line, plus where the tree lives on the
// hash device. The zero value is not valid; see Validate.
type Params struct {
	// HashType is the hash format, the kernel table's <version> field and
	// the superblock's hash_type: 1 (current: salt prepended, digests padded
	// to a power of two) or 0 (original Chrome OS: salt appended, digests
	// packed).
	HashType int

	// Algorithm is "sha1", "sha256" or "sha512", in lower case.
	Algorithm string

	// DataBlockSize and HashBlockSize are in bytes: powers of two from
	// MinBlockSize to MaxBlockSize.
	DataBlockSize, HashBlockSize uint32

	// DataBlocks is the number of data blocks covered, from byte 0 of the
	// data device. It must be at least 1.
	DataBlocks uint64

	// Salt is at most MaxSaltSize bytes; empty means no salt.
	Salt []byte

	// HashOffsetBytes is where the superblock starts on the hash device, or,
	// with NoSuperblock, where the tree starts. It must be a multiple of
	// 512, and with NoSuperblock a multiple of HashBlockSize (veritysetup
	// would silently round the tree start down to a hash block, which can
	// put it before the offset). With a superblock the tree starts at the
	// first hash-block boundary after the superblock.
	HashOffsetBytes uint64

	// NoSuperblock means the hash device holds only the tree, as written by
	// veritysetup format --no-superblock.
	NoSuperblock bool

	// UUID is the superblock's UUID (RFC 4122 byte order). Format writes it
	// as given; Superblock.CheckParams ignores it when it is all zeros.
	UUID [16]byte
}

// A Level is one level of the hash tree on the hash device.
type Level struct {
	// OffsetBytes is the byte offset of the level's first hash block on the
	// hash device.
	OffsetBytes uint64
	// Blocks is the number of hash blocks in the level.
	Blocks uint64
}

// Validate reports whether p describes a tree that veritysetup and the
// kernel accept and whose offsets fit in an int64. The error matches
// ErrInvalidParams.
func (p Params) Validate() error {
	_, err := p.layout()
	return err
}

// TreeLayout returns the levels of the hash tree, indexed by level number:
// levels[0] holds the digests of the data blocks and levels[len-1] is the
// top level, a single block whose hash is the root hash. On disk the levels
// are stored the other way round, top level first (the kernel's
// hash_level_block, cryptsetup's hash_levels). treeBytes is the size of all
// levels together; the hash device must extend at least to the end of
// levels[0]. With a single data block there is no tree: levels is empty and
// the root hash is the hash of that block.
func (p Params) TreeLayout() (levels []Level, treeBytes uint64, err error) {
	l, err := p.layout()
	if err != nil {
		return nil, 0, err
	}
	hb := uint64(p.HashBlockSize)
	levels = make([]Level, len(l.levels))
	for i, lv := range l.levels {
		levels[i] = Level{OffsetBytes: lv.start * hb, Blocks: lv.blocks}
	}
	return levels, (l.end - l.treeStart) * hb, nil
}

// HashStartBlock returns the hash device block, in hash blocks, where the
// tree starts, past the superblock: the table's hash_start_block, and
// where forward error correction starts covering the hash device.
func (p Params) HashStartBlock() (uint64, error) {
	l, err := p.layout()
	if err != nil {
		return 0, err
	}
	return l.treeStart, nil
}

// layout is the validated geometry of a tree, in hash blocks.
type layout struct {
	digest    int    // digest size in bytes
	stride    int    // distance between digests in a hash block
	hpbBits   uint   // log2 of the digests per hash block
	hpb       uint64 // digests per hash block
	treeStart uint64 // first block of the tree (the table's hash_start_block)
	end       uint64 // first block after the tree
	levels    []lvl  // index 0 = lowest level
}

type lvl struct {
	start, blocks uint64 // in hash blocks
}

// entries returns the number of digests stored in level i: one per block of
// the level below, or one per data block for level 0.
func (l *layout) entries(p *Params, i int) uint64 {
	if i == 0 {
		return p.DataBlocks
	}
	return l.levels[i-1].blocks
}

func digestSize(alg string) int {
	switch alg {
	case "sha1":
		return sha1.Size
	case "sha256":
		return sha256.Size
	case "sha512":
		return sha512.Size
	}
	return 0
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	panic("verity: unsupported algorithm " + alg) // callers validate first
}

func validBlockSize(n uint32) bool {
	return n >= MinBlockSize && n <= MaxBlockSize && n&(n-1) == 0
}

// layout validates p and computes the geometry of its tree, following
// cryptsetup's hash_levels and VERITY_hash_offset_block and the level loop of
// the kernel's verity_ctr.
func (p *Params) layout() (*layout, error) {
	if p.HashType != 0 && p.HashType != 1 {
		return nil, invalid("hash type %d is not 0 or 1", p.HashType)
	}
	d := digestSize(p.Algorithm)
	if d == 0 {
		return nil, invalid("unsupported hash algorithm %q (want sha1, sha256 or sha512)", p.Algorithm)
	}
	if !validBlockSize(p.DataBlockSize) {
		return nil, invalid("data block size %d is not a power of two from 512 to 65536", p.DataBlockSize)
	}
	if !validBlockSize(p.HashBlockSize) {
		return nil, invalid("hash block size %d is not a power of two from 512 to 65536", p.HashBlockSize)
	}
	if len(p.Salt) > MaxSaltSize {
		return nil, invalid("salt of %d bytes is longer than 256 bytes", len(p.Salt))
	}
	if p.DataBlocks == 0 {
		return nil, invalid("no data blocks")
	}
	db, hb := uint64(p.DataBlockSize), uint64(p.HashBlockSize)
	if hi, lo := bits.Mul64(p.DataBlocks, db); hi != 0 || lo > math.MaxInt64 {
		return nil, invalid("%d data blocks of %d bytes overflow a 63-bit byte offset", p.DataBlocks, db)
	}
	if p.HashOffsetBytes%512 != 0 {
		return nil, invalid("hash offset %d is not a multiple of 512", p.HashOffsetBytes)
	}
	if p.HashOffsetBytes > math.MaxInt64-SuperblockSize-hb {
		return nil, invalid("hash offset %d overflows a 63-bit byte offset", p.HashOffsetBytes)
	}
	l := &layout{digest: d}
	if p.NoSuperblock {
		if p.HashOffsetBytes%hb != 0 {
			return nil, invalid("hash offset %d without a superblock is not a multiple of the hash block size %d", p.HashOffsetBytes, hb)
		}
		l.treeStart = p.HashOffsetBytes / hb
	} else {
		// VERITY_hash_offset_block: the superblock, then the next hash
		// block boundary. For a 512-aligned offset this is offset/hb + 1.
		l.treeStart = (p.HashOffsetBytes + SuperblockSize + hb - 1) / hb
	}

	// hash_per_block = 2^floor(log2(hb / d)): __fls in the kernel,
	// get_bits_down in cryptsetup. hb >= 512 and d <= 64, so it is >= 8.
	l.hpbBits = uint(bits.Len64(hb/uint64(d)) - 1)
	l.hpb = 1 << l.hpbBits
	if p.HashType == 1 {
		// Each digest is padded to the next power of two: cryptsetup's
		// digest_size_full, and the kernel's offset
		// idx << (hash_dev_block_bits - hash_per_block_bits).
		l.stride = int(hb >> l.hpbBits)
	} else {
		l.stride = d // format 0 packs the digests: idx * digest_size
	}

	n := 0
	for uint(n)*l.hpbBits < 64 && (p.DataBlocks-1)>>(uint(n)*l.hpbBits) != 0 {
		n++
	}
	if n > maxLevels {
		return nil, invalid("too many tree levels")
	}
	l.levels = make([]lvl, n)
	pos := l.treeStart
	for i := n - 1; i >= 0; i-- {
		shift := uint(i+1) * l.hpbBits
		var s uint64 = 1
		if shift < 64 {
			s = (p.DataBlocks-1)>>shift + 1 // ceil(DataBlocks / 2^shift)
		}
		l.levels[i] = lvl{start: pos, blocks: s}
		if pos+s < pos {
			return nil, invalid("hash tree overflows the hash device offset")
		}
		pos += s
	}
	l.end = pos
	if hi, lo := bits.Mul64(l.end, hb); hi != 0 || lo > math.MaxInt64 {
		return nil, invalid("hash tree ends past a 63-bit byte offset")
	}
	return l, nil
}

// hasher computes salted digests of blocks. It is not safe for concurrent
// use; each goroutine has its own.
type hasher struct {
	h       hash.Hash
	salt    []byte
	prepend bool // format 1: salt first
}

func newHasher(p *Params) *hasher {
	return &hasher{h: newHash(p.Algorithm), salt: p.Salt, prepend: p.HashType == 1}
}

// sum writes the salted digest of block to dst, which must have room for
// it (its capacity is used, nothing is allocated). This is
// verify_hash_block in cryptsetup and verity_hash in the kernel: format 1
// hashes salt||block, format 0 block||salt.
func (x *hasher) sum(dst, block []byte) {
	x.h.Reset()
	if x.prepend && len(x.salt) > 0 {
		x.h.Write(x.salt)
	}
	x.h.Write(block)
	if !x.prepend && len(x.salt) > 0 {
		x.h.Write(x.salt)
	}
	x.h.Sum(dst[:0])
}

// KernelModules names what the kernel needs for a dm-verity table: the
// target, and the hash as a module alias ("crypto-sha256"), named by
// algorithm or, when that is "", by the length of the hex root hash (the
// SHA family only; for another length no hash is named).
func KernelModules(algorithm, rootHashHex string) []string {
	if algorithm == "" {
		switch len(rootHashHex) {
		case 40:
			algorithm = "sha1"
		case 56:
			algorithm = "sha224"
		case 64:
			algorithm = "sha256"
		case 96:
			algorithm = "sha384"
		case 128:
			algorithm = "sha512"
		}
	}
	names := []string{"dm-mod", "dm-verity"}
	if algorithm != "" {
		names = append(names, "crypto-"+algorithm)
	}
	return names
}
