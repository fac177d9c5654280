package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/halt"
	"github.com/verinit/verinit/pkg/rootdev"
)

// Defaults.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultFailureDelay = 5 * time.Second
	DefaultOnFailure    = halt.Reboot
	maxSeconds          = 24 * 3600
)

// defaultInits are tried in order when init= is not given, as the
// kernel does.
var defaultInits = [...]string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}

// Config is what the command line asks of the init.
type Config struct {
	Root         rootdev.Spec
	FSType       string // rootfstype=, "" to detect
	RootFlags    string // rootflags=
	ReadOnly     bool   // ro (the default) or rw
	Inits        []string
	Timeout      time.Duration // 0 waits forever
	OnFailure    halt.Action
	FailureDelay time.Duration
	Debug        bool
	AutoRoot     bool    // no root= and no root hash: Discoverable Partitions auto-discovery
	Verity       *Verity // nil: the root is mounted without verification
	// TmpfsRoot is root=tmpfs: the root is an empty tmpfs and the system
	// is the separate /usr.
	TmpfsRoot bool
	Usr       *Usr   // nil: no separate /usr
	Policy    Policy // the packed policy, tightened by the command line
	Slot      []SlotKey
	// TPMPCR is the PCR the boot is measured into: the policy's, or
	// verinit.tpm_pcr= when no policy is packed.
	TPMPCR int
}

// SlotKey is a key by which a bootloader names the slot it booted.
type SlotKey struct{ Key, Value string }

// SlotText names the slot as the boot is measured: "rauc.slot=A", each key
// given as key=value, separated by spaces; "" when none is given.
func SlotText(keys []SlotKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Key + "=" + k.Value
	}
	return strings.Join(parts, " ")
}

// slotKeys are recognised and recorded (and passed on untouched, like the
// whole command line): RAUC's, barebox bootchooser's, and our free one.
var slotKeys = [...]string{"rauc.slot", "bootchooser.active", "verinit.slot"}

// Packed is what the initramfs itself carries; nil fields were not packed.
type Packed struct {
	Policy    []byte // PolicyPath
	VerityEnv []byte // VerityEnvPath
	Veritytab []byte // VeritytabPath
}

