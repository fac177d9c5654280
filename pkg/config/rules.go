package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/halt"
)

// A rule is the policy's decision on one input that decides what
// reaches the real system: a command-line key, one option of
// systemd.verity_root_options= ("systemd.verity_root_options=NAME"), or
// a dm_verity module parameter. Under a policy that does not require
// verity every input is allowed (the root may be mounted unverified
// anyway); under one that does, refuse says why a value is refused, or
// "" when it is allowed; a nil refuse allows every value.
//
// Every key package config reads has exactly one rule, and every rule is
// explained in pkg/config/keys (PolicyDocs), which the init does not
// carry; tests check both.
type rule struct {
	key    string
	refuse func(value string, p Policy) string
}

// RootFSTypes are the file systems a root may have under a policy
// requiring verity: block file systems that read only the device they
// are mounted from, and that verinit detects from their superblock.
var RootFSTypes = []string{"squashfs", "erofs", "ext4", "ext3", "ext2"}

// GenericRootFlags are the rootflags= options that mountfs turns into
// mount flags, and "defaults".
var GenericRootFlags = []string{"defaults", "ro", "rw", "nosuid", "nodev", "noexec", "sync", "noatime", "nodiratime", "relatime", "dirsync"}

// FSRootFlags are the file system options rootflags= may hold under a
// policy requiring verity: options that change how the verified device
// is read, never where from. An option naming another device (erofs
// device=, ext4 journal_path=, xfs logdev=) or a directory (overlay's
// lowerdir=) is refused.
var FSRootFlags = []string{
	// ext2/3/4 and erofs
	"acl", "noacl", "user_xattr", "nouser_xattr", "errors", "noload", "norecovery", "barrier", "nobarrier",
	"cache_strategy", "data", "commit", "nodelalloc", "delalloc", "discard", "nodiscard",
	// squashfs
	"threads",
}

// DMVerityParams are the dm_verity module parameters allowed under a
// policy requiring verity: neither changes what the target checks.
var DMVerityParams = []string{"prefetch_cluster", "require_signatures"}

// VerityOptionsKey is the key whose options have rules of their own.
const VerityOptionsKey = "systemd.verity_root_options"

// dmVerityParamKey is the rule of the dm_verity module's parameters.
const dmVerityParamKey = "dm_verity.PARAM"

// rules is the decision on every input: nil refuse for those a policy
// requiring verity allows whatever their value.
func rules() []rule {
	corrupted := "a corrupted block would reach the real system"
	// systemd.verity= and its initrd spelling rd.systemd.verity=.
	verityOn := func(v string, _ Policy) string {
		if b, err := parseBool(v); err == nil && b {
			return ""
		}
		return "it would mount the root unverified"
	}
	fsType := func(v string, _ Policy) string {
		if slices.Contains(RootFSTypes, v) {
			return ""
		}
		return "not a file system that reads only the verified device (want " + strings.Join(RootFSTypes, ", ") + ")"
	}
	flags := func(v string, _ Policy) string {
		for _, o := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(o, "=")
			if o != "" && !slices.Contains(GenericRootFlags, name) && !slices.Contains(FSRootFlags, name) {
				return fmt.Sprintf("%q is not an option known to read only the verified device", name)
			}
		}
		return ""
	}
	pinned := func(v string, p Policy) string {
		if p.Pinned(v) {
			return ""
		}
		return "the initramfs pins the root hash to " + strings.Join(p.RootHashes, " or ")
	}
	return []rule{
		{"root", nil},
		{"verinit.root", nil},
		{"rd.lvm.lv", nil},
		{"rootfstype", fsType},
		{"rootflags", flags},
		{"ro", nil},
		{"rw", nil},
		{"init", nil},
		{"roothash", pinned},
		{"systemd.verity_root_data", nil},
		{"systemd.verity_root_hash", nil},
		{"verinit.verity_hash_offset", nil},
		{VerityOptionsKey, nil}, // each option by its own rule
		{"systemd.verity", verityOn},
		{"rd.systemd.verity", verityOn},
		{"verinit.verity_on_corruption", func(v string, _ Policy) string {
			if v == "ignore" {
				return corrupted + " (want restart, panic or eio)"
			}
			return ""
		}},
		{"usrhash", pinned},
		{"systemd.verity_usr_data", nil},
		{"systemd.verity_usr_hash", nil},
		{UsrOptionsKey, nil}, // each option by the rule of the root's option
		{"mount.usr", func(v string, _ Policy) string {
			if v == UsrMapper {
				return ""
			}
			return "a /usr named by its device is mounted unverified: give usrhash= (and mount.usr=" + UsrMapper + " or nothing)"
		}},
		{"mount.usrfstype", fsType},
		{"mount.usrflags", flags},
		{"verinit.roothashsig", nil},
		{"verinit.roothash_sig", nil}, // allowed only with a required signature: see parseVerity
		{"verinit.signature", nil},    // only tightens: see readPolicy
		{"verinit.verity_sig", nil},
		{"verinit.verity", nil},  // only tightens: see readPolicy
		{"verinit.tpm", nil},     // only tightens: see readPolicy
		{"verinit.tpm_pcr", nil}, // under a packed policy only its own PCR: see Parse
		{"rauc.slot", nil},
		{"bootchooser.active", nil},
		{"verinit.slot", nil},
		{"verinit.timeout", nil},
		{"rootwait", nil},
		{"rootdelay", nil},
		{"verinit.on_failure", func(v string, p Policy) string {
			if halt.Action(v) != halt.Shell || p.Shell == Allowed {
				return ""
			}
			return "a shell could mount unverified devices; pack --policy shell=allowed to allow it"
		}},
		{"verinit.failure_delay", nil},
		{"verinit.debug", nil},

		{VerityOptionsKey + "=superblock", nil},
		{VerityOptionsKey + "=format", nil},
		{VerityOptionsKey + "=data-block-size", nil},
		{VerityOptionsKey + "=hash-block-size", nil},
		{VerityOptionsKey + "=data-blocks", nil},
		{VerityOptionsKey + "=hash-offset", nil},
		{VerityOptionsKey + "=salt", nil},
		{VerityOptionsKey + "=uuid", nil},
		{VerityOptionsKey + "=hash", func(v string, p Policy) string {
			if v != "sha1" || p.SHA1 == Allowed {
				return ""
			}
			return "SHA-1 trees are refused; pack --policy sha1=allowed to allow them"
		}},
		{VerityOptionsKey + "=ignore-corruption", func(string, Policy) string { return corrupted }},
		{VerityOptionsKey + "=restart-on-corruption", nil},
		{VerityOptionsKey + "=panic-on-corruption", nil},
		{VerityOptionsKey + "=restart-on-error", nil},
		{VerityOptionsKey + "=panic-on-error", nil},
		{VerityOptionsKey + "=ignore-zero-blocks", nil},
		{VerityOptionsKey + "=check-at-most-once", func(string, Policy) string {
			return "a block would be verified only on its first read, so a disk that changes later is not noticed"
		}},
		{VerityOptionsKey + "=fec-device", nil},
		{VerityOptionsKey + "=fec-offset", nil},
		{VerityOptionsKey + "=fec-roots", nil},
		{VerityOptionsKey + "=root-hash-signature", nil},

		{dmVerityParamKey, func(v string, _ Policy) string {
			if slices.Contains(DMVerityParams, v) {
				return ""
			}
			return "want " + strings.Join(DMVerityParams, " or ")
		}},
	}
}

