package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/verinit/verinit/pkg/sig/sign"
	"github.com/verinit/verinit/pkg/verity"
)

// treeFlags are the hash tree parameters, as veritysetup names them.
type treeFlags struct {
	hashOffset, dataBlocks        *uint64
	dataBlockSize, hashBlockSize  *uint
	alg, salt, uuid, rootHashFile *string
	signKey, signCert             *string
	format                        *int
	noSuperblock, jsonOut         *bool
	fec                           fecFlags
}

func addTreeFlags(fs *flag.FlagSet, withFormatOnly bool) treeFlags {
	t := treeFlags{
		hashOffset:    fs.Uint64("hash-offset", 0, "byte `offset` of the superblock (or, with --no-superblock, the tree) on the hash device"),
		dataBlocks:    fs.Uint64("data-blocks", 0, "number of data `blocks` to cover (default: the whole data device)"),
		dataBlockSize: fs.Uint("data-block-size", 4096, "data block size in `bytes`"),
		hashBlockSize: fs.Uint("hash-block-size", 4096, "hash block size in `bytes`"),
		alg:           fs.String("hash", "sha256", "hash `algorithm`: sha1, sha256 or sha512"),
		salt:          fs.String("salt", "", "salt in `hex`, or - for none (format default: 32 random bytes)"),
		format:        fs.Int("format", 1, "hash `format`: 1, or 0 for the original Chrome OS one"),
		noSuperblock:  fs.Bool("no-superblock", false, "the hash device has no superblock: every parameter is given by flags"),
		jsonOut:       fs.Bool("json", false, "print JSON"),
		fec:           addFECFlags(fs),
	}
	if withFormatOnly {
		t.signKey = fs.String("sign-key", "", "also sign the root hash with this PEM private `KEY` (with --sign-cert)")
		t.signCert = fs.String("sign-cert", "", "the signing key's PEM `CERT`; writes HASH.p7s (DER) and HASH.verity-sig.json (DPS root-verity-sig content)")
		t.uuid = fs.String("uuid", "", "superblock `UUID` (default: random)")
		t.rootHashFile = fs.String("root-hash-file", "", "also write the root hash, in hex without a newline, to `FILE`")
	}
	return t
}

// params builds Params from the flags alone.
func (t treeFlags) params() (verity.Params, error) {
	p := verity.Params{HashType: *t.format, Algorithm: *t.alg, DataBlockSize: uint32(*t.dataBlockSize),
		HashBlockSize: uint32(*t.hashBlockSize), DataBlocks: *t.dataBlocks, HashOffsetBytes: *t.hashOffset,
		NoSuperblock: *t.noSuperblock}
	salt, err := verity.ParseSalt(*t.salt)
	if err != nil {
		return p, err
	}
	p.Salt = salt
	return p, nil
}

// parseMixed parses flags that may come before, between or after the
// positional arguments, as veritysetup allows.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runVerityFormat(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verity format", stderr)
	t := addTreeFlags(fs, true)
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return errUsage
	}
	p, err := t.params()
	if err != nil {
		return err
	}
	if err := t.fec.check(p); err != nil {
		return err
	}
	if *t.salt == "" {
		p.Salt = make([]byte, 32)
		rand.Read(p.Salt)
	}
	if *t.uuid != "" {
		if p.UUID, err = verity.ParseUUID(*t.uuid); err != nil {
			return err
		}
	} else {
		rand.Read(p.UUID[:])
		p.UUID[6] = p.UUID[6]&0x0f | 0x40 // version 4
		p.UUID[8] = p.UUID[8]&0x3f | 0x80 // RFC 4122 variant
	}
	data, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer data.Close()
	if p.DataBlocks == 0 {
		st, err := data.Stat()
		if err != nil {
			return err
		}
		size := st.Size()
		if pos[0] == pos[1] && p.HashOffsetBytes > 0 {
			size = min(size, int64(p.HashOffsetBytes))
		}
		p.DataBlocks = uint64(size) / uint64(p.DataBlockSize)
	}
	flags := os.O_RDWR | os.O_CREATE
	hash, err := os.OpenFile(pos[1], flags, 0o644)
	if err != nil {
		return err
	}
	m := meter(stderr, "verity format, hashed", int64(p.DataBlocks)*int64(p.DataBlockSize))
	root, err := verity.Format(m.ReaderAt(data), hash, p, runtime.NumCPU())
	m.Done()
	if err != nil {
		hash.Close()
		return err
	}
	if err := hash.Close(); err != nil {
		return err
	}
	fecs, err := t.fec.setup(p, pos[0], pos[1])
	if err != nil {
		return err
	}
	if fecs != nil {
		if err := writeFEC(fecs, data, pos[1], stderr); err != nil {
			return err
		}
	}
	if *t.rootHashFile != "" {
		if err := os.WriteFile(*t.rootHashFile, []byte(hex.EncodeToString(root)), 0o644); err != nil {
			return err
		}
	}
	if (*t.signKey == "") != (*t.signCert == "") {
		return fmt.Errorf("--sign-key and --sign-cert go together: %w", errUsage)
	}
	if *t.signKey != "" {
		for _, out := range []struct {
			path   string
			asJSON bool
		}{{pos[1] + ".p7s", false}, {pos[1] + ".verity-sig.json", true}} {
			b, err := signRootHash(hex.EncodeToString(root), *t.signKey, *t.signCert, out.asJSON, sign.Options{})
			if err != nil {
				return err
			}
			if err := os.WriteFile(out.path, b, 0o644); err != nil {
				return err
			}
		}
	}
	return printTree(stdout, pos[1], p, root, fecs, *t.jsonOut)
}

