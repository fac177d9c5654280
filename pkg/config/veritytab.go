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

// veritytabVolumes are the volumes of a packed veritytab verinit sets up:
// "root", "usr", or both.
type veritytabVolumes struct{ root, usr *VeritytabEntry }

// readVeritytab reads the volumes of a packed veritytab; envToo: a
// dm-verity.env is packed as well, which is refused.
func readVeritytab(b []byte, envToo bool) (veritytabVolumes, error) {
	entries, err := ParseVeritytab(b)
	if err != nil {
		return veritytabVolumes{}, err
	}
	if envToo {
		return veritytabVolumes{}, fmt.Errorf("the initramfs packs both %s and %s: pack one", VerityEnvPath, VeritytabPath)
	}
	return veritytabSetUp(entries)
}

// veritytabSetUp picks the volumes "root" and "usr", refusing what verinit
// would otherwise leave undone: any other volume, a root hash left to
// udev ("-").
func veritytabSetUp(entries []VeritytabEntry) (veritytabVolumes, error) {
	var vols veritytabVolumes
	for i, e := range entries {
		where := e.where()
		switch e.Name {
		case "root":
			vols.root = &entries[i]
		case "usr":
			vols.usr = &entries[i]
		default:
			return veritytabVolumes{}, fmt.Errorf("%s: volume %q: verinit sets up only the volumes \"root\" and \"usr\"", where, e.Name)
		}
		if e.Root == "-" {
			return veritytabVolumes{}, fmt.Errorf("%s: root hash \"-\" (udev's ID_DISSECT_PART_ROOTHASH): give the root hash", where)
		}
		if _, err := parseRootHash(where+" roothash", e.Root); err != nil {
			return veritytabVolumes{}, err
		}
	}
	if vols.root == nil && vols.usr == nil {
		return vols, fmt.Errorf("%s: no volume \"root\" or \"usr\"", VeritytabPath)
	}
	return vols, nil
}

// pins are the root hashes the volumes name, which readPolicy pins.
func (v veritytabVolumes) pins() []packedRoot {
	var pins []packedRoot
	for _, e := range []*VeritytabEntry{v.root, v.usr} {
		if e != nil {
			pins = append(pins, packedRoot{Key: e.where() + " roothash", Hash: e.Root})
		}
	}
	return pins
}