// RuleKeys lists the keys that have a rule, for the documentation's tests.
func RuleKeys() []string {
	var keys []string
	for _, r := range rules() {
		keys = append(keys, r.key)
	}
	return keys
}

// RefusedError is an input that the policy in force refuses.
type RefusedError struct {
	Key, Value string
	Policy     Policy
	Reason     string
}

func (e *RefusedError) Error() string {
	kv := e.Key
	if e.Value != "" {
		kv += "=" + e.Value
	}
	return kv + ": refused by " + e.Policy.Named() + ": " + e.Reason
}

// check applies key's rule to value under p: nil when allowed. A key
// without a rule is refused: a new input must not slip through
// unclassified.
func (p Policy) check(key, value string) error {
	if !p.Enforced() {
		return nil
	}
	rs := rules()
	i := slices.IndexFunc(rs, func(r rule) bool { return r.key == key })
	if i < 0 {
		return &RefusedError{key, value, p, "no policy decision for this input"}
	}
	if refuse := rs[i].refuse; refuse != nil {
		if why := refuse(value, p); why != "" {
			return &RefusedError{key, value, p, why}
		}
	}
	return nil
}

// policed reads the command line for Parse, checking every key it
// hands out against the policy. A refused key reads as absent, so
// that its value cannot take effect even where the error is not acted
// on; the error is collected.
type policed struct {
	c      *cmdline.Cmdline
	policy Policy
	errs   *[]error
}

// Lookup is cmdline.Cmdline.Lookup under the policy.
func (r *policed) Lookup(key string) (string, bool) {
	v, ok := r.c.Lookup(key)
	if !ok {
		return "", false
	}
	if err := r.policy.check(key, v); err != nil {
		*r.errs = append(*r.errs, err)
		return "", false
	}
	return v, true
}

// Flag is cmdline.Cmdline.Flag under the policy.
func (r *policed) Flag(key string) bool {
	_, ok := r.Lookup(key)
	return ok
}

// Values is cmdline.Cmdline.Values under the policy: the allowed ones.
func (r *policed) Values(key string) []string {
	var out []string
	for _, v := range r.c.Values(key) {
		if err := r.policy.check(key, v); err != nil {
			*r.errs = append(*r.errs, err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// checkModuleParams applies the dm_verity rule to its parameters, which
// the module loader reads from the command line.
func (r *policed) checkModuleParams() {
	for _, o := range r.c.ModuleParams("dm_verity") {
		name, _, _ := strings.Cut(o, "=")
		if err := r.policy.check(dmVerityParamKey, name); err != nil {
			e := err.(*RefusedError)
			e.Key, e.Value = "dm_verity."+o, ""
			*r.errs = append(*r.errs, e)
		}
	}
}