// writeFEC writes the parity of the tree just made.
func writeFEC(s *fecSetup, data io.ReaderAt, hashPath string, stderr io.Writer) error {
	hash, err := os.Open(hashPath)
	if err != nil {
		return err
	}
	defer hash.Close()
	return s.write(data, hash, stderr)
}

func runVerityVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verity verify", stderr)
	t := addTreeFlags(fs, false)
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		fs.Usage()
		return errUsage
	}
	data, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer data.Close()
	hash, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer hash.Close()
	p, err := t.params()
	if err != nil {
		return err
	}
	if !p.NoSuperblock {
		sb, err := readSuperblock(hash, p.HashOffsetBytes)
		if err != nil {
			return err
		}
		p = sb.Params(p.HashOffsetBytes)
	} else if p.DataBlocks == 0 {
		st, err := data.Stat()
		if err != nil {
			return err
		}
		p.DataBlocks = uint64(st.Size()) / uint64(p.DataBlockSize)
	}
	root, err := verity.ParseHexRootHash(pos[2], p.Algorithm)
	if err != nil {
		return err
	}
	if err := t.fec.check(p); err != nil {
		return err
	}
	fecs, err := t.fec.setup(p, pos[0], pos[1])
	if err != nil {
		return err
	}
	var repaired []string
	if fecs != nil {
		repaired, err = fecs.verify(data, hash, p, root, stderr)
	} else {
		m := meter(stderr, "verity verify, checked", int64(p.DataBlocks)*int64(p.DataBlockSize))
		err = verity.Verify(m.ReaderAt(data), hash, p, root, runtime.NumCPU())
		m.Done()
	}
	if len(repaired) > 0 {
		fmt.Fprintf(stderr, "verinit: repaired in memory from the FEC parity on %s: %s\n", fecs.path, strings.Join(repaired, ", "))
	}
	if *t.jsonOut {
		res := verifyResult{Data: pos[0], Hash: pos[1], RootHash: pos[2], DataBlocks: p.DataBlocks, OK: err == nil,
			FECRepaired: repaired}
		if fecs != nil {
			res.FECDevice = fecs.path
		}
		if err != nil {
			res.Error = err.Error()
		}
		if jerr := writeJSON(stdout, res); jerr != nil {
			return jerr
		}
	}
	if err != nil {
		return err
	}
	if !*t.jsonOut {
		fmt.Fprintf(stdout, "%s: all %d data blocks and the hash tree match root hash %s\n", pos[0], p.DataBlocks, pos[2])
		if fecs != nil {
			fmt.Fprintf(stdout, "%s: the FEC parity matches them\n", fecs.path)
		}
	}
	return nil
}