// Parse reads the Config from c. The policy comes first (packed, then
// tightened by the command line), and every key read after it is checked
// against it (see Rules). On error it still returns a Config whose
// OnFailure and FailureDelay are usable (the defaults where the value was
// bad or refused), so that the caller can follow the policy.
func Parse(c *cmdline.Cmdline, packed Packed) (Config, error) {
	cfg := Config{
		ReadOnly:     true,
		Inits:        defaultInits[:],
		Timeout:      DefaultTimeout,
		OnFailure:    DefaultOnFailure,
		FailureDelay: DefaultFailureDelay,
	}
	var errs []error
	var env *VerityEnv
	if packed.VerityEnv != nil {
		e, err := ParseVerityEnv(packed.VerityEnv)
		if err != nil {
			errs = append(errs, err)
		}
		env = &e
	}
	// The root hash the builder packed, in dm-verity.env or veritytab,
	// is pinned by readPolicy.
	var pins []packedRoot
	if env != nil {
		pins = []packedRoot{{Key: "dm-verity.env ROOT_HASH", Hash: env.RootHash}}
	}
	var tab veritytabVolumes
	var tabErr error
	if packed.Veritytab != nil {
		tab, tabErr = readVeritytab(packed.Veritytab, env != nil)
		pins = tab.pins()
		if tabErr != nil {
			pins = []packedRoot{{Err: tabErr}}
		}
	}
	policy, err := readPolicy(c, packed.Policy, pins)
	if err != nil {
		errs = append(errs, err)
	}
	if tabErr != nil && !errors.Is(err, tabErr) { // readPolicy stopped at the packed policy first
		errs = append(errs, tabErr)
	}
	cfg.Policy = policy
	errs = append(errs, policy.checkPassedOn(c)...)
	r := &policed{c: c, policy: policy, errs: &errs}
	if v, ok := r.Lookup("verinit.on_failure"); ok {
		a, err := halt.ParseAction(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("verinit.on_failure=%s: %w", v, err))
		} else {
			cfg.OnFailure = a
		}
	}
	if v, ok := r.Lookup("verinit.failure_delay"); ok {
		d, err := seconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("verinit.failure_delay=%s: %w", v, err))
		} else {
			cfg.FailureDelay = d
		}
	}
	cfg.Debug = r.Flag("verinit.debug")
	cfg.TPMPCR = policy.PCR()
	if v, ok := r.Lookup("verinit.tpm_pcr"); ok {
		n, err := parsePCR(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("verinit.tpm_pcr=%s: %w", shown(v), err))
		case policy.Packed && n != policy.PCR():
			// Sealed secrets and attestation rely on this PCR: a boot that
			// measured elsewhere would leave it for whatever runs next to
			// extend with a genuine boot's (public) events.
			errs = append(errs, fmt.Errorf("verinit.tpm_pcr=%d: the initramfs policy measures into PCR %d; the command line cannot move it", n, policy.PCR()))
		default:
			cfg.TPMPCR = n
		}
	}
	for _, k := range slotKeys {
		if v, ok := r.Lookup(k); ok {
			cfg.Slot = append(cfg.Slot, SlotKey{k, v})
		}
	}

	root, rootKey, err := rootParam(r)
	if err != nil {
		errs = append(errs, err)
	}
	verityOn, err := verityEnabled(r)
	if err != nil {
		errs = append(errs, err)
	}
	mode, err := corruptionMode(r)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.TmpfsRoot = root == RootTmpfs
	if cfg.TmpfsRoot {
		root = "" // nothing to mount; a root hash would be refused below
	}
	var verity *Verity
	var verityErr error
	if verityOn {
		verity, verityErr = parseVerity(r, env, tab.root, root, mode)
	}
	if verityErr != nil {
		errs = append(errs, verityErr)
	}
	cfg.Verity = verity
	usr, err := parseUsr(r, verityOn, mode, tab.usr)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Usr = usr
	switch {
	case cfg.TmpfsRoot && verity != nil:
		errs = append(errs, fmt.Errorf("%s=%s: an empty root has nothing to verify; the root's verity keys (roothash=, systemd.verity_root_*) are for a root device", rootKey, RootTmpfs))
	case cfg.TmpfsRoot && usr == nil && err == nil:
		errs = append(errs, fmt.Errorf("%s=%s: an empty root needs a separate /usr to hold the system (usrhash= or mount.usr=)", rootKey, RootTmpfs))
	case cfg.TmpfsRoot:
		// Nothing to find: the root is made, /usr holds the system.
	case verity != nil && verity.Source == FromDPS:
	case verity != nil && verity.Source == FromDPS:
		// No root=: the root hash names the partitions.
	case verity != nil && (verity.Source == FromSystemd || verity.Source == FromSignature || verity.Source == FromVeritytab) && (root == "" || root == "/dev/mapper/root"):
		// The root is the verity device; the data device is named by
		// systemd.verity_root_data=.
	case verity != nil && verity.Source == FromVeritytab:
		errs = append(errs, fmt.Errorf("%s=%s: with the packed %s the root is its volume \"root\": leave %s= out or give /dev/mapper/root", rootKey, root, VeritytabPath, rootKey))
	case verity != nil && (verity.Source == FromSystemd || verity.Source == FromSignature):
		errs = append(errs, fmt.Errorf("%s=%s: with systemd.verity_root_data= the root is the verity device: leave %s= out or give /dev/mapper/root", rootKey, root, rootKey))
	case verity != nil:
		cfg.Root = verity.Data
	case root == "" && len(r.Values("rd.lvm.lv")) == 1:
		// dracut's rd.lvm.lv=VG/LV alone names the root LV.
		spec, err := rootdev.ParseSpec("LVM=" + r.Values("rd.lvm.lv")[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("rd.lvm.lv: %w", err))
		}
		cfg.Root = spec
	case root == "":
		cfg.AutoRoot = true
	default:
		spec, err := rootdev.ParseSpec(root)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Root = spec
	}
	if err := checkLVList(r, cfg); err != nil {
		errs = append(errs, err)
	}
	switch {
	case policy.Enforced() && verity == nil && usr.Verified() && !cfg.TmpfsRoot && policy.UnverifiedRoot != Allowed:
		errs = append(errs, errors.New("verity is required and only /usr is verified: the root device would be mounted unverified; give root=tmpfs, or pack --policy unverified-root=allowed for a writable root beside the verified /usr"))
	case policy.Enforced() && verity == nil && !usr.Verified() && verityErr == nil && tabErr == nil:
		errs = append(errs, errors.New("verity is required, but no root hash was given (roothash= with root= or systemd.verity_root_data=/systemd.verity_root_hash=, or usrhash= for a verified /usr); refusing to mount an unverified root"))
	case verity != nil && verity.Source != FromSignature && !policy.Pinned(verity.RootHash):
		errs = append(errs, &RefusedError{"roothash", verity.RootHash, policy, "the initramfs pins the root hash to " + strings.Join(policy.RootHashes, " or ")})
	}
	r.checkModuleParams()
	cfg.FSType, _ = r.Lookup("rootfstype")
	cfg.RootFlags, _ = r.Lookup("rootflags")
	// The kernel's rule: the last of ro and rw wins.
	for _, p := range c.Params {
		switch {
		case p.Key == "ro" && !p.HasValue:
			cfg.ReadOnly = true
		case p.Key == "rw" && !p.HasValue:
			cfg.ReadOnly = false
		}
	}
	if v, ok := r.Lookup("init"); ok && !policy.CmdlineKeys.refusesInit(v) {
		if !strings.HasPrefix(v, "/") {
			errs = append(errs, fmt.Errorf("init=%s: not an absolute path", v))
		} else {
			cfg.Inits = []string{v}
		}
	}

	// The wait bound: verinit.timeout= first, then rootwait=N, then
	// rootdelay=N (a bound here, not a sleep). A bare rootwait keeps
	// the default bound: waiting forever would keep a bootloader from
	// falling back to the other slot.
	for _, key := range []string{"verinit.timeout", "rootwait", "rootdelay"} {
		v, ok := r.Lookup(key)
		if !ok || (key == "rootwait" && v == "") {
			continue
		}
		d, err := seconds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", key, v, err))
			break
		}
		cfg.Timeout = d
		break
	}
	for i, err := range errs {
		if strings.IndexFunc(err.Error(), isControl) >= 0 {
			errs[i] = lineError{err}
		}
	}
	return cfg, errors.Join(errs...)
}

