package status

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Dir and File are where the record lives on the running system.
const (
	Dir  = "/run/verinit"
	File = Dir + "/status.json"
)

// Root says which device was mounted as the root and how it was found.
type Root struct {
	Spec      string // the root= value as given, e.g. "PARTUUID=…/PARTNROFF=1"
	Key       string // how it was matched: "PARTUUID", "PARTLABEL", "UUID", "LABEL", "devnum", "path"
	Value     string // the value matched
	Device    string // the device node, e.g. "/dev/vda2"
	DevNum    string // "MAJ:MIN"
	Disk      string // the disk holding it, e.g. "vda"
	Partition int    // partition number, 0 for a whole disk
	FSType    string
	ReadOnly  bool
	Options   string // rootflags=
}

// Verity describes the dm-verity device the root was mounted from.
type Verity struct {
	Source     string // where the root hash came from: "systemd", "root", "dm-verity.env"
	Device     string // the verity device, e.g. "/dev/mapper/root"
	DevNum     string
	DataDevice string // e.g. "/dev/vda2"
	HashDevice string
	FECDevice  string // the forward error correction device, "" without
	HashOffset uint64 // bytes, where the superblock (or the tree) starts
	RootHash   string
	Algorithm  string
	Options    []string // the optional table arguments, e.g. "restart_on_corruption"
	Table      string   // the dm table line: "0 SECTORS verity ..."
}

// Usr is the separate /usr mounted on the root's /usr.
type Usr struct {
	Spec      string // how it was named: usrhash=HEX or mount.usr=
	Device    string // the device mounted, /dev/mapper/usr when verified
	DevNum    string
	FSType    string
	Options   string     // mount.usrflags=
	Verity    *Verity    // nil for an unverified /usr
	Signature *Signature // nil when its root hash was not signed
}

// LV is a logical volume the init activated.
type LV struct {
	VG, LV string
	Device string // /dev/mapper/VG-LV
	DevNum string
	Table  []string // the dm table lines
}

// Stage is one step of the init and how long it took.
type Stage struct {
	Name     string
	Duration time.Duration
}

// Status is the whole record.
type Status struct {
	Version   string
	Cmdline   string
	Root      Root
	Slot      []Slot     // the slot keys of the command line, in order
	LVs       []LV       // logical volumes activated
	Verity    *Verity    // nil when the root is not behind dm-verity
	Signature *Signature // nil when the root hash was not signed
	Usr       *Usr       // nil without a separate /usr
	Loader    *Loader    // nil when the init did not ask (no auto-discovery, no DPS pairing)
	Policy    Policy
	TPM       *TPM     // nil when the boot ended before the measurement
	Init      string   // the real init that was exec'd
	InitArgs  []string // its arguments
	Modules   []Module
	// ModuleLoad sums up module loading; nil when no load list was packed.
	ModuleLoad *ModuleLoad
	Stages     []Stage
	Total      time.Duration // from /init start to the exec of the real init
}

// Slot is one key by which the bootloader named the booted slot.
type Slot struct{ Key, Value string }

// Policy is the policy that applied.
type Policy struct {
	Verity    string // "required" or "optional"
	Signature string // "required" or "optional"
	SHA1      string // "allowed" or "refused"
	Shell     string // "allowed" or "refused"
	// UnverifiedRoot is "allowed" or "refused": a root device that is not
	// verified beside a verified /usr.
	UnverifiedRoot string
	RootHashes     []string // the pinned root hashes, if any
	MinVersion     uint64   // the oldest signed root version allowed; 0: none
	TPM            string   // "required" or "optional"
	TPMPCR         int      // the PCR measured into
	// CmdlineKeys are the words beyond the init's own that the command
	// line may carry (cmdline-keys=); nil when the policy lists none, and
	// every word may.
	CmdlineKeys []string
}

// TPM says what the init measured into the TPM.
type TPM struct {
	State   string   // "measured", "absent" (no TPM; allowed), "failed" (an error; allowed)
	Device  string   // the device used, e.g. /dev/tpmrm0
	PCR     int      // the PCR extended
	Banks   []string // the banks extended, e.g. sha1 sha256
	Skipped []string // banks holding the PCR whose hash verinit does not compute
	Events  int      // events extended (listed in tpm-events.json)
	Values  []Digest // the PCR read back after the events
	Error   string   // why it failed, for "failed"
}

// Digest is a PCR value in one bank.
type Digest struct{ Bank, Hex string }

// Loader is what the boot loader said about the partition it started from
// (LoaderDevicePartUUID).
type Loader struct {
	State    string // "set", "not set", "unreadable", "no EFI"
	PartUUID string // when set
}

