package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/verity"
)

// Corruption modes of the dm-verity table.
const (
	ModeRestart = "restart_on_corruption" // the default: the bootloader falls back
	ModePanic   = "panic_on_corruption"
	ModeIgnore  = "ignore_corruption"
	ModeEIO     = "" // no option: a bad block reads as EIO
)

// Source is where the verity configuration came from.
type Source int

// The sources, as status.json names them (String).
const (
	FromSystemd   Source = iota + 1 // roothash= with systemd.verity_root_data= and systemd.verity_root_hash=
	FromDPS                         // roothash= alone: the Discoverable Partitions pairing
	FromRoot                        // roothash= with root=: the pairing, or a tree appended to the root
	FromVerityEnv                   // a packed dm-verity.env
	FromSignature                   // verinit.roothash_sig=: the root hash a slot's signed root-verity-sig partition names
	FromVeritytab                   // the volume "root" (or "usr") of a packed /etc/veritytab
)

func (s Source) String() string {
	switch s {
	case FromSystemd:
		return "systemd"
	case FromDPS:
		return "dps"
	case FromRoot:
		return "root"
	case FromVerityEnv:
		return "dm-verity.env"
	case FromSignature:
		return "signature"
	case FromVeritytab:
		return "veritytab"
	}
	return "none"
}

// Verity is how the root is to be verified.
type Verity struct {
	Source   Source
	RootHash string // lowercase hex; "" until read from RootHashFrom
	// RootHashFrom is verinit.roothash_sig=: the partition whose signed
	// root-verity-sig JSON gives the root hash (and its signature).
	RootHashFrom rootdev.Spec
	Data         rootdev.Spec
	Hash         rootdev.Spec
	// HashOffset is where the superblock (or, without one, the tree)
	// starts on the hash device. HashOffsetFromFS: the hash is appended
	// to the data device after the file system; find its superblock
	// at the file system's end.
	HashOffset       uint64
	HashOffsetFromFS bool
	Options          VerityOptions
	Sig              SigSource // where the root-hash signature comes from
	KernelSig        bool      // verinit.verity_sig=kernel: the kernel checks it too
	// FEC is forward error correction, nil without fec-device=.
	FEC *FEC
}

// FEC is where the Reed-Solomon parity of the data and the tree is
// (veritysetup format --fec-device): the kernel repairs a block whose
// hash does not match from it, and the repaired block must then match.
type FEC struct {
	Device      rootdev.Spec
	OffsetBytes uint64 // fec-offset=: where the parity starts on Device
	Roots       int    // fec-roots=: parity bytes per 255-byte codeword, 2 to 24
}

// DefaultFECRoots is veritysetup's --fec-roots default.
const DefaultFECRoots = 2

// SigSource says where the root-hash signature is. The zero value: none
// given (a Discoverable Partitions root-verity-sig partition may still
// hold one).
type SigSource struct {
	Inline []byte       // base64:... on the command line, decoded
	Path   string       // a file in the initramfs
	Part   rootdev.Spec // a partition whose content is the signature (DER)
	From   string       // the key it came from, for messages
}

// Given reports whether a signature source was named.
func (s SigSource) Given() bool { return s.Inline != nil || s.Path != "" || s.Part.Kind != 0 }

// VeritySigEnvPath is where the init looks for a signature next to
// Yocto's dm-verity.env.
const VeritySigEnvPath = "/usr/share/misc/dm-verity.env.p7s"

// maxInlineSig bounds a base64 signature on the command line.
const maxInlineSig = 16 << 10

// parseSigSource reads a signature source: base64:DATA, /PATH (in the
// initramfs), or a device in any form root= accepts (the signature is
// the partition's content).
func parseSigSource(key, s string) (SigSource, error) {
	src := SigSource{From: key}
	switch {
	case strings.HasPrefix(s, "base64:"):
		enc := strings.TrimPrefix(s, "base64:")
		if len(enc) > maxInlineSig {
			return src, fmt.Errorf("%s: %d base64 characters, more than %d", key, len(enc), maxInlineSig)
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return src, fmt.Errorf("%s: not base64: %v", key, err)
		}
		src.Inline = b
	case strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "/dev/"):
		src.Path = s
	default:
		spec, err := rootdev.ParseSpec(s)
		if err != nil {
			return src, fmt.Errorf("%s: want base64:DATA, a /PATH in the initramfs or a partition: %w", key, err)
		}
		src.Part = spec
	}
	return src, nil
}

