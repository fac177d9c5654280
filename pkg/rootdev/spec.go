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
)

var kindKeys = map[Kind]string{
	ByPath: "path", ByPartUUID: "PARTUUID", ByPartLabel: "PARTLABEL",
	ByFSUUID: "UUID", ByFSLabel: "LABEL", ByDevNum: "devnum",
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
	case strings.HasPrefix(s, "/dev/"):
		name := strings.TrimPrefix(s, "/dev/")
		if name == "" || strings.Contains(name, "/") {
			return fail("only /dev/NAME of a kernel block device is supported (no udev symlinks such as /dev/disk/...)")
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
	return sp, nil
}

// Noun names what a kind of spec looks for, for messages.
func (k Kind) Noun() string {
	switch k {
	case ByPartUUID, ByPartLabel:
		return "partition"
	case ByFSUUID, ByFSLabel:
		return "file system"
	}
	return "device"
}
