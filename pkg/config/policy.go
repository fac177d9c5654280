package config

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PolicyPath is where `verinit initramfs --policy` packs the policy.
const PolicyPath = "/etc/verinit/policy"

// Requirement is the strength of a policy item.
type Requirement int

// Requirements, weakest first: a later one is stronger.
const (
	Optional Requirement = iota
	Required
)

func (r Requirement) String() string {
	if r == Required {
		return "required"
	}
	return "optional"
}

func parseRequirement(s string) (Requirement, error) {
	switch s {
	case "optional":
		return Optional, nil
	case "required":
		return Required, nil
	}
	return 0, fmt.Errorf("want required or optional")
}

// Permission says whether a required policy lets something weaker
// through: only the builder of the initramfs can allow it.
type Permission int

// Permissions; the zero value refuses.
const (
	Refused Permission = iota
	Allowed
)

func (p Permission) String() string {
	if p == Allowed {
		return "allowed"
	}
	return "refused"
}

func parsePermission(s string) (Permission, error) {
	switch s {
	case "refused":
		return Refused, nil
	case "allowed":
		return Allowed, nil
	}
	return 0, fmt.Errorf("want allowed or refused")
}

// Policy is what the builder of the initramfs decided. The command line
// may make it stricter, never weaker. Under a policy that requires
// verity, every input that decides what reaches the real system is
// checked against the rules (rules.go).
type Policy struct {
	Verity    Requirement
	Signature Requirement // a root-hash signature by a packed certificate
	SHA1      Permission  // hash trees made with SHA-1
	Shell     Permission  // verinit.on_failure=shell
	// UnverifiedRoot lets a root device that is not verified be mounted
	// beside a verified /usr (systemd's layout of a writable root and a
	// read-only, verified /usr). An empty tmpfs root needs no permission.
	UnverifiedRoot Permission
	// RootHashes pins the root: when not empty, its root hash must be
	// one of these (lowercase hex). A packed dm-verity.env pins its own.
	RootHashes []string
	// MinVersion is the lowest root version a signature may carry
	// (sign --version); 0: no minimum. It requires a signature.
	MinVersion uint64
	// TPM requires a working TPM 2.0 to measure the boot into; optional,
	// the boot is measured when there is one.
	TPM Requirement
	// TPMPCR is the PCR measured into; 0 means DefaultTPMPCR.
	TPMPCR int
	// CmdlineKeys lists the words of the command line beyond the init's
	// own that may reach the real init (cmdline-keys=); unlisted, all do.
	CmdlineKeys CmdlineKeys
	// Packed reports that the policy came from the initramfs.
	Packed bool
}

// DefaultTPMPCR is the PCR the boot is measured into unless the policy
// names another: 15, "system identity" in the UAPI Group's TPM PCR
// registry, where systemd measures the root file system's identity
// (systemd-pcrfs) and the machine ID; the dm-verity root hash is the
// root's identity in the strongest sense. It cannot be reset by software,
// unlike 16 and 23.
const DefaultTPMPCR = 15

// PCR is the PCR the policy measures into.
func (p Policy) PCR() int {
	if p.TPMPCR == 0 {
		return DefaultTPMPCR
	}
	return p.TPMPCR
}

// parsePCR reads a PCR to measure into: 1 to 23, but not 16 or 23, which
// software may reset (TPM2_PCR_Reset from locality 0 on a PC Client TPM),
// and not 0, the firmware's own code.
func parsePCR(s string) (int, error) {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || n < 0 || n > 23:
		return 0, fmt.Errorf("want a PCR number, 1 to 23")
	case n == 0:
		return 0, fmt.Errorf("PCR 0 holds the firmware's own measurements")
	case n == 16 || n == 23:
		return 0, fmt.Errorf("PCR %d can be reset by software, so a measurement there proves nothing", n)
	}
	return n, nil
}

// Enforced reports whether the rules apply: verity is required (as
// it is when a signature is, or a root hash is pinned).
func (p Policy) Enforced() bool { return p.Verity == Required }

// tighten applies what a policy implies: a signature is over a root
// hash, a minimum version is in a signature, and a pinned root hash is
// a root hash.
func (p *Policy) tighten() {
	if p.MinVersion > 0 {
		p.Signature = Required
	}
	if p.Signature == Required || len(p.RootHashes) > 0 {
		p.Verity = Required
	}
}

// pin adds a root hash to RootHashes.
func (p *Policy) pin(hexHash string) {
	if !slices.Contains(p.RootHashes, hexHash) {
		p.RootHashes = append(p.RootHashes, hexHash)
	}
}

// String names the policy as messages show it: "verity=required
// signature=required", then what differs from the defaults.
func (p Policy) String() string {
	s := "verity=" + p.Verity.String() + " signature=" + p.Signature.String()
	if p.SHA1 == Allowed {
		s += " sha1=allowed"
	}
	if p.Shell == Allowed {
		s += " shell=allowed"
	}
	if p.UnverifiedRoot == Allowed {
		s += " unverified-root=allowed"
	}
	if len(p.RootHashes) > 0 {
		s += " roothash=" + strings.Join(p.RootHashes, ",")
	}
	if p.MinVersion > 0 {
		s += " min-version=" + strconv.FormatUint(p.MinVersion, 10)
	}
	if p.TPM == Required {
		s += " tpm=required"
	}
	if p.TPMPCR != 0 {
		s += " tpm-pcr=" + strconv.Itoa(p.TPMPCR)
	}
	if p.CmdlineKeys.Listed {
		s += ` cmdline-keys="` + p.CmdlineKeys.String() + `"`
	}
	return s
}