// verifyResult is what verify --json prints, also when a block is bad
// (the error then goes to stderr too, and the exit status is 1).
type verifyResult struct {
	Data       string `json:"data"`
	Hash       string `json:"hash"`
	RootHash   string `json:"root_hash"`
	DataBlocks uint64 `json:"data_blocks"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	// With --fec-device: the parity file, and the bad blocks it repaired
	// (in memory) before everything matched.
	FECDevice   string   `json:"fec_device,omitempty"`
	FECRepaired []string `json:"fec_repaired,omitempty"`
}

func runVerityDump(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verity dump", stderr)
	offset := fs.Uint64("hash-offset", 0, "byte `offset` of the superblock")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	sb, err := readSuperblock(f, *offset)
	if err != nil {
		return err
	}
	return printTree(stdout, pos[0], sb.Params(*offset), nil, nil, *jsonOut)
}

func readSuperblock(f *os.File, offset uint64) (*verity.Superblock, error) {
	buf := make([]byte, verity.SuperblockSize)
	if _, err := f.ReadAt(buf, int64(offset)); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: read superblock at byte %d: %w", f.Name(), offset, err)
	}
	sb, err := verity.ParseSuperblock(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return sb, nil
}

// treeInfo is what format and dump print; the text form uses
// veritysetup's labels so that scripts reading them keep working.
type treeInfo struct {
	UUID           string `json:"uuid,omitempty"`
	HashType       int    `json:"hash_type"`
	DataBlocks     uint64 `json:"data_blocks"`
	DataBlockSize  uint32 `json:"data_block_size"`
	HashBlocks     uint64 `json:"hash_blocks"`
	HashBlockSize  uint32 `json:"hash_block_size"`
	Algorithm      string `json:"hash_algorithm"`
	Salt           string `json:"salt"`
	RootHash       string `json:"root_hash,omitempty"`
	HashOffset     uint64 `json:"hash_offset"`
	HashDeviceSize uint64 `json:"hash_device_size"`
	FECRoots       int    `json:"fec_roots,omitempty"`
	FECBlocks      uint64 `json:"fec_blocks,omitempty"` // parity blocks, as veritysetup counts them
	FECDevice      string `json:"fec_device,omitempty"`
	FECOffset      int64  `json:"fec_offset,omitempty"`
}

func printTree(w io.Writer, hashPath string, p verity.Params, root []byte, fecs *fecSetup, asJSON bool) error {
	_, treeBytes, err := p.TreeLayout()
	if err != nil {
		return err
	}
	info := treeInfo{HashType: p.HashType, DataBlocks: p.DataBlocks, DataBlockSize: p.DataBlockSize,
		HashBlocks: treeBytes / uint64(p.HashBlockSize), HashBlockSize: p.HashBlockSize, Algorithm: p.Algorithm,
		Salt: hex.EncodeToString(p.Salt), HashOffset: p.HashOffsetBytes}
	if !p.NoSuperblock {
		info.UUID = formatUUID(p.UUID)
	}
	if info.Salt == "" {
		info.Salt = "-"
	}
	if root != nil {
		info.RootHash = hex.EncodeToString(root)
	}
	info.HashDeviceSize = treeEnd(p)
	var parityBytes int64
	if fecs != nil {
		blocks, err := fecs.blocks()
		if err != nil {
			return err
		}
		parityBlocks, err := fecs.params.ParityBlocks(blocks)
		if err != nil {
			return err
		}
		info.FECRoots, info.FECBlocks, info.FECDevice, info.FECOffset = fecs.params.Roots, parityBlocks, fecs.path, fecs.offset
		parityBytes = int64(parityBlocks) * int64(fecs.params.BlockSize)
		if sameFile(fecs.path, hashPath) {
			// As veritysetup counts it: the parity right after the tree.
			info.HashDeviceSize += uint64(parityBytes)
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "VERITY header information for %s\n", hashPath)
	line := func(label, value string) { fmt.Fprintf(&b, "%-17s\t%s\n", label+":", value) }
	if info.UUID != "" {
		line("UUID", info.UUID)
	}
	line("Hash type", fmt.Sprint(info.HashType))
	line("Data blocks", fmt.Sprint(info.DataBlocks))
	line("Data block size", fmt.Sprint(info.DataBlockSize))
	line("Hash blocks", fmt.Sprint(info.HashBlocks))
	line("Hash block size", fmt.Sprint(info.HashBlockSize))
	line("Hash algorithm", info.Algorithm)
	if fecs != nil { // veritysetup's labels, spacing and all
		fmt.Fprintf(&b, "FEC RS roots:   \t%d\n", info.FECRoots)
		fmt.Fprintf(&b, "FEC blocks:     \t%d\n", info.FECBlocks)
	}
	line("Salt", info.Salt)
	if root != nil {
		fmt.Fprintf(&b, "Root hash:      \t%s\n", info.RootHash)
	}
	if p.HashOffsetBytes == 0 {
		fmt.Fprintf(&b, "Hash device size: \t%d [bytes]\n", info.HashDeviceSize)
	}
	if fecs != nil && fecs.offset == 0 && !sameFile(fecs.path, hashPath) {
		fmt.Fprintf(&b, "FEC device size: \t%d [bytes]\n", parityBytes)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// treeEnd returns the byte of the hash device after tree p.
func treeEnd(p verity.Params) uint64 {
	levels, _, _ := p.TreeLayout()
	var end uint64
	for _, l := range levels {
		end = max(end, l.OffsetBytes+l.Blocks*uint64(p.HashBlockSize))
	}
	return end
}

func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