// VerityOptions are systemd.verity_root_options= (systemd-veritysetup's
// names) plus verinit's own settings. Zero values mean "from the
// superblock" or "the default".
type VerityOptions struct {
	NoSuperblock     bool
	Format           int // the hash format, 0 or 1, when FormatSet
	FormatSet        bool
	DataBlockSize    uint32
	HashBlockSize    uint32
	DataBlocks       uint64
	Salt             []byte // when SaltSet; nil for none (salt=-)
	SaltSet          bool
	UUID             string
	Algorithm        string
	Mode             string // one of the Mode* constants
	ErrorMode        string // "", "restart_on_error", "panic_on_error"
	IgnoreZeroBlocks bool
	CheckAtMostOnce  bool
	HashOffset       uint64 // hash-offset=, when HashOffsetSet
	HashOffsetSet    bool
	FECDevice        string
	FECOffset        uint64
	FECRoots         int
	Signature        string // root-hash-signature=, parsed by parseSigSource
}

// KernelOptions renders the optional table arguments in cryptsetup's
// order (mode, error mode, ignore_zero_blocks, check_at_most_once);
// FEC arguments are added by the caller, who knows the device.
func (o VerityOptions) KernelOptions() []string {
	var opts []string
	for _, s := range []string{o.Mode, o.ErrorMode} {
		if s != "" {
			opts = append(opts, s)
		}
	}
	if o.IgnoreZeroBlocks {
		opts = append(opts, "ignore_zero_blocks")
	}
	if o.CheckAtMostOnce {
		opts = append(opts, "check_at_most_once")
	}
	return opts
}

// maxHexHash bounds a root hash: sha512 is 64 bytes.
const maxHexHash = 128

func parseRootHash(key, s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(s) < 40 || len(s) > maxHexHash {
		return "", fmt.Errorf("%s=%s: want the root hash in hex (40 to %d digits)", key, s, maxHexHash)
	}
	return hex.EncodeToString(b), nil
}

// optionArg is one option of systemd.verity_root_options= as its
// parser sees it.
type optionArg struct {
	where    string // where the option was read: VerityOptionsKey, a veritytab line
	name     string // before '='
	opt      string // the whole option, for messages
	value    string
	hasValue bool
}

func (a optionArg) fail(want string) error {
	return fmt.Errorf("%s: %s: want %s", a.where, a.opt, want)
}

func (a optionArg) u64() (uint64, error) {
	n, err := strconv.ParseUint(a.value, 10, 64)
	if err != nil || !a.hasValue {
		return 0, a.fail("a number")
	}
	return n, nil
}

func (a optionArg) blockSize() (uint32, error) {
	n, err := a.u64()
	if err != nil || n < 512 || n > 65536 || n&(n-1) != 0 {
		return 0, a.fail("a power of two from 512 to 65536")
	}
	return uint32(n), nil
}

// verityOptionParser reads one option of systemd.verity_root_options=.
type verityOptionParser struct {
	name string
	set  func(o *VerityOptions, a optionArg) error
}

