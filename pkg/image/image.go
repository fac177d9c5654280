package image

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	dgpt "github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/verity"
)

const (
	// AlignBytes is the alignment of every partition's start and size:
	// 1 MiB, as fdisk, sfdisk and systemd-repart use.
	AlignBytes = 1 << 20

	// MaxSlots is the largest number of slots: one letter each.
	MaxSlots = 26

	// VerityBlockSize is the data and hash block size of the hash trees.
	VerityBlockSize = 4096

	// VerityAlgorithm is the hash of the trees. A sha256 root hash is 32
	// bytes, so the two partition UUIDs together are exactly the root
	// hash (dps.GuessRootHash).
	VerityAlgorithm = "sha256"

	// saltBytes is the salt length, veritysetup's default.
	saltBytes = 32

	// entryArrayBytes is the size of the GPT entry array go-diskfs writes:
	// 128 entries of 128 bytes.
	entryArrayBytes = 128 * 128

	// maxImageBytes bounds the file system image so that sizes computed
	// from it cannot overflow an int64.
	maxImageBytes = 1 << 50
)

// Spec describes the disk image Create writes.
type Spec struct {
	// Image is the path of the file system image (squashfs, erofs, ...)
	// that every slot's root partition receives; see BuildFS.
	Image string
	// Slots is the number of slots, 1 to MaxSlots; 0 means 2. Slot i has
	// partitions 2i+1 (root) and 2i+2 (root-verity).
	Slots int
	// SizeBytes is the size of the disk; 0 means the smallest that holds
	// the partitions and the backup GPT, with 1 MiB to spare at the end.
	// It must be a multiple of SectorSize.
	SizeBytes int64
	// SectorSize is the logical block size the GPT is written for: 512 or
	// 4096; 0 means 512. It must match the logical block size of the
	// device the image is written to.
	SectorSize int
	// Arch selects the root and root-verity partition types; "" means
	// dps.NativeArch().
	Arch dps.Arch
	// Rand is the source of the salts, the verity superblock UUIDs and the
	// disk GUID; nil means crypto/rand.Reader. A fixed source makes the
	// image reproducible, but must not repeat itself between slots.
	Rand io.Reader
	// Sign, if not nil, gives each slot a root-verity-sig partition
	// (root-a-verity-sig, ...: partitions 2*Slots+1, ...) holding what
	// Sign returns for the slot's root hash, the Discoverable Partitions
	// signature JSON, padded with NULs to SigBytes.
	Sign func(rootHash []byte) ([]byte, error)
	// ESP, if not "", adds an EFI system partition labelled "esp" as
	// the last partition: a FAT32 file system of ESPBytes (0 means
	// DefaultESPBytes) holding the files of the directory ESP (made
	// with mkfs.fat and mcopy, from dosfstools and mtools).
	ESP      string
	ESPBytes int64
	// Usr makes /usr slots instead of root slots: usr, usr-verity and
	// usr-verity-sig partitions of the DPS usr types, labelled usr-a,
	// usr-a-verity, usr-a-verity-sig, ..., for systemd's layout of a
	// verified /usr beside a writable or tmpfs root; Image is then the
	// /usr file system.
	Usr bool
}

// Layout describes a disk image written by Create.
type Layout struct {
	SizeBytes  int64     // size of the disk
	SectorSize int       // logical block size of the GPT
	Arch       dps.Arch  // architecture of the partition types
	DiskGUID   gpt.GUID  // the GPT's DiskGUID
	Slots      []Slot    // in partition order
	ESP        Partition // the EFI system partition; Number 0 if none
}

// Partitions lists the partitions in their GPT order.
func (l *Layout) Partitions() []Partition {
	var ps []Partition
	for _, s := range l.Slots {
		ps = append(ps, s.Data, s.Verity)
	}
	for _, s := range l.Slots {
		if s.Sig.Number != 0 {
			ps = append(ps, s.Sig)
		}
	}
	if l.ESP.Number != 0 {
		ps = append(ps, l.ESP)
	}
	return ps
}

