package hostonly

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Dev is a device number, as /proc/self/mountinfo and /sys/dev/block name it.
type Dev struct{ Major, Minor uint32 }

func (d Dev) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	Point  string // mount point, unescaped
	Dev    Dev    // st_dev of the files on it: major 0 for tmpfs, overlay, nfs and the like
	FSType string
	Source string // what was mounted ("/dev/vda2", "overlay")
}

// Limits on mountinfo, which the kernel writes: a bound, not a format rule.
const (
	maxMountinfoLine  = 64 << 10
	maxMountinfoLines = 1 << 16
)

// ParseMountinfo reads a mountinfo file (proc(5)): "ID PARENT MAJ:MIN ROOT
// POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS". Octal escapes
// (\040 for a space) in the point and the source are undone.
func ParseMountinfo(r io.Reader) ([]Mount, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxMountinfoLine)
	var out []Mount
	for n := 1; sc.Scan(); n++ {
		if n > maxMountinfoLines {
			return nil, fmt.Errorf("hostonly: mountinfo: more than %d lines", maxMountinfoLines)
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= len(f) {
			return nil, fmt.Errorf("hostonly: mountinfo line %d: no \"- FSTYPE SOURCE\" after the options", n)
		}
		dev, err := parseDev(f[2])
		if err != nil {
			return nil, fmt.Errorf("hostonly: mountinfo line %d: %w", n, err)
		}
		out = append(out, Mount{Point: unescape(f[4]), Dev: dev, FSType: f[sep+1], Source: unescape(f[sep+2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hostonly: mountinfo: %w", err)
	}
	return out, nil
}

// MountAt returns the mount that is visible at point: the last one mounted
// there, since each later mount hides the earlier.
func MountAt(mounts []Mount, point string) (Mount, bool) {
	for i := len(mounts) - 1; i >= 0; i-- {
		if mounts[i].Point == point {
			return mounts[i], true
		}
	}
	return Mount{}, false
}

// parseDev parses "MAJOR:MINOR".
func parseDev(s string) (Dev, error) {
	a, b, ok := strings.Cut(s, ":")
	maj, err1 := strconv.ParseUint(a, 10, 32)
	min, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Dev{}, fmt.Errorf("device %q: want MAJOR:MINOR", s)
	}
	return Dev{uint32(maj), uint32(min)}, nil
}

// unescape undoes the kernel's octal escapes (mangle in fs/proc_namespace.c:
// space, tab, newline and backslash).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