// verityOptionParsers are the options systemd-veritysetup knows, by its
// names; each has a rule in verityOptionRules (a test checks).
func verityOptionParsers() []verityOptionParser {
	mode := func(o *VerityOptions, a optionArg) error {
		o.Mode = strings.ReplaceAll(a.name, "-", "_")
		return nil
	}
	errorMode := func(o *VerityOptions, a optionArg) error {
		o.ErrorMode = strings.ReplaceAll(a.name, "-", "_")
		return nil
	}
	return []verityOptionParser{
		{"superblock", func(o *VerityOptions, a optionArg) error {
			b, err := parseBool(a.value)
			if err != nil {
				return a.fail("a boolean")
			}
			o.NoSuperblock = !b
			return nil
		}},
		{"format", func(o *VerityOptions, a optionArg) error {
			if a.value != "0" && a.value != "1" {
				return a.fail("0 or 1")
			}
			o.Format, o.FormatSet = int(a.value[0]-'0'), true
			return nil
		}},
		{"data-block-size", func(o *VerityOptions, a optionArg) (err error) {
			o.DataBlockSize, err = a.blockSize()
			return err
		}},
		{"hash-block-size", func(o *VerityOptions, a optionArg) (err error) {
			o.HashBlockSize, err = a.blockSize()
			return err
		}},
		{"data-blocks", func(o *VerityOptions, a optionArg) (err error) {
			o.DataBlocks, err = a.u64()
			return err
		}},
		{"hash-offset", func(o *VerityOptions, a optionArg) error {
			n, err := a.u64()
			if err == nil && n%512 != 0 {
				return a.fail("bytes, a multiple of 512")
			}
			o.HashOffset, o.HashOffsetSet = n, err == nil
			return err
		}},
		{"salt", func(o *VerityOptions, a optionArg) error {
			salt, err := verity.ParseSalt(a.value)
			if err != nil || a.value == "" {
				return a.fail("hex of at most 256 bytes, or -")
			}
			o.Salt, o.SaltSet = salt, true
			return nil
		}},
		{"uuid", func(o *VerityOptions, a optionArg) error {
			o.UUID = a.value
			return nil
		}},
		{"hash", func(o *VerityOptions, a optionArg) error {
			switch a.value {
			case "sha1", "sha256", "sha512":
				o.Algorithm = a.value
				return nil
			}
			return a.fail("sha1, sha256 or sha512")
		}},
		{"ignore-corruption", mode},
		{"restart-on-corruption", mode},
		{"panic-on-corruption", mode},
		{"restart-on-error", errorMode},
		{"panic-on-error", errorMode},
		{"ignore-zero-blocks", func(o *VerityOptions, a optionArg) error {
			o.IgnoreZeroBlocks = true
			return nil
		}},
		{"check-at-most-once", func(o *VerityOptions, a optionArg) error {
			o.CheckAtMostOnce = true
			return nil
		}},
		{"fec-device", func(o *VerityOptions, a optionArg) error {
			o.FECDevice = a.value
			return nil
		}},
		{"fec-offset", func(o *VerityOptions, a optionArg) (err error) {
			o.FECOffset, err = a.u64()
			return err
		}},
		{"fec-roots", func(o *VerityOptions, a optionArg) error {
			n, err := a.u64()
			if err == nil && (n < 2 || n > 24) {
				return a.fail("2 to 24")
			}
			o.FECRoots = int(n)
			return err
		}},
		{"root-hash-signature", func(o *VerityOptions, a optionArg) error {
			if !a.hasValue || a.value == "auto" {
				return a.fail("base64:DATA or a path (auto is the DPS root-verity-sig partition, found without it)")
			}
			o.Signature = a.value
			return nil
		}},
	}
}

// parseVerityOptions reads systemd.verity_root_options=, each option
// checked against the policy p.
func parseVerityOptions(s string, o *VerityOptions, p Policy) error {
	return parseOptions(s, VerityOptionsKey, nil, o, p)
}

// parseOptions reads comma-separated verity options, found where (for
// messages), each checked against the policy p under the rule of the
// option of systemd.verity_root_options= of that name. An option in
// skip is accepted and does nothing.
func parseOptions(s, where string, skip []string, o *VerityOptions, p Policy) error {
	parsers := verityOptionParsers()
	modes := 0
	for _, opt := range strings.Split(s, ",") {
		key, value, hasValue := strings.Cut(opt, "=")
		if key == "" || slices.Contains(skip, key) {
			continue
		}
		i := slices.IndexFunc(parsers, func(v verityOptionParser) bool { return v.name == key })
		if i < 0 {
			return fmt.Errorf("%s: unknown option %q", where, key)
		}
		if err := p.check(VerityOptionsKey+"="+key, value); err != nil {
			e := err.(*RefusedError)
			e.Key, e.Value = where, opt
			if where != VerityOptionsKey { // not a key=value of the command line
				e.Key, e.Value = where+": "+opt, ""
			}
			return e
		}
		if strings.HasSuffix(key, "-corruption") {
			modes++
		}
		if err := parsers[i].set(o, optionArg{where: where, name: key, opt: opt, value: value, hasValue: hasValue}); err != nil {
			return err
		}
	}
	if modes > 1 {
		return fmt.Errorf("%s: more than one of ignore-corruption, restart-on-corruption, panic-on-corruption", where)
	}
	if o.FECDevice == "" && (o.FECOffset != 0 || o.FECRoots != 0) {
		return fmt.Errorf("%s: fec-offset= and fec-roots= need fec-device=", where)
	}
	return nil
}