// Slot is one bootable copy of the root file system: a DPS root partition
// and its root-verity partition (or, with Spec.Usr, of /usr: a usr
// partition and its usr-verity partition).
type Slot struct {
	// Name is the slot's lower-case letter ("a", "b", ...), used in the
	// partition labels root-a and root-a-verity.
	Name string
	// Bootname is the slot's upper-case letter ("A", "B", ...), which the
	// boot loader passes as rauc.slot= and which RAUC's system.conf uses
	// as the slot's bootname.
	Bootname string
	// Data is the root partition, holding the file system image followed
	// by zeros; the hash tree covers all of it.
	Data Partition
	// Verity is the root-verity partition: a veritysetup superblock at
	// byte 0, then the hash tree.
	Verity Partition
	// Sig is the root-verity-sig partition (Spec.Sign); Number 0 if
	// none.
	Sig Partition
	// Usr: the slot holds /usr (usr, usr-verity, usr-verity-sig
	// partitions), not the root.
	Usr bool
	// Params describes the hash tree, as its superblock does.
	Params verity.Params
	// RootHash is the root hash of the tree. Data.UUID and Verity.UUID are
	// derived from it (dps.PairUUIDs).
	RootHash []byte
}

// NamedSlot returns slot i (0 is A) with only its names: Name, Bootname
// and the partition labels root-a, root-a-verity and root-a-verity-sig,
// which do not depend on the image.
func NamedSlot(i int) Slot {
	return namedSlot(i, "root-")
}

// NamedUsrSlot is NamedSlot for a /usr slot (Spec.Usr): labels usr-a,
// usr-a-verity and usr-a-verity-sig.
func NamedUsrSlot(i int) Slot {
	s := namedSlot(i, "usr-")
	s.Usr = true
	return s
}

func namedSlot(i int, prefix string) Slot {
	name := string(rune('a' + i))
	return Slot{Name: name, Bootname: string(rune('A' + i)),
		Data:   Partition{Label: prefix + name},
		Verity: Partition{Label: prefix + name + "-verity"},
		Sig:    Partition{Label: prefix + name + "-verity-sig"}}
}

// Partition is one partition of a Layout.
type Partition struct {
	Number      int      // partition number (GPT entry index + 1)
	Label       string   // GPT partition name
	Type        gpt.GUID // DPS partition type
	UUID        gpt.GUID // PARTUUID
	Attributes  uint64   // GPT attribute bits: dps.FlagReadOnly
	FirstLBA    uint64   // first logical block
	LastLBA     uint64   // last logical block, inclusive
	OffsetBytes int64    // byte offset on the disk, a multiple of AlignBytes
	SizeBytes   int64    // size in bytes, a multiple of AlignBytes
}

// Cmdline returns the kernel command line arguments a boot loader passes to
// boot s through the verinit (or systemd) initrd:
//
//	roothash=H systemd.verity_root_data=PARTUUID=D systemd.verity_root_hash=PARTUUID=V rauc.slot=B
//
// with the root hash in lowercase hex and the PARTUUIDs in lowercase. There
// is no root=: the root is /dev/mapper/root, and RAUC finds the booted slot
// from rauc.slot=.
//
// For a /usr slot the keys are usrhash=, systemd.verity_usr_data= and
// systemd.verity_usr_hash=; the root beside it is the boot loader's to
// name (root=tmpfs, or a writable partition).
func (s Slot) Cmdline() string {
	if s.Usr {
		return "usrhash=" + hex.EncodeToString(s.RootHash) +
			" systemd.verity_usr_data=PARTUUID=" + s.Data.UUID.String() +
			" systemd.verity_usr_hash=PARTUUID=" + s.Verity.UUID.String() +
			" rauc.slot=" + s.Bootname
	}
	return "roothash=" + hex.EncodeToString(s.RootHash) +
		" systemd.verity_root_data=PARTUUID=" + s.Data.UUID.String() +
		" systemd.verity_root_hash=PARTUUID=" + s.Verity.UUID.String() +
		" rauc.slot=" + s.Bootname
}

