package fsdetect

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"strconv"
)

// Each probe returns ok=false when its magic number is absent (or, for ext,
// when the superblock fails blkid's plausibility check), a *FormatError when
// the magic matches but the superblock is invalid, or an I/O error.

// squashfs superblock (fs/squashfs/squashfs_fs.h, struct squashfs_super_block).
const (
	sqMagic     = 0x73717368 // "hsqs" little-endian
	sqSize      = 96
	sqBlockSize = 12
	sqBlockLog  = 22
	sqMajor     = 28
	sqMinor     = 30
	sqBytesUsed = 40
	sqMaxLog    = 20 // SQUASHFS_FILE_MAX_LOG: 1 MiB blocks
	sqWantMajor = 4
	sqWantMinor = 0
)

// probeSquashfs checks the squashfs 4.0 superblock at byte 0 the way the
// kernel's squashfs_fill_super does: version 4.0, block_size equal to
// 1<<block_log with block_log <= 20, and bytes_used within the device.
// squashfs has no UUID or label.
func probeSquashfs(_ io.ReaderAt, size int64, head []byte) (Info, bool, error) {
	if len(head) < sqSize || binary.LittleEndian.Uint32(head) != sqMagic {
		return Info{}, false, nil
	}
	major, minor := binary.LittleEndian.Uint16(head[sqMajor:]), binary.LittleEndian.Uint16(head[sqMinor:])
	if major != sqWantMajor || minor > sqWantMinor {
		// blkid calls versions below 4 "squashfs3"; Linux mounts only 4.0.
		return Info{}, false, &FormatError{Offset: sqMajor, Field: "s_major",
			Value: strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor)), want: "4.0", Msg: "squashfs superblock: unsupported version"}
	}
	blockLog, blockSize := binary.LittleEndian.Uint16(head[sqBlockLog:]), binary.LittleEndian.Uint32(head[sqBlockSize:])
	if blockLog > sqMaxLog || blockSize != 1<<blockLog {
		return Info{}, false, &FormatError{Offset: sqBlockSize, Field: "block_size", Value: blockSize,
			want: "1<<block_log = 1<<" + strconv.Itoa(int(blockLog)) + " (block_log <= 20)", Msg: "squashfs superblock: block size does not match block_log"}
	}
	if used := binary.LittleEndian.Uint64(head[sqBytesUsed:]); used > uint64(size) {
		return Info{}, false, &FormatError{Offset: sqBytesUsed, Field: "bytes_used", Value: used,
			want: "<= " + strconv.FormatInt(size, 10), Msg: "squashfs superblock: file system larger than the device"}
	}
	return Info{Type: Squashfs, SizeBytes: binary.LittleEndian.Uint64(head[sqBytesUsed:])}, true, nil
}

// EROFS superblock (fs/erofs/erofs_fs.h, struct erofs_super_block) at byte
// 1024; offsets below are relative to it.
const (
	erofsOffset        = 1024
	erofsMagic         = 0xe0f5e1e2
	erofsSBSize        = 128
	erofsChecksum      = 4
	erofsFeatureCompat = 8
	erofsBlkszbits     = 12
	erofsBlocks        = 36
	erofsUUID          = 48
	erofsVolumeName    = 64
	erofsCompatSBCsum  = 0x1 // EROFS_FEATURE_COMPAT_SB_CHKSUM
	erofsMinBlockBits  = 9
)