// Named is how a refusal names the policy: "the policy (packed)
// verity=required signature=required".
func (p Policy) Named() string {
	if p.Packed {
		return "the policy (packed) " + p.String()
	}
	return "the policy " + p.String()
}

// maxPolicyBytes bounds the packed policy file.
const maxPolicyBytes = 64 << 10

// maxPins bounds the root hashes one policy pins.
const maxPins = 64

// ParsePolicy reads a packed policy: "key=value" lines, '#' comments.
// The keys: verity=, signature= and tpm= (required or optional), sha1=,
// shell= and unverified-root= (allowed or refused), roothash=
// (comma-separated hex root hashes), min-version= (a number), tpm-pcr=
// (the PCR the boot is measured into) and cmdline-keys= (the words of the
// command line, beyond the init's own, that may reach the real init).
func ParsePolicy(b []byte) (Policy, error) {
	p := Policy{Packed: true}
	lines, err := readKeyValues(b, "policy", "key=value", maxPolicyBytes)
	if err != nil {
		return p, err
	}
	for _, l := range lines {
		if err := p.set(l.key, l.value); err != nil {
			return p, fmt.Errorf("policy line %d: %w", l.n, err)
		}
	}
	return p, nil
}

// set reads one policy line.
func (p *Policy) set(key, value string) error {
	var err error
	switch key {
	case "verity":
		p.Verity, err = parseRequirement(value)
	case "signature":
		p.Signature, err = parseRequirement(value)
	case "sha1":
		p.SHA1, err = parsePermission(value)
	case "shell":
		p.Shell, err = parsePermission(value)
	case "unverified-root":
		p.UnverifiedRoot, err = parsePermission(value)
	case "roothash":
		for _, h := range strings.Split(value, ",") {
			norm, herr := parseRootHash("roothash", h)
			if herr != nil {
				return fmt.Errorf("roothash=%s: want hex root hashes (40 to %d digits), separated by commas", shown(value), maxHexHash)
			}
			p.pin(norm)
		}
		if len(p.RootHashes) > maxPins {
			return fmt.Errorf("roothash: %d root hashes, more than %d", len(p.RootHashes), maxPins)
		}
	case "min-version":
		p.MinVersion, err = strconv.ParseUint(value, 10, 63)
		if err != nil {
			err = fmt.Errorf("want a whole number below 2^63")
		}
	case "tpm":
		p.TPM, err = parseRequirement(value)
	case "tpm-pcr":
		p.TPMPCR, err = parsePCR(value)
	case "cmdline-keys":
		p.CmdlineKeys, err = parseCmdlineKeys(value)
	default:
		return fmt.Errorf("unknown key %q (want verity, signature, sha1, shell, unverified-root, roothash, min-version, tpm, tpm-pcr or cmdline-keys)", key)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %w", key, shown(value), err)
	}
	return nil
}

// Format renders p as ParsePolicy reads it.
func (p Policy) Format() []byte {
	var b strings.Builder
	b.WriteString("# verinit policy: the kernel command line may tighten it, never weaken it\n")
	fmt.Fprintf(&b, "verity=%s\nsignature=%s\nsha1=%s\nshell=%s\n", p.Verity, p.Signature, p.SHA1, p.Shell)
	if p.UnverifiedRoot == Allowed {
		b.WriteString("unverified-root=allowed\n")
	}
	if len(p.RootHashes) > 0 {
		fmt.Fprintf(&b, "roothash=%s\n", strings.Join(p.RootHashes, ","))
	}
	if p.MinVersion > 0 {
		fmt.Fprintf(&b, "min-version=%d\n", p.MinVersion)
	}
	if p.TPM == Required {
		b.WriteString("tpm=required\n")
	}
	if p.TPMPCR != 0 {
		fmt.Fprintf(&b, "tpm-pcr=%d\n", p.TPMPCR)
	}
	if p.CmdlineKeys.Listed {
		fmt.Fprintf(&b, "cmdline-keys=%s\n", p.CmdlineKeys)
	}
	return []byte(b.String())
}

// Pinned reports whether rootHashHex is allowed by the pins: there are
// none, or it is one of them.
func (p Policy) Pinned(rootHashHex string) bool {
	if len(p.RootHashes) == 0 {
		return true
	}
	b, err := hex.DecodeString(rootHashHex)
	return err == nil && slices.Contains(p.RootHashes, hex.EncodeToString(b))
}

// kvLine is one "key=value" line of a small text file.
type kvLine struct {
	n          int // line number
	key, value string
}

// readKeyValues splits b into "key=value" lines, skipping blank lines
// and '#' comments and trimming spaces. A line without '=' or with an
// empty key, a key given twice, or a file larger than maxBytes is an
// error naming what (the file) and the line; form shows the expected form.
func readKeyValues(b []byte, what, form string, maxBytes int) ([]kvLine, error) {
	if len(b) > maxBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", what, len(b), maxBytes)
	}
	var lines []kvLine
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return nil, fmt.Errorf("%s line %d: %q: want %s", what, n, line, form)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s line %d: %s given twice", what, n, shown(key))
		}
		seen[key] = true
		lines = append(lines, kvLine{n, key, value})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return lines, nil
}

// shown returns s unchanged, or quoted if it holds a control character
// (a '\r' inside a line, say), so that an error stays one readable line.
func shown(s string) string {
	if strings.IndexFunc(s, isControl) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