// SigCmdline returns the kernel command line arguments that boot s by its
// partition labels, the root hash taken from its signed root-verity-sig
// partition, so that they stay true when an update rewrites the slot:
//
//	systemd.verity_root_data=PARTLABEL=root-a systemd.verity_root_hash=PARTLABEL=root-a-verity verinit.roothash_sig=PARTLABEL=root-a-verity-sig rauc.slot=A
//
// The init takes verinit.roothash_sig= only under signature=required
// (docs/integration/updates.md).
func (s Slot) SigCmdline() string {
	return "systemd.verity_root_data=PARTLABEL=" + s.Data.Label +
		" systemd.verity_root_hash=PARTLABEL=" + s.Verity.Label +
		" verinit.roothash_sig=PARTLABEL=" + s.Sig.Label +
		" rauc.slot=" + s.Bootname
}

// Create writes a disk image to w: for each slot, a root partition holding
// the file system image spec.Image and a root-verity partition holding its
// dm-verity hash tree (sha256, 4096-byte blocks, a random 32-byte salt per
// slot, veritysetup superblock), then the GPT. Partitions start and end on
// 1 MiB boundaries; a root partition is the image size rounded up to
// 1 MiB, the rest zeros, all covered by the tree; a root-verity partition
// is the superblock and tree rounded up to 1 MiB. Both get the DPS
// read-only flag. Their PARTUUIDs are the halves of the root hash
// (dps.PairUUIDs).
//
// w must be at least spec.SizeBytes long or able to grow (a file); Create
// writes the first 1 MiB (with zeros where there is no GPT), the
// partitions' contents and the backup GPT in the last blocks, and nothing
// else. If w is also an io.ReaderAt, Create reads the table back with
// package gpt and checks it against the returned Layout.
func Create(w io.WriterAt, spec Spec) (*Layout, error) {
	spec, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	img, err := os.Open(spec.Image)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer img.Close()
	st, err := img.Stat()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("image: %s is not a regular file", spec.Image)
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("image: %s is empty", spec.Image)
	}
	l, err := plan(spec, st.Size())
	if err != nil {
		return nil, err
	}
	rnd := spec.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	u, err := randomUUID(rnd)
	if err != nil {
		return nil, err
	}
	l.DiskGUID = gpt.GUIDFromBytes(u)

	// Zeros before the first partition: no stale MBR boot code, GPT or
	// file system signature survives.
	if err := writeZeros(w, 0, AlignBytes); err != nil {
		return nil, fmt.Errorf("image: clear the first %d bytes: %w", AlignBytes, err)
	}
	data := &padded{r: img, n: st.Size(), size: l.Slots[0].Data.SizeBytes}
	for i := range l.Slots {
		if err := writeSlot(w, &l.Slots[i], data, rnd); err != nil {
			return nil, err
		}
		if spec.Sign != nil {
			if err := writeSig(w, &l.Slots[i], spec.Sign, rnd); err != nil {
				return nil, err
			}
		}
		for _, prev := range l.Slots[:i] {
			if prev.Data.UUID == l.Slots[i].Data.UUID || prev.Verity.UUID == l.Slots[i].Verity.UUID {
				return nil, fmt.Errorf("image: slots %s and %s have the same partition UUIDs: the random source repeated itself", prev.Name, l.Slots[i].Name)
			}
		}
	}
	if spec.ESP != "" {
		u, err := randomUUID(rnd)
		if err != nil {
			return nil, err
		}
		l.ESP.UUID = gpt.GUIDFromBytes(u)
		if err := writeESP(w, l.ESP, spec.ESP); err != nil {
			return nil, err
		}
	}
	if err := writeGPT(w, l); err != nil {
		return nil, err
	}
	if r, ok := w.(io.ReaderAt); ok {
		if err := check(r, l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (s Spec) withDefaults() (Spec, error) {
	if s.Slots == 0 {
		s.Slots = 2
	}
	if s.Slots < 1 || s.Slots > MaxSlots {
		return s, fmt.Errorf("image: %d slots: want 1 to %d", s.Slots, MaxSlots)
	}
	if s.SectorSize == 0 {
		s.SectorSize = 512
	}
	if s.SectorSize != 512 && s.SectorSize != 4096 {
		return s, fmt.Errorf("image: sector size %d: want 512 or 4096", s.SectorSize)
	}
	if s.SizeBytes < 0 {
		return s, fmt.Errorf("image: negative size %d", s.SizeBytes)
	}
	if s.Arch == "" {
		s.Arch = dps.NativeArch()
	}
	if _, ok := dps.TypeGUID(dps.RootVerity, s.Arch); !ok {
		return s, fmt.Errorf("image: no DPS partition types for architecture %q", s.Arch)
	}
	if s.ESPBytes == 0 {
		s.ESPBytes = DefaultESPBytes
	}
	if s.ESPBytes < MinESPBytes || s.ESPBytes%AlignBytes != 0 {
		return s, fmt.Errorf("image: ESP size %d: want a multiple of %d, at least %d", s.ESPBytes, AlignBytes, MinESPBytes)
	}
	return s, nil
}

// plan computes the partitions for an image of imageBytes bytes, without
// UUIDs, root hashes and tree parameters.
func plan(spec Spec, imageBytes int64) (*Layout, error) {
	if imageBytes > maxImageBytes {
		return nil, fmt.Errorf("image: %s is too large (%d bytes)", spec.Image, imageBytes)
	}
	dataBytes := roundUp(imageBytes, AlignBytes)
	p := treeParams(dataBytes)
	levels, _, err := p.TreeLayout()
	if err != nil {
		return nil, fmt.Errorf("image: hash tree for %d bytes: %w", dataBytes, err)
	}
	hashBytes := int64(VerityBlockSize) // the superblock's block
	for _, lv := range levels {
		hashBytes = max(hashBytes, int64(lv.OffsetBytes+lv.Blocks*VerityBlockSize))
	}
	verityBytes := roundUp(hashBytes, AlignBytes)

	dataRole, verityRole, sigRole, named := dps.Root, dps.RootVerity, dps.RootVeritySig, NamedSlot
	if spec.Usr {
		dataRole, verityRole, sigRole, named = dps.Usr, dps.UsrVerity, dps.UsrVeritySig, NamedUsrSlot
	}
	rootType, _ := dps.TypeGUID(dataRole, spec.Arch)
	verityType, _ := dps.TypeGUID(verityRole, spec.Arch)
	ss := int64(spec.SectorSize)
	l := &Layout{SectorSize: spec.SectorSize, Arch: spec.Arch}
	off := int64(AlignBytes)
	part := func(n int, label string, t gpt.GUID, size int64) Partition {
		p := Partition{Number: n, Label: label, Type: t, Attributes: dps.FlagReadOnly,
			OffsetBytes: off, SizeBytes: size, FirstLBA: uint64(off / ss), LastLBA: uint64((off+size)/ss - 1)}
		off += size
		return p
	}
	for i := 0; i < spec.Slots; i++ {
		s := named(i)
		s.Data = part(2*i+1, s.Data.Label, rootType, dataBytes)
		s.Verity = part(2*i+2, s.Verity.Label, verityType, verityBytes)
		l.Slots = append(l.Slots, s)
	}
	n := 2 * spec.Slots
	if spec.Sign != nil {
		sigType, _ := dps.TypeGUID(sigRole, spec.Arch)
		for i := range l.Slots {
			n++
			l.Slots[i].Sig = part(n, l.Slots[i].Sig.Label, sigType, SigBytes)
		}
	}
	if spec.ESP != "" {
		n++
		l.ESP = part(n, "esp", ESPType, spec.ESPBytes)
		l.ESP.Attributes = ESPAttributes
	}
	// The backup GPT (entry array and header) follows the last usable
	// block.
	need := off + entryArrayBytes + ss
	switch {
	case spec.SizeBytes == 0:
		l.SizeBytes = off + AlignBytes
	case spec.SizeBytes%ss != 0:
		return nil, fmt.Errorf("image: size %d is not a multiple of the %d-byte sector size", spec.SizeBytes, ss)
	case spec.SizeBytes < need:
		return nil, fmt.Errorf("image: size %d is too small: %d slots of %d+%d bytes need at least %d bytes", spec.SizeBytes, spec.Slots, dataBytes, verityBytes, need)
	default:
		l.SizeBytes = spec.SizeBytes
	}
	return l, nil
}

// treeParams returns the tree parameters for a data partition of
// dataBytes bytes, without salt and UUID.
func treeParams(dataBytes int64) verity.Params {
	return verity.Params{HashType: 1, Algorithm: VerityAlgorithm, DataBlockSize: VerityBlockSize,
		HashBlockSize: VerityBlockSize, DataBlocks: uint64(dataBytes / VerityBlockSize)}
}

// writeSlot formats the hash tree of data into s's verity partition,
// derives the partition UUIDs from the root hash and copies data into s's
// data partition.
func writeSlot(w io.WriterAt, s *Slot, data *padded, rnd io.Reader) error {
	p := treeParams(s.Data.SizeBytes)
	p.Salt = make([]byte, saltBytes)
	if _, err := io.ReadFull(rnd, p.Salt); err != nil {
		return fmt.Errorf("image: random salt: %w", err)
	}
	u, err := randomUUID(rnd)
	if err != nil {
		return err
	}
	p.UUID = u
	root, err := verity.Format(data, io.NewOffsetWriter(w, s.Verity.OffsetBytes), p, 0)
	if err != nil {
		return fmt.Errorf("image: hash tree of slot %s: %w", s.Name, err)
	}
	s.Params, s.RootHash = p, root
	if s.Data.UUID, s.Verity.UUID, err = dps.PairUUIDs(root); err != nil {
		return fmt.Errorf("image: slot %s: %w", s.Name, err)
	}
	buf := make([]byte, AlignBytes)
	dst := io.NewOffsetWriter(w, s.Data.OffsetBytes)
	if _, err := io.CopyBuffer(dst, io.NewSectionReader(data, 0, data.size), buf); err != nil {
		return fmt.Errorf("image: write the data partition of slot %s at byte %d: %w", s.Name, s.Data.OffsetBytes, err)
	}
	return nil
}

// writeGPT writes the protective MBR and the primary and backup GPT of l.
func writeGPT(w io.WriterAt, l *Layout) error {
	t := &dgpt.Table{
		LogicalSectorSize:  l.SectorSize,
		PhysicalSectorSize: l.SectorSize,
		ProtectiveMBR:      true,
		GUID:               l.DiskGUID.String(),
	}
	for _, p := range l.Partitions() {
		t.Partitions = append(t.Partitions, &dgpt.Partition{
			Index: p.Number, Start: p.FirstLBA, End: p.LastLBA, Type: dgpt.Type(p.Type.String()),
			Name: p.Label, GUID: p.UUID.String(), Attributes: p.Attributes,
		})
	}
	if err := t.Write(writerAtFile{w}, l.SizeBytes); err != nil {
		return fmt.Errorf("image: write GPT: %w", err)
	}
	// go-diskfs writes the protective record with zero CHS fields and
	// uint32(last LBA) as its size; write it as UEFI 2.10 §5.2.3 asks:
	// start CHS 0x000200, end CHS 0xFFFFFF, size the last LBA or
	// 0xFFFFFFFF if that does not fit.
	lastLBA := uint64(l.SizeBytes/int64(l.SectorSize)) - 1
	var rec [16]byte
	rec[2] = 0x02
	rec[4] = 0xee
	rec[5], rec[6], rec[7] = 0xff, 0xff, 0xff
	binary.LittleEndian.PutUint32(rec[8:], 1)
	binary.LittleEndian.PutUint32(rec[12:], uint32(min(lastLBA, 0xffffffff)))
	if _, err := w.WriteAt(rec[:], 446); err != nil {
		return fmt.Errorf("image: write protective MBR: %w", err)
	}
	return nil
}

// check reads the table back with package gpt and compares it with l.
func check(r io.ReaderAt, l *Layout) error {
	t, err := gpt.Read(r, l.SizeBytes, l.SectorSize)
	if err != nil {
		return fmt.Errorf("image: read back the GPT: %w", err)
	}
	if !t.ProtectiveMBR || t.FromBackup || t.DiskGUID != l.DiskGUID {
		return fmt.Errorf("image: GPT read back: protective MBR %v, from backup %v, disk GUID %s; want true, false, %s",
			t.ProtectiveMBR, t.FromBackup, t.DiskGUID, l.DiskGUID)
	}
	want := l.Partitions()
	if len(t.Partitions) != len(want) {
		return fmt.Errorf("image: GPT read back has %d partitions, want %d", len(t.Partitions), len(want))
	}
	for i, p := range t.Partitions {
		w := want[i]
		if p.Number != w.Number || p.Type != w.Type || p.UUID != w.UUID || p.FirstLBA != w.FirstLBA ||
			p.LastLBA != w.LastLBA || p.Attributes != w.Attributes || p.Name != w.Label {
			return fmt.Errorf("image: GPT read back: partition %d is %+v, want %+v", p.Number, p, w)
		}
	}
	return nil
}

// padded reads the first n bytes of r, then zeros up to size.
type padded struct {
	r       io.ReaderAt
	n, size int64
}

func (p *padded) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("image: negative offset")
	}
	if off >= p.size {
		return 0, io.EOF
	}
	want := len(b)
	if int64(want) > p.size-off {
		b = b[:p.size-off]
	}
	n := 0
	if off < p.n {
		m := min(int64(len(b)), p.n-off)
		k, err := p.r.ReadAt(b[:m], off)
		if int64(k) < m {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the file shrank
			}
			return k, err
		}
		n = k
	}
	clear(b[n:])
	if len(b) < want {
		return len(b), io.EOF
	}
	return len(b), nil
}

// writerAtFile lets go-diskfs, which asks for a backend.WritableFile, write
// to an io.WriterAt. Table.Write only calls WriteAt.
type writerAtFile struct{ w io.WriterAt }

var errWriteOnly = errors.New("image: write-only destination")

func (f writerAtFile) WriteAt(p []byte, off int64) (int, error) { return f.w.WriteAt(p, off) }
func (writerAtFile) ReadAt([]byte, int64) (int, error)          { return 0, errWriteOnly }
func (writerAtFile) Read([]byte) (int, error)                   { return 0, errWriteOnly }
func (writerAtFile) Seek(int64, int) (int64, error)             { return 0, errWriteOnly }
func (writerAtFile) Stat() (fs.FileInfo, error)                 { return nil, errWriteOnly }
func (writerAtFile) Close() error                               { return nil }

// writeZeros writes n zero bytes at off.
func writeZeros(w io.WriterAt, off, n int64) error {
	buf := make([]byte, min(n, AlignBytes))
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.WriteAt(buf[:k], off); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// randomUUID returns a version 4 UUID in text byte order.
func randomUUID(r io.Reader) ([16]byte, error) {
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return u, fmt.Errorf("image: random UUID: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u, nil
}