// probeEROFS checks the EROFS superblock: block size from 512 B (the kernel
// minimum) to 64 KiB, and the crc32c superblock checksum when
// EROFS_FEATURE_COMPAT_SB_CHKSUM is set, computed as the kernel's
// erofs_superblock_csum_verify does: over blocksize-1024 bytes from byte
// 1024 (or blocksize bytes when the block is not larger than 1024), with the
// checksum field taken as zero.
func probeEROFS(r io.ReaderAt, size int64, head []byte) (Info, bool, error) {
	if len(head) < erofsOffset+erofsSBSize || binary.LittleEndian.Uint32(head[erofsOffset:]) != erofsMagic {
		return Info{}, false, nil
	}
	sb := head[erofsOffset : erofsOffset+erofsSBSize]
	bits := sb[erofsBlkszbits]
	if bits < erofsMinBlockBits || bits > maxEROFSBlockBits {
		return Info{}, false, &FormatError{Offset: erofsOffset + erofsBlkszbits, Field: "blkszbits", Value: bits,
			want: "9..16", Msg: "erofs superblock: unsupported block size"}
	}
	if binary.LittleEndian.Uint32(sb[erofsFeatureCompat:])&erofsCompatSBCsum != 0 {
		n := int64(1) << bits
		if n > erofsOffset {
			n -= erofsOffset
		}
		if erofsOffset+n > size {
			return Info{}, false, &FormatError{Offset: erofsOffset + erofsChecksum, Field: "checksum", Value: strconv.FormatInt(n, 10) + " bytes",
				want: "<= " + strconv.FormatInt(size-erofsOffset, 10) + " bytes", Msg: "erofs superblock: checksummed area past the end of the device"}
		}
		area := head[erofsOffset:min(int64(len(head)), erofsOffset+n)]
		if int64(len(area)) < n {
			area = make([]byte, n) // n <= 64 KiB
			if err := readAt(r, area, erofsOffset); err != nil {
				return Info{}, false, err
			}
		}
		if got, want := binary.LittleEndian.Uint32(area[erofsChecksum:]), crc32cRaw(area, erofsChecksum); got != want {
			return Info{}, false, &FormatError{Offset: erofsOffset + erofsChecksum, Field: "checksum", Value: got, want: want,
				Msg: "erofs superblock: bad checksum"}
		}
	}
	return Info{
		Type:      EROFS,
		UUID:      formatUUID(sb[erofsUUID : erofsUUID+16]),
		Label:     label(sb[erofsVolumeName : erofsVolumeName+16]),
		SizeBytes: uint64(binary.LittleEndian.Uint32(sb[erofsBlocks:])) << sb[erofsBlkszbits],
	}, true, nil
}

// crc32cRaw returns the kernel's crc32c(~0, b, len(b)) with the 4 bytes at
// skip taken as zero. The kernel's crc32c has no final inversion, unlike
// hash/crc32's Checksum, so the result is inverted back.
func crc32cRaw(b []byte, skip int) uint32 {
	tab := crc32.MakeTable(crc32.Castagnoli) // cached by hash/crc32
	var zero [4]byte
	c := crc32.Update(0, tab, b[:skip])
	c = crc32.Update(c, tab, zero[:])
	c = crc32.Update(c, tab, b[skip+4:])
	return ^c
}

// ext2/3/4 superblock (fs/ext4/ext4.h, struct ext4_super_block) at byte 1024;
// offsets below are relative to it.
const (
	extOffset        = 1024
	extBlocksCountLo = 0x04
	extBlocksCountHi = 0x150
	incompat64Bit    = 0x0080
	extSBSize        = 1024
	extLogBlockSize  = 0x18
	extMagicOff      = 0x38
	extMagic         = 0xef53
	extFeatureCompat = 0x5c
	extFeatureInc    = 0x60
	extFeatureRO     = 0x64
	extUUID          = 0x68
	extVolumeName    = 0x78
	extChecksum      = 0x3fc

	extMaxLogBlockSize = 6 // 64 KiB blocks, EXT4_MAX_BLOCK_LOG_SIZE - 10

	compatHasJournal  = 0x0004
	incompatFiletype  = 0x0002
	incompatRecover   = 0x0004
	incompatJournalDv = 0x0008
	incompatMetaBG    = 0x0010
	roSparseSuper     = 0x0001
	roLargeFile       = 0x0002
	roBtreeDir        = 0x0004
	roMetadataCsum    = 0x0400

	// Features ext2 and ext3 understand, as in blkid's ext.c.
	ext2IncompatSupp = incompatFiletype | incompatMetaBG
	ext3IncompatSupp = incompatFiletype | incompatRecover | incompatMetaBG
	ext23ROSupp      = roSparseSuper | roLargeFile | roBtreeDir
)

