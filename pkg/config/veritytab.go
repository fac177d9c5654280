package config

import (
	"fmt"
	"strings"
)

// VeritytabPath is where systemd's veritysetup generator reads the
// verity volumes to set up; verinit initramfs --file packs one there.
const VeritytabPath = "/etc/veritytab"

// VeritytabEntry is one line of a veritytab (veritytab(5)):
// "volume-name data-device hash-device roothash [options]".
type VeritytabEntry struct {
	Line                   int // 1-based, for messages
	Name, Data, Hash, Root string
	Options                string
}

// VeritytabIgnored returns veritytab's own options that verinit accepts
// in a packed veritytab and ignores: they order and attach volumes in
// systemd's boot and mean nothing for a root the initramfs sets up
// before anything else. nofail is not among them: a root cannot be
// optional.
func VeritytabIgnored() []string { return []string{"_netdev", "noauto", "x-initrd.attach"} }

const maxVeritytabBytes = 64 << 10

// ParseVeritytab reads a veritytab: blank lines and lines starting with
// '#' are skipped, every other line is an entry of four or five fields
// separated by white space.
func ParseVeritytab(b []byte) ([]VeritytabEntry, error) {
	if len(b) > maxVeritytabBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", VeritytabPath, len(b), maxVeritytabBytes)
	}
	var entries []VeritytabEntry
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		where := fmt.Sprintf("%s line %d", VeritytabPath, i+1)
		if len(f) < 4 || len(f) > 5 {
			return nil, fmt.Errorf("%s: %d fields, want volume-name data-device hash-device roothash [options]", where, len(f))
		}
		e := VeritytabEntry{Line: i + 1, Name: f[0], Data: f[1], Hash: f[2], Root: f[3]}
		if len(f) == 5 {
			e.Options = f[4]
		}
		for _, prev := range entries {
			if prev.Name == e.Name {
				return nil, fmt.Errorf("%s: volume %q again (line %d has it)", where, e.Name, prev.Line)
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// where names the entry's line in messages.
func (e VeritytabEntry) where() string { return fmt.Sprintf("%s line %d", VeritytabPath, e.Line) }

// readVeritytab is the root volume of a packed veritytab; envToo: a
// dm-verity.env is packed as well, which is refused.
func readVeritytab(b []byte, envToo bool) (*VeritytabEntry, error) {
	entries, err := ParseVeritytab(b)
	if err != nil {
		return nil, err
	}
	if envToo {
		return nil, fmt.Errorf("the initramfs packs both %s and %s: pack one", VerityEnvPath, VeritytabPath)
	}
	return veritytabRoot(entries)
}

// veritytabRoot is the entry of the root volume, refusing what verinit
// would otherwise leave undone: any other volume (verinit sets up only
// the root; "usr" is not supported yet), a root hash left to udev ("-").
func veritytabRoot(entries []VeritytabEntry) (*VeritytabEntry, error) {
	var root *VeritytabEntry
	for i, e := range entries {
		where := e.where()
		switch e.Name {
		case "root":
			root = &entries[i]
		case "usr":
			return nil, fmt.Errorf("%s: volume \"usr\": a /usr from veritytab is not supported yet (give usrhash= and systemd.verity_usr_* on the command line)", where)
		default:
			return nil, fmt.Errorf("%s: volume %q: verinit sets up only the root volume, \"root\"", where, e.Name)
		}
		if e.Root == "-" {
			return nil, fmt.Errorf("%s: root hash \"-\" (udev's ID_DISSECT_PART_ROOTHASH): give the root hash", where)
		}
		if _, err := parseRootHash(where+" roothash", e.Root); err != nil {
			return nil, err
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no volume \"root\"", VeritytabPath)
	}
	return root, nil
}