// Signature says who signed the root hash the init accepted.
type Signature struct {
	From        string // where the signature came from
	Subject     string // the signer certificate's subject
	Issuer      string
	Fingerprint string // SHA-256 of the signer certificate, hex
	Kernel      bool   // the kernel checked it too (root_hash_sig_key_desc)
	// Version is the root version the signature carries, nil when none.
	Version *uint64
}

// Module is one module of the load list and what happened to it.
type Module struct {
	Name     string
	Class    string        // when the list says to load it: "start", "storage", "dm", "fs", "dep"
	Outcome  string        // "loaded", "present", "blacklisted", "missing", "no device", "dependency failed", "failed", "unused"
	Trigger  string        // what made the init load it: "start", "modalias", "dm", "fs"; "" if unused
	At       time.Duration // when its finit_module call began, from the init's start; 0 without one
	Duration time.Duration
}

// ModuleLoad sums up the loading of the packed modules.
type ModuleLoad struct {
	Packed, Loaded, Unused, Failed int
	Coldplug                       time.Duration // reading /sys/bus modaliases and matching them
	Load                           time.Duration // all finit_module calls together
	Triggers                       []ModuleTrigger
}

// ModuleTrigger is what one trigger loaded and how long the init waited
// for it (storage drivers load while the init waits for the root, so
// modalias has no wait of its own).
type ModuleTrigger struct {
	Trigger string
	Modules int
	Load    time.Duration
	Wait    time.Duration
}

// JSON renders the record; fields are documented in docs/status.md.
func (s *Status) JSON() []byte {
	var w writer
	w.open('{')
	w.str("version", s.Version)
	w.str("cmdline", s.Cmdline)
	w.key("root")
	w.open('{')
	w.str("spec", s.Root.Spec)
	w.str("key", s.Root.Key)
	w.str("value", s.Root.Value)
	w.str("device", s.Root.Device)
	w.str("devnum", s.Root.DevNum)
	w.str("disk", s.Root.Disk)
	w.num("partition", int64(s.Root.Partition))
	w.str("fstype", s.Root.FSType)
	w.boolean("readonly", s.Root.ReadOnly)
	w.str("options", s.Root.Options)
	w.close('}')
	w.key("slot")
	w.open('{')
	for _, sl := range s.Slot {
		w.str(sl.Key, sl.Value)
	}
	w.close('}')
	w.key("lvm")
	w.open('[')
	for _, lv := range s.LVs {
		w.elem()
		w.open('{')
		w.str("vg", lv.VG)
		w.str("lv", lv.LV)
		w.str("device", lv.Device)
		w.str("devnum", lv.DevNum)
		w.strs("table", lv.Table)
		w.close('}')
	}
	w.close(']')
	w.key("verity")
	w.verity(s.Verity)
	w.key("signature")
	w.signature(s.Signature)
	w.key("usr")
	if u := s.Usr; u == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		w.str("spec", u.Spec)
		w.str("device", u.Device)
		w.str("devnum", u.DevNum)
		w.str("fstype", u.FSType)
		w.str("options", u.Options)
		w.key("verity")
		w.verity(u.Verity)
		w.key("signature")
		w.signature(u.Signature)
		w.close('}')
	}
	w.key("loader")
	if l := s.Loader; l == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		w.str("state", l.State)
		w.str("partuuid", l.PartUUID)
		w.close('}')
	}
	w.key("policy")
	w.open('{')
	w.str("verity", s.Policy.Verity)
	w.str("signature", s.Policy.Signature)
	w.str("sha1", s.Policy.SHA1)
	w.str("shell", s.Policy.Shell)
	w.str("unverified_root", s.Policy.UnverifiedRoot)
	w.strs("root_hashes", s.Policy.RootHashes)
	w.num("min_version", int64(s.Policy.MinVersion))
	w.str("tpm", s.Policy.TPM)
	w.num("tpm_pcr", int64(s.Policy.TPMPCR))
	if s.Policy.CmdlineKeys == nil {
		w.key("cmdline_keys")
		w.b = append(w.b, "null"...)
	} else {
		w.strs("cmdline_keys", s.Policy.CmdlineKeys)
	}
	w.close('}')
	w.key("tpm")
	w.tpm(s.TPM)
	w.str("init", s.Init)
	w.strs("init_args", s.InitArgs)
	w.key("modules")
	w.open('[')
	for _, m := range s.Modules {
		w.elem()
		w.open('{')
		w.str("name", m.Name)
		w.str("class", m.Class)
		w.str("outcome", m.Outcome)
		w.str("trigger", m.Trigger)
		w.ms("at_ms", m.At)
		w.ms("ms", m.Duration)
		w.close('}')
	}
	w.close(']')
	w.key("module_load")
	if ml := s.ModuleLoad; ml == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		w.num("packed", int64(ml.Packed))
		w.num("loaded", int64(ml.Loaded))
		w.num("unused", int64(ml.Unused))
		w.num("failed", int64(ml.Failed))
		w.ms("coldplug_ms", ml.Coldplug)
		w.ms("load_ms", ml.Load)
		w.key("triggers")
		w.open('[')
		for _, t := range ml.Triggers {
			w.elem()
			w.open('{')
			w.str("trigger", t.Trigger)
			w.num("modules", int64(t.Modules))
			w.ms("load_ms", t.Load)
			w.ms("wait_ms", t.Wait)
			w.close('}')
		}
		w.close(']')
		w.close('}')
	}
	w.key("stages_ms")
	w.open('[')
	for _, st := range s.Stages {
		w.elem()
		w.open('{')
		w.str("stage", st.Name)
		w.ms("ms", st.Duration)
		w.close('}')
	}
	w.close(']')
	w.ms("total_ms", s.Total)
	w.close('}')
	w.b = append(w.b, '\n')
	return w.b
}

