package rootdev

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/gpt"
)

// Kind is the form of a root= value.
type Kind int

// The forms of root=.
const (
	ByPath      Kind = iota + 1 // /dev/NAME
	ByPartUUID                  // PARTUUID=uuid[/PARTNROFF=n]
	ByPartLabel                 // PARTLABEL=label
	ByFSUUID                    // UUID=uuid (file system)
	ByFSLabel                   // LABEL=label (file system)
	ByDevNum                    // MAJ:MIN or hexadecimal
	ByLV                        // an LVM2 logical volume: /dev/VG/LV, /dev/mapper/VG-LV, LVM=VG/LV
)

var kindKeys = map[Kind]string{
	ByPath: "path", ByPartUUID: "PARTUUID", ByPartLabel: "PARTLABEL",
	ByFSUUID: "UUID", ByFSLabel: "LABEL", ByDevNum: "devnum", ByLV: "LVM",
}

// Key names the kind as status.json records it.
func (k Kind) Key() string { return kindKeys[k] }

// Spec is a parsed root= value.
type Spec struct {
	Raw       string
	Kind      Kind
	Value     string   // the name, label or uuid text as given
	PartUUID  gpt.GUID // for ByPartUUID
	PartNrOff int      // for ByPartUUID with /PARTNROFF=
	Major     uint32   // for ByDevNum
	Minor     uint32
	VG, LV    string // for ByLV
}

// ErrNoRoot is returned by ParseSpec for an empty root=.
var ErrNoRoot = errors.New("no root= given")

// ParseSpec parses a root= value.
func ParseSpec(s string) (Spec, error) {
	sp := Spec{Raw: s}
	fail := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("root=%s: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return Spec{}, ErrNoRoot
	case strings.HasPrefix(s, "PARTUUID="):
		v := strings.TrimPrefix(s, "PARTUUID=")
		uuid, off, hasOff := strings.Cut(v, "/")
		g, err := gpt.ParseGUID(uuid)
		if err != nil {
			return fail("bad PARTUUID %q: %v", uuid, err)
		}
		sp.Kind, sp.Value, sp.PartUUID = ByPartUUID, strings.ToLower(uuid), g
		if hasOff {
			n, ok := strings.CutPrefix(off, "PARTNROFF=")
			v, err := strconv.Atoi(n)
			if !ok || err != nil || v < -4096 || v > 4096 {
				return fail("bad partition offset %q (want /PARTNROFF=N)", off)
			}
			sp.PartNrOff = v
		}
	case strings.HasPrefix(s, "PARTLABEL="):
		sp.Kind, sp.Value = ByPartLabel, strings.TrimPrefix(s, "PARTLABEL=")
		if sp.Value == "" {
			return fail("empty PARTLABEL")
		}
	case strings.HasPrefix(s, "UUID="):
		sp.Kind, sp.Value = ByFSUUID, strings.ToLower(strings.TrimPrefix(s, "UUID="))
		if sp.Value == "" {
			return fail("empty UUID")
		}
	case strings.HasPrefix(s, "LABEL="):
		sp.Kind, sp.Value = ByFSLabel, strings.TrimPrefix(s, "LABEL=")
		if sp.Value == "" {
			return fail("empty LABEL")
		}
	case strings.HasPrefix(s, "LVM="):
		vg, lv, ok := strings.Cut(strings.TrimPrefix(s, "LVM="), "/")
		if !ok || !lvmName(vg) || !lvmName(lv) {
			return fail("want LVM=VG/LV")
		}
		sp.Kind, sp.VG, sp.LV = ByLV, vg, lv
	case strings.HasPrefix(s, "/dev/mapper/"):
		vg, lv, ok := SplitDMName(strings.TrimPrefix(s, "/dev/mapper/"))
		if !ok {
			return fail("/dev/mapper/NAME must be VG-LV, with each '-' inside the names doubled, as lvm2 names them")
		}
		sp.Kind, sp.VG, sp.LV = ByLV, vg, lv
	case strings.HasPrefix(s, "/dev/"):
		name := strings.TrimPrefix(s, "/dev/")
		if vg, lv, ok := strings.Cut(name, "/"); ok && vg != "disk" && vg != "block" && lvmName(vg) && lvmName(lv) {
			sp.Kind, sp.VG, sp.LV = ByLV, vg, lv // /dev/VG/LV, as lvm2's links name it
			break
		}
		if name == "" || strings.Contains(name, "/") {
			return fail("only /dev/NAME of a kernel block device or /dev/VG/LV is supported (no udev symlinks such as /dev/disk/...)")
		}
		sp.Kind, sp.Value = ByPath, name
	default:
		maj, min, ok := strings.Cut(s, ":")
		if ok {
			a, err1 := strconv.ParseUint(maj, 10, 32)
			b, err2 := strconv.ParseUint(min, 10, 32)
			if err1 != nil || err2 != nil {
				return fail("bad device number (want MAJ:MIN)")
			}
			sp.Major, sp.Minor = uint32(a), uint32(b)
		} else {
			// The kernel's old form: a hexadecimal dev_t, major<<8|minor.
			n, err := strconv.ParseUint(s, 16, 32)
			if err != nil {
				return fail("unknown form (want /dev/NAME, PARTUUID=, PARTLABEL=, UUID=, LABEL= or MAJ:MIN)")
			}
			sp.Major, sp.Minor = uint32(n>>8), uint32(n&0xff)
		}
		sp.Kind, sp.Value = ByDevNum, fmt.Sprintf("%d:%d", sp.Major, sp.Minor)
	}
	if sp.Kind == ByLV {
		sp.Value = sp.VG + "/" + sp.LV
	}
	return sp, nil
}

// lvmName reports whether s can be an LVM2 VG or LV name: letters,
// digits and "+_.-", not starting with '-', not "." or "..".
func lvmName(s string) bool {
	if s == "" || len(s) > 127 || s[0] == '-' || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+_.-", c)) {
			return false
		}
	}
	return true
}

// SplitDMName splits an lvm2 device-mapper name "VG-LV" (every '-' inside
// either name doubled) into the VG and LV names.
func SplitDMName(name string) (vg, lv string, ok bool) {
	for i := 0; i < len(name); i++ {
		if name[i] != '-' {
			continue
		}
		if i+1 < len(name) && name[i+1] == '-' {
			i++ // an escaped '-'
			continue
		}
		vg, lv = strings.ReplaceAll(name[:i], "--", "-"), strings.ReplaceAll(name[i+1:], "--", "-")
		return vg, lv, lvmName(vg) && lvmName(lv)
	}
	return "", "", false
}

// Noun names what a kind of spec looks for, for messages.
func (k Kind) Noun() string {
	switch k {
	case ByPartUUID, ByPartLabel:
		return "partition"
	case ByFSUUID, ByFSLabel:
		return "file system"
	case ByLV:
		return "logical volume"
	}
	return "device"
}