// verityEnabled reads systemd.verity= and rd.systemd.verity=, which turn
// verity off for the root and /usr alike. In the initrd systemd reads
// both spellings, each under the same rule here; two that disagree are
// refused rather than ordered.
func verityEnabled(c *policed) (bool, error) {
	enabled := map[string]bool{}
	for _, key := range []string{"systemd.verity", "rd.systemd.verity"} {
		if v, ok := c.Lookup(key); ok {
			b, err := parseBool(v)
			if err != nil {
				return false, fmt.Errorf("%s=%s: want a boolean", key, v)
			}
			enabled[key] = b
		}
	}
	if len(enabled) == 2 && enabled["systemd.verity"] != enabled["rd.systemd.verity"] {
		return false, errors.New("systemd.verity= and rd.systemd.verity= disagree")
	}
	for _, on := range enabled {
		if !on {
			return false, nil
		}
	}
	return true, nil
}

// corruptionMode reads verinit.verity_on_corruption=, which applies to
// every verity device (the root and /usr): nil when not given.
func corruptionMode(c *policed) (*string, error) {
	s, ok := c.Lookup("verinit.verity_on_corruption")
	if !ok {
		return nil, nil
	}
	modes := map[string]string{"restart": ModeRestart, "panic": ModePanic, "ignore": ModeIgnore, "eio": ModeEIO}
	m, known := modes[s]
	if !known {
		return nil, fmt.Errorf("verinit.verity_on_corruption=%s: want restart, panic, ignore or eio", s)
	}
	return &m, nil
}