// writer appends JSON to b; first tracks whether a comma is due.
type writer struct {
	b     []byte
	first bool
}

func (w *writer) open(c byte)  { w.b = append(w.b, c); w.first = true }
func (w *writer) close(c byte) { w.b = append(w.b, c); w.first = false }

func (w *writer) elem() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

func (w *writer) key(k string) {
	w.elem()
	w.quote(k)
	w.b = append(w.b, ':')
}

func (w *writer) str(k, v string) { w.key(k); w.quote(v) }

// strs writes k and the array of strings vs: [] when vs is empty.
func (w *writer) strs(k string, vs []string) {
	w.key(k)
	w.open('[')
	for _, v := range vs {
		w.elem()
		w.quote(v)
	}
	w.close(']')
}

func (w *writer) num(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

func (w *writer) boolean(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

// ms writes a duration in milliseconds with microsecond precision.
func (w *writer) ms(k string, d time.Duration) {
	w.key(k)
	// Integer arithmetic, not AppendFloat: the same digits, and under an
	// emulator the init does not pay for translating the float formatter.
	us := d.Microseconds()
	if us < 0 {
		w.b = append(w.b, '-')
		us = -us
	}
	w.b = strconv.AppendInt(w.b, us/1000, 10)
	frac := us % 1000
	w.b = append(w.b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

const hexDigits = "0123456789abcdef"

// quote writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func (w *writer) quote(s string) {
	w.b = append(w.b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			w.b = append(w.b, '\\', byte(r))
		case r == '\n':
			w.b = append(w.b, '\\', 'n')
		case r == '\t':
			w.b = append(w.b, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			w.b = append(w.b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			w.b = utf8.AppendRune(w.b, r)
		}
	}
	w.b = append(w.b, '"')
}

// verity writes a verity record, or null.
func (w *writer) tpm(t *TPM) {
	if t == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('{')
	w.str("state", t.State)
	w.str("device", t.Device)
	w.num("pcr", int64(t.PCR))
	w.strs("banks", t.Banks)
	w.strs("skipped_banks", t.Skipped)
	w.num("events", int64(t.Events))
	w.key("pcr_values")
	w.open('{')
	for _, d := range t.Values {
		w.str(d.Bank, d.Hex)
	}
	w.close('}')
	w.str("error", t.Error)
	w.close('}')
}

func (w *writer) verity(v *Verity) {
	if v == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		w.str("source", v.Source)
		w.str("device", v.Device)
		w.str("devnum", v.DevNum)
		w.str("data_device", v.DataDevice)
		w.str("hash_device", v.HashDevice)
		if v.FECDevice != "" {
			w.str("fec_device", v.FECDevice)
		}
		w.num("hash_offset", int64(v.HashOffset))
		w.str("root_hash", v.RootHash)
		w.str("algorithm", v.Algorithm)
		w.strs("options", v.Options)
		w.str("table", v.Table)
		w.close('}')
	}
}

// signature writes a signature record, or null.
func (w *writer) signature(sg *Signature) {
	if sg == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		w.str("from", sg.From)
		w.str("subject", sg.Subject)
		w.str("issuer", sg.Issuer)
		w.str("fingerprint_sha256", sg.Fingerprint)
		w.boolean("kernel", sg.Kernel)
		if sg.Version != nil {
			w.num("version", int64(*sg.Version))
		}
		w.close('}')
	}
}