// packedRoot is a root hash a packed dm-verity.env or veritytab names
// (Key names it in messages), or Err: why that file could not be read.
type packedRoot struct {
	Key, Hash string
	Err       error
}

// readPolicy is the policy in force: the packed one (with the root hashes
// of a packed dm-verity.env or veritytab pinned), tightened by
// verinit.verity= and verinit.signature=. A packed policy, dm-verity.env
// or veritytab that cannot be read gives the strictest policy with the
// error: what the builder decided must not be lost quietly.
func readPolicy(c *cmdline.Cmdline, packed []byte, pins []packedRoot) (Policy, error) {
	var p Policy
	if packed != nil {
		var err error
		if p, err = ParsePolicy(packed); err != nil {
			return Policy{Verity: Required, Signature: Required, Packed: true}, err
		}
	}
	for _, root := range pins {
		err := root.Err
		var h string
		if err == nil {
			h, err = parseRootHash(root.Key, root.Hash)
		}
		if err != nil {
			p.Verity = Required
			return p, err
		}
		p.pin(h)
	}
	var err error
	for _, key := range []string{"verinit.verity", "verinit.signature", "verinit.tpm"} {
		v, ok := c.Lookup(key)
		if !ok {
			continue
		}
		have, what := &p.Verity, "requires verity"
		switch key {
		case "verinit.signature":
			have, what = &p.Signature, "requires a signed root hash"
		case "verinit.tpm":
			have, what = &p.TPM, "requires a TPM"
		}
		r, perr := parseRequirement(v)
		switch {
		case perr != nil:
			err = fmt.Errorf("%s=%s: %w", key, v, perr)
		case r < *have:
			err = fmt.Errorf("%s=%s: the initramfs policy %s; the command line cannot weaken it", key, v, what)
		default:
			*have = r
		}
	}
	p.tighten()
	return p, err
}

// lineError shows an error's text with control characters escaped: a
// quoted value on the command line may hold a '\r' or '\n', and the init
// logs each error as one line that nothing in it may overwrite.
type lineError struct{ err error }

func (e lineError) Error() string {
	q := strconv.Quote(e.err.Error())
	return q[1 : len(q)-1]
}

func (e lineError) Unwrap() error { return e.err }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// rootParam returns the root device as named on the command line:
// verinit.root= (any form root= takes), else root=. The kernel mounts
// root= by itself when the initramfs fails to load or lacks /init,
// bypassing verity; a root named only in verinit.root= leaves the kernel
// nothing to mount, so it panics and the boot loader falls back. When
// both keys are given they must agree. key is the key that named it.
func rootParam(c *policed) (value, key string, err error) {
	root, _ := c.Lookup("root")
	v, ok := c.Lookup("verinit.root")
	switch {
	case !ok:
		return root, "root", nil
	case v == "":
		return "", "", errors.New("verinit.root: empty; want a device in any form root= takes")
	case root != "" && root != v:
		return "", "", fmt.Errorf("verinit.root=%s and root=%s name different roots: give one (verinit.root= alone keeps the kernel from mounting the root unverified)", v, root)
	}
	if _, err := rootdev.ParseSpec(v); err != nil {
		return "", "", fmt.Errorf("verinit.root: %w", err)
	}
	return v, "verinit.root", nil
}

func seconds(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxSeconds {
		return 0, fmt.Errorf("want whole seconds from 0 to %d", maxSeconds)
	}
	return time.Duration(n) * time.Second, nil
}

// checkLVList enforces dracut's rd.lvm.lv=: when given, only the LVs it
// lists may be activated.
func checkLVList(c *policed, cfg Config) error {
	allowed := c.Values("rd.lvm.lv")
	if len(allowed) == 0 {
		return nil
	}
	specs := []rootdev.Spec{cfg.Root}
	if v := cfg.Verity; v != nil {
		specs = append(specs, v.Data, v.Hash)
	}
	if u := cfg.Usr; u.Verified() {
		specs = append(specs, u.Verity.Data, u.Verity.Hash)
	} else if u != nil {
		specs = append(specs, u.Device)
	}
	for _, s := range specs {
		if s.Kind == rootdev.ByLV && !slices.Contains(allowed, s.Value) {
			return fmt.Errorf("%s: not among the logical volumes rd.lvm.lv= allows (%s)", s.Raw, strings.Join(allowed, " "))
		}
	}
	return nil
}