// probeExt checks the ext superblock the way blkid does: the magic, the
// crc32c superblock checksum when metadata_csum is set (otherwise a
// plausible s_log_block_size), then the type by feature flags:
//
//   - journal_dev (an external journal, blkid "jbd") is not a file system;
//   - ext2: no journal and only the features ext2 understands (incompat
//     filetype and meta_bg, ro_compat sparse_super, large_file, btree_dir);
//   - ext3: a journal and only those features plus incompat recover;
//   - ext4: any other feature (extents, 64bit, flex_bg, metadata_csum, ...).
//
// A superblock without a journal whose only extra feature is recover is none
// of these for blkid; Probe reports it as a *FormatError.
func probeExt(_ io.ReaderAt, _ int64, head []byte) (Info, bool, error) {
	if len(head) < extOffset+extSBSize || binary.LittleEndian.Uint16(head[extOffset+extMagicOff:]) != extMagic {
		return Info{}, false, nil
	}
	sb := head[extOffset : extOffset+extSBSize]
	fc, fi, fro := binary.LittleEndian.Uint32(sb[extFeatureCompat:]), binary.LittleEndian.Uint32(sb[extFeatureInc:]), binary.LittleEndian.Uint32(sb[extFeatureRO:])
	logBS := binary.LittleEndian.Uint32(sb[extLogBlockSize:])
	if fro&roMetadataCsum != 0 {
		if got, want := binary.LittleEndian.Uint32(sb[extChecksum:]), crc32cPrefix(sb[:extChecksum]); got != want {
			return Info{}, false, &FormatError{Offset: extOffset + extChecksum, Field: "s_checksum", Value: got, want: want,
				Msg: "ext superblock: bad checksum"}
		}
	} else if logBS >= 256 {
		// blkid's filter against a stray 0xEF53 in other data.
		return Info{}, false, nil
	}
	if logBS > extMaxLogBlockSize {
		return Info{}, false, &FormatError{Offset: extOffset + extLogBlockSize, Field: "s_log_block_size", Value: logBS,
			want: "<= 6", Msg: "ext superblock: block size larger than 64 KiB"}
	}
	if fi&incompatJournalDv != 0 {
		return Info{}, false, &FormatError{Offset: extOffset + extFeatureInc, Field: "s_feature_incompat", Value: fi,
			Msg: "ext superblock: external journal device (journal_dev), not a file system"}
	}
	var t Type
	switch {
	case fro&^ext23ROSupp != 0 || fi&^ext3IncompatSupp != 0:
		t = Ext4 // also when s_flags has test_fs (blkid's ext4dev)
	case fc&compatHasJournal != 0:
		t = Ext3
	case fi&^ext2IncompatSupp == 0:
		t = Ext2
	default:
		return Info{}, false, &FormatError{Offset: extOffset + extFeatureInc, Field: "s_feature_incompat", Value: fi,
			Msg: "ext superblock: needs_recovery without a journal"}
	}
	blocks := uint64(binary.LittleEndian.Uint32(sb[extBlocksCountLo:]))
	if fi&incompat64Bit != 0 {
		blocks |= uint64(binary.LittleEndian.Uint32(sb[extBlocksCountHi:])) << 32
	}
	info := Info{Type: t, UUID: formatUUID(sb[extUUID : extUUID+16]), SizeBytes: blocks << (10 + logBS)}
	if sb[extVolumeName] != 0 {
		info.Label = label(sb[extVolumeName : extVolumeName+16])
	}
	return info, true, nil
}

// crc32cPrefix returns the kernel's crc32c(~0, b, len(b)), as ext4 computes
// the superblock checksum (ext4_superblock_csum).
func crc32cPrefix(b []byte) uint32 {
	return ^crc32.Update(0, crc32.MakeTable(crc32.Castagnoli), b)
}