// parseVerity finds the verity configuration: systemd's keys, root= with
// roothash=, or a packed dm-verity.env. It returns nil when none is given.
func parseVerity(c *policed, env *VerityEnv, tab *VeritytabEntry, root string, mode *string) (*Verity, error) {
	v := &Verity{Options: VerityOptions{Mode: ModeRestart}}
	if s, ok := c.Lookup("systemd.verity_root_options"); ok {
		if err := parseVerityOptions(s, &v.Options, c.policy); err != nil {
			return nil, err
		}
	}
	if mode != nil {
		v.Options.Mode = *mode
	}
	hash, hasHash := c.Lookup("roothash")
	dataDev, hasData := c.Lookup("systemd.verity_root_data")
	hashDev, hasHashDev := c.Lookup("systemd.verity_root_hash")
	sigPart, hasSigPart := c.Lookup("verinit.roothash_sig")
	var err error
	switch {
	case hasSigPart:
		// The root hash is the one a signed root-verity-sig partition
		// names: static boot entries per slot, whatever the image.
		switch {
		case c.policy.Signature != Required:
			return nil, errors.New("verinit.roothash_sig= takes the root hash from the disk: it needs a required signature (verinit initramfs --policy signature=required, or verinit.signature=required)")
		case hasHash:
			return nil, errors.New("verinit.roothash_sig= and roothash= both give the root hash; give one")
		case !hasData || !hasHashDev:
			return nil, errors.New("verinit.roothash_sig= needs systemd.verity_root_data= and systemd.verity_root_hash= for the slot's data and hash partitions")
		}
		v.Source = FromSignature
		if v.RootHashFrom, err = rootdev.ParseSpec(sigPart); err != nil {
			return nil, fmt.Errorf("verinit.roothash_sig: %w", err)
		}
		if v.Data, err = rootdev.ParseSpec(dataDev); err != nil {
			return nil, fmt.Errorf("systemd.verity_root_data: %w", err)
		}
		if v.Hash, err = rootdev.ParseSpec(hashDev); err != nil {
			return nil, fmt.Errorf("systemd.verity_root_hash: %w", err)
		}
	case hasData || hasHashDev:
		if !hasData || !hasHashDev || !hasHash {
			return nil, errors.New("systemd.verity_root_data=, systemd.verity_root_hash= and roothash= go together; some are missing")
		}
		v.Source = FromSystemd
		if v.Data, err = rootdev.ParseSpec(dataDev); err != nil {
			return nil, fmt.Errorf("systemd.verity_root_data: %w", err)
		}
		if v.Hash, err = rootdev.ParseSpec(hashDev); err != nil {
			return nil, fmt.Errorf("systemd.verity_root_hash: %w", err)
		}
	case hasHash && root == "":
		// Discoverable Partitions: the root hash names both partitions.
		v.Source = FromDPS
		if v.Data, v.Hash, err = pairSpecs("roothash", hash); err != nil {
			return nil, err
		}
	case hasHash:
		v.Source = FromRoot
		if v.Data, err = rootdev.ParseSpec(root); err != nil {
			return nil, err
		}
		v.Hash = v.Data
		v.HashOffsetFromFS = true
	case env != nil:
		hash = env.RootHash
		v.Source = FromVerityEnv
		if err := v.fromEnv(*env, root); err != nil {
			return nil, err
		}
	case tab != nil:
		hash = tab.Root
		v.Source = FromVeritytab
		if err := v.fromVeritytab(*tab, c.policy); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	if v.Source != FromSignature {
		if v.RootHash, err = parseRootHash("roothash", hash); err != nil {
			return nil, err
		}
	}
	s, offsetGiven := c.Lookup("verinit.verity_hash_offset")
	if offsetGiven {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n%512 != 0 {
			return nil, fmt.Errorf("verinit.verity_hash_offset=%s: want bytes, a multiple of 512", s)
		}
		if v.Options.HashOffsetSet && v.Options.HashOffset != n {
			return nil, fmt.Errorf("verinit.verity_hash_offset=%s and %s=hash-offset=%d disagree", s, VerityOptionsKey, v.Options.HashOffset)
		}
		v.HashOffset, v.HashOffsetFromFS = n, false
	}
	where := VerityOptionsKey
	if v.Source == FromVeritytab {
		where = tab.where()
	}
	if err := v.applyOptions(where, offsetGiven); err != nil {
		return nil, err
	}
	for _, key := range []string{"verinit.roothashsig"} {
		if s, ok := c.Lookup(key); ok {
			if v.Sig, err = parseSigSource(key, s); err != nil {
				return nil, err
			}
		}
	}
	if v.Source == FromSignature && (v.Sig.Given() || v.Options.Signature != "") {
		return nil, errors.New("verinit.roothash_sig= names the signature too; give no other")
	}
	if v.Options.Signature != "" {
		if v.Sig.Given() {
			return nil, errors.New("verinit.roothashsig= and root-hash-signature= both name a signature; give one")
		}
		if v.Sig, err = parseSigSource("root-hash-signature", v.Options.Signature); err != nil {
			return nil, err
		}
	}
	if s, ok := c.Lookup("verinit.verity_sig"); ok {
		switch s {
		case "kernel":
			v.KernelSig = true
		case "userspace":
		default:
			return nil, fmt.Errorf("verinit.verity_sig=%s: want kernel or userspace", s)
		}
	}
	if v.Options.NoSuperblock && v.HashOffsetFromFS {
		return nil, errors.New("roothash= with the hash appended to root= and superblock=no: give verinit.verity_hash_offset=")
	}
	return v, nil
}

// applyOptions puts what v's options (read from where) say about the
// devices into v: hash-offset= unless offsetGiven (verinit.verity_hash_offset=
// said it already), and fec-device= with fec-offset= and fec-roots=.
func (v *Verity) applyOptions(where string, offsetGiven bool) error {
	o := v.Options
	if o.HashOffsetSet && !offsetGiven {
		v.HashOffset, v.HashOffsetFromFS = o.HashOffset, false
	}
	if o.FECDevice == "" {
		return nil
	}
	dev, err := rootdev.ParseSpec(o.FECDevice)
	if err != nil {
		return fmt.Errorf("%s: fec-device: %w", where, err)
	}
	if o.FECOffset%512 != 0 {
		return fmt.Errorf("%s: fec-offset=%d: want bytes, a multiple of 512", where, o.FECOffset)
	}
	v.FEC = &FEC{Device: dev, OffsetBytes: o.FECOffset, Roots: DefaultFECRoots}
	if o.FECRoots != 0 {
		v.FEC.Roots = o.FECRoots
	}
	return nil
}

// pairSpecs names the data and verity partitions of a root hash, given
// as key=, by the Discoverable Partitions rule (first and last 128 bits
// as UUIDs).
func pairSpecs(key, hexHash string) (data, hash rootdev.Spec, err error) {
	b, err := hex.DecodeString(hexHash)
	if err != nil {
		return data, hash, fmt.Errorf("%s=%s: not hex", key, hexHash)
	}
	d, h, err := dps.PairUUIDs(b)
	if err != nil {
		return data, hash, fmt.Errorf("%s=%s: %w", key, hexHash, err)
	}
	if data, err = rootdev.ParseSpec("PARTUUID=" + d.String()); err != nil {
		return data, hash, err
	}
	hash, err = rootdev.ParseSpec("PARTUUID=" + h.String())
	return data, hash, err
}

// PairedHash names the verity partition that Discoverable Partitions
// pairs with the root hash: with root= and roothash=, the init uses it
// when a partition table lists it, else it looks for a tree appended to
// the root partition.
func (v *Verity) PairedHash() (rootdev.Spec, error) {
	_, hash, err := pairSpecs("roothash", v.RootHash)
	return hash, err
}

// UseHashPartition switches from an appended tree to the separate hash
// partition h (with a superblock at its start).
func (v *Verity) UseHashPartition(h rootdev.Spec) {
	v.Hash, v.HashOffset, v.HashOffsetFromFS = h, 0, false
}

// fromEnv takes the devices and parameters from a dm-verity.env file.
func (v *Verity) fromEnv(e VerityEnv, root string) error {
	var err error
	if e.SeparateHash {
		if v.Data, err = rootdev.ParseSpec("PARTUUID=" + e.RootUUID); err != nil {
			return fmt.Errorf("dm-verity.env ROOT_UUID: %w", err)
		}
		if v.Hash, err = rootdev.ParseSpec("PARTUUID=" + e.HashUUID); err != nil {
			return fmt.Errorf("dm-verity.env RHASH_UUID: %w", err)
		}
	} else {
		if root == "" {
			return errors.New("dm-verity.env describes a hash appended to the root device, but no root= names it")
		}
		if v.Data, err = rootdev.ParseSpec(root); err != nil {
			return err
		}
		v.Hash, v.HashOffset = v.Data, e.DataSize
		if e.DataSize == 0 {
			return errors.New("dm-verity.env: no DATA_SIZE (the hash offset)")
		}
	}
	o := &v.Options
	o.DataBlockSize, o.HashBlockSize, o.DataBlocks, o.Algorithm = e.DataBlockSize, e.HashBlockSize, e.DataBlocks, e.Algorithm
	if e.Salt != "" {
		salt, err := verity.ParseSalt(e.Salt)
		if err != nil {
			return fmt.Errorf("dm-verity.env SALT: %w", err)
		}
		o.Salt, o.SaltSet = salt, true
	}
	o.Format, o.FormatSet = e.HashType, true
	return nil
}

// fromVeritytab takes the devices and options of veritytab's root
// volume; its options are under the same rules as the command line's.
func (v *Verity) fromVeritytab(e VeritytabEntry, p Policy) error {
	where := e.where()
	var err error
	if v.Data, err = rootdev.ParseSpec(e.Data); err != nil {
		return fmt.Errorf("%s: data device: %w", where, err)
	}
	if v.Hash, err = rootdev.ParseSpec(e.Hash); err != nil {
		return fmt.Errorf("%s: hash device: %w", where, err)
	}
	return parseOptions(e.Options, where, VeritytabIgnored(), &v.Options, p)
}

// parseBool reads a boolean as systemd does (parse_boolean).
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}
