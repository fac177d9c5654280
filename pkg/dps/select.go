package dps

import (
	"errors"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/gpt"
)

// ErrNotFound is matched (with errors.Is) by the errors of SelectRoot,
// FindVerity and FindVeritySig when no suitable partition exists. While
// disks are still appearing, a caller may wait and try again.
var ErrNotFound = errors.New("dps: no suitable partition found")

// Disk is one GPT disk that discovery may search.
type Disk struct {
	// Name names the disk in messages, e.g. "/dev/vda".
	Name string
	// Table is the disk's validated partition table; nil if the disk has
	// none, in which case it holds no candidates. The caller decides
	// whether a table read from the backup header (gpt.Table.FromBackup),
	// which the kernel uses only with "gpt" on its command line, counts.
	Table *gpt.Table
	// Boot is set when the disk holds the ESP or XBOOTLDR partition the
	// boot loader reported in the EFI variable LoaderDevicePartUUID (see
	// IsBootDisk). DPS searches for the root only on that disk.
	Boot bool
}

// Candidate is a partition found on a disk.
type Candidate struct {
	Disk      Disk
	Partition gpt.Partition
}

// String describes c for logs and error messages, e.g.
//
//	/dev/vda partition 3 "root-b" (root-x86-64, PARTUUID 0123…)
func (c Candidate) String() string {
	var b strings.Builder
	name := c.Disk.Name
	if name == "" {
		name = "disk"
	}
	b.WriteString(name)
	b.WriteString(" partition ")
	b.WriteString(strconv.Itoa(c.Partition.Number))
	b.WriteString(" ")
	b.WriteString(quote(c.Partition.Name))
	b.WriteString(" (")
	if t := TypeName(c.Partition.Type); t != "" {
		b.WriteString(t)
	} else {
		b.WriteString("type ")
		b.WriteString(c.Partition.Type.String())
	}
	b.WriteString(", PARTUUID ")
	b.WriteString(c.Partition.UUID.String())
	if NoAuto(c.Partition.Attributes) {
		b.WriteString(", no-auto")
	}
	b.WriteString(")")
	return b.String()
}

// AmbiguousError reports that several partitions qualify and the rules give
// no safe way to choose between them. Matches lists every one of them, in
// disk and table order.
type AmbiguousError struct {
	What    string      // what was looked for, e.g. "root-x86-64 partition"
	Reason  string      // why no choice can be made
	Matches []Candidate // every partition that qualifies
}

// Error names what was looked for, why no choice was made, and every
// match.
func (e *AmbiguousError) Error() string {
	var b strings.Builder
	b.WriteString("dps: ambiguous ")
	b.WriteString(e.What)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	b.WriteString("; refusing to guess between ")
	for i, c := range e.Matches {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// notFoundError is an error with its own text that matches ErrNotFound.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(msg string) error { return &notFoundError{msg: "dps: " + msg} }

// IsBootDisk reports whether t holds an ESP or XBOOTLDR partition whose
// PARTUUID is loaderDevicePartUUID, the partition the boot loader reports
// in the EFI variable LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
// (systemd's find_gpt_root accepts only these two types). Parse the
// variable's text with gpt.ParseGUID, which ignores case, as boot loaders
// differ in it.
func IsBootDisk(t *gpt.Table, loaderDevicePartUUID gpt.GUID) bool {
	if t == nil || loaderDevicePartUUID.IsZero() {
		return false
	}
	for _, p := range t.Partitions {
		if p.UUID != loaderDevicePartUUID {
			continue
		}
		if r, _, ok := Identify(p.Type); ok && (r == ESP || r == XBOOTLDR) {
			return true
		}
	}
	return false
}

// skipLabel reports whether a partition is never chosen because of its
// label. systemd's find_gpt_root skips "_empty", the placeholder
// systemd-sysupdate gives unused slots. DPS reserves the prefixes "PRT#"
// (partially written) and "PND#" (pending) for updaters and says other tools
// should ignore such partitions; systemd does not check them, but booting a
// half-written slot is never right, so they are skipped here too.
func skipLabel(name string) bool {
	return name == "_empty" || strings.HasPrefix(name, "PRT#") || strings.HasPrefix(name, "PND#")
}

// eligible reports whether p is of role r on architecture a and may be
// auto-discovered: no no-auto flag, no reserved label.
func eligible(p gpt.Partition, r Role, a Arch) bool {
	pr, pa, ok := Identify(p.Type)
	return ok && pr == r && pa == a && !NoAuto(p.Attributes) && !skipLabel(p.Name)
}

// newest returns the index in ps of the partition with the newest label
// (compareVersions), the earliest on a tie, as systemd and DPS ("earlier
// partitions should always win ... if the label comparison is
// inconclusive") do; tie reports whether another partition's label
// compares equal to it. ps must not be empty.
func newest(ps []gpt.Partition) (best int, tie bool) {
	for i := 1; i < len(ps); i++ {
		switch c := compareVersions(ps[i].Name, ps[best].Name); {
		case c > 0:
			best, tie = i, false
		case c == 0:
			tie = true
		}
	}
	return best, tie
}

// collect returns the eligible partitions of role r and architecture a on
// d, in table order.
func collect(d Disk, r Role, a Arch) []gpt.Partition {
	if d.Table == nil {
		return nil
	}
	var ps []gpt.Partition
	for _, p := range d.Table.Partitions {
		if eligible(p, r, a) {
			ps = append(ps, p)
		}
	}
	return ps
}

// SelectRoot chooses the DPS root partition for architecture arch when no
// root is named (DPS "Suggested Mode of Operation", dps.md §4 and §6.3):
//
//   - Only root partitions of exactly this architecture count, as in
//     systemd's udev auto-root logic (the secondary architecture, x86 on
//     x86-64 or arm on arm64, is not considered). Partitions with the
//     no-auto flag and those labelled "_empty" or starting with "PRT#" or
//     "PND#" are skipped.
//   - If a disk is marked Boot, only that disk is searched: the root must
//     be on the disk the boot loader started from. If it holds none, the
//     error matches ErrNotFound; other disks are not tried. Several Boot
//     disks (a duplicated LoaderDevicePartUUID) are refused.
//   - Without a Boot disk, the root must be on the only disk that holds a
//     root of this architecture; if several do (say a USB stick made from
//     the same image), the error is an *AmbiguousError listing every
//     candidate on every disk.
//   - On the chosen disk, the partition whose label is newest by systemd's
//     strverscmp_improved wins, the earlier one on a tie. So with labels
//     "root-a" and "root-b" the B slot wins; a boot loader that alternates
//     slots must pass the root hash or root= instead.
//
// SelectRoot does not look at verity partitions or root hashes; see
// FindVerity.
func SelectRoot(disks []Disk, arch Arch) (Candidate, error) {
	if _, ok := TypeGUID(Root, arch); !ok {
		return Candidate{}, &unknownArchError{string(arch)}
	}
	what := typeName(Root, arch) + " partition"

	var boot []Disk
	for _, d := range disks {
		if d.Boot {
			boot = append(boot, d)
		}
	}
	if len(boot) > 1 {
		names := make([]string, len(boot))
		for i, d := range boot {
			names[i] = d.Name
		}
		return Candidate{}, errors.New("dps: the boot loader's partition (LoaderDevicePartUUID) is on " +
			strconv.Itoa(len(boot)) + " disks (" + strings.Join(names, ", ") + "); refusing to choose a root disk")
	}
	if len(boot) == 1 {
		d := boot[0]
		ps := collect(d, Root, arch)
		if len(ps) == 0 {
			return Candidate{}, notFound("boot disk " + d.Name + " holds no " + what + " without the no-auto flag")
		}
		best, _ := newest(ps)
		return Candidate{Disk: d, Partition: ps[best]}, nil
	}

	var all []Candidate
	var found []Candidate // the best of each disk that has any
	for _, d := range disks {
		ps := collect(d, Root, arch)
		if len(ps) == 0 {
			continue
		}
		for _, p := range ps {
			all = append(all, Candidate{Disk: d, Partition: p})
		}
		best, _ := newest(ps)
		found = append(found, Candidate{Disk: d, Partition: ps[best]})
	}
	switch len(found) {
	case 0:
		return Candidate{}, notFound("no " + what + " without the no-auto flag on " + strconv.Itoa(len(disks)) + " disks")
	case 1:
		return found[0], nil
	}
	return Candidate{}, &AmbiguousError{
		What:    what,
		Reason:  strconv.Itoa(len(found)) + " disks hold one and the boot loader named no boot disk (LoaderDevicePartUUID)",
		Matches: all,
	}
}

// dataRoles returns the roles and the architecture of the verity and
// signature partitions that belong to data, after checking that data is a
// DPS root or /usr partition on d.
func dataRoles(d Disk, data gpt.Partition) (verity, sig Role, arch Arch, err error) {
	r, a, ok := Identify(data.Type)
	if ok {
		verity, sig, ok = r.verityOf()
	}
	if !ok {
		return 0, 0, "", errors.New("dps: " + Candidate{Disk: d, Partition: data}.String() + " is not a DPS root or /usr partition")
	}
	if d.Table != nil {
		for _, p := range d.Table.Partitions {
			if p.Number == data.Number && p.UUID == data.UUID {
				return verity, sig, a, nil
			}
		}
	}
	return 0, 0, "", errors.New("dps: partition " + strconv.Itoa(data.Number) + " (PARTUUID " + data.UUID.String() + ") is not on " + d.Name + ": verity partitions are only paired on the data partition's disk")
}

// FindVerity returns the verity partition on d that belongs to the root or
// /usr partition data, and the root hash of the pair. Only partitions of the
// matching verity type of the same architecture, on the same disk and
// without the no-auto flag count (systemd's dissect_image skips no-auto
// verity partitions even when a root hash is given).
//
// With a non-empty rootHash (trusted, for example from the kernel command
// line of a signed image), the pairing is by DPS's UUID rule (PairUUIDs): data's
// PARTUUID must be the root hash's first 128 bits, or FindVerity fails, and
// the verity partition is the one whose PARTUUID is its last 128 bits. Two
// such partitions are refused with an *AmbiguousError; none is ErrNotFound,
// and the message names any partition that has the UUID but the wrong type
// or the no-auto flag. The returned hash is a copy of rootHash.
//
// Without a root hash there is no pairing rule in DPS; current systemd
// takes the newest verity partition by label (older releases the first)
// and joins the two UUIDs into a root hash. FindVerity takes the only eligible verity partition if there is
// one; otherwise the one labelled like data plus "-verity" or "_verity"
// (as in "root-a" and "root-a-verity", or mkosi's "%M_%A" and
// "%M_%A_verity") if exactly one is; otherwise the newest by label, and
// refuses a tie with an *AmbiguousError. The returned hash is
// GuessRootHash(data.UUID, verity.UUID): only right for sha256 trees and
// untrusted, since whoever wrote the disk chose it. Check it against a
// signature before trusting the data.
func FindVerity(d Disk, data gpt.Partition, rootHash []byte) (verity gpt.Partition, hash []byte, err error) {
	vr, _, arch, err := dataRoles(d, data)
	if err != nil {
		return gpt.Partition{}, nil, err
	}
	what := typeName(vr, arch) + " partition"
	if len(rootHash) == 0 {
		v, err := pickPaired(d, data, vr, arch, "-verity", "_verity")
		if err != nil {
			return gpt.Partition{}, nil, err
		}
		return v, GuessRootHash(data.UUID, v.UUID), nil
	}

	du, vu, err := PairUUIDs(rootHash)
	if err != nil {
		return gpt.Partition{}, nil, err
	}
	if data.UUID != du {
		return gpt.Partition{}, nil, errors.New("dps: " + Candidate{Disk: d, Partition: data}.String() +
			" does not belong to root hash " + hexString(rootHash) + ": its PARTUUID should be " + du.String())
	}
	var matches []Candidate
	var misses []string
	for _, p := range d.Table.Partitions {
		if p.UUID != vu {
			continue
		}
		c := Candidate{Disk: d, Partition: p}
		if eligible(p, vr, arch) {
			matches = append(matches, c)
			continue
		}
		why := " is not a " + what
		if r, a, _ := Identify(p.Type); r == vr && a == arch {
			why = " has a reserved label"
			if NoAuto(p.Attributes) {
				why = " has the no-auto flag"
			}
		}
		misses = append(misses, c.String()+why)
	}
	switch len(matches) {
	case 0:
		msg := "no " + what + " with PARTUUID " + vu.String() + " (the last 128 bits of root hash " + hexString(rootHash) + ") on " + d.Name
		if len(misses) > 0 {
			msg += ": " + strings.Join(misses, "; ")
		}
		return gpt.Partition{}, nil, notFound(msg)
	case 1:
		return matches[0].Partition, append([]byte(nil), rootHash...), nil
	}
	return gpt.Partition{}, nil, &AmbiguousError{What: what, Reason: "several have PARTUUID " + vu.String(), Matches: matches}
}

// FindVeritySig returns the verity signature partition on d that belongs to
// the root or /usr partition data: of the matching type and architecture,
// without the no-auto flag. DPS gives signature partitions no UUID rule;
// the rootHash inside (not parsed here) must be checked against the data
// and verity partitions (PairUUIDs). If several qualify, FindVeritySig
// takes the one labelled like data plus "-verity-sig" or "_verity_sig" if
// exactly one is, otherwise the newest by label, and refuses a tie with an
// *AmbiguousError. None is ErrNotFound.
func FindVeritySig(d Disk, data gpt.Partition) (gpt.Partition, error) {
	_, sr, arch, err := dataRoles(d, data)
	if err != nil {
		return gpt.Partition{}, err
	}
	return pickPaired(d, data, sr, arch, "-verity-sig", "_verity_sig")
}

// pickPaired chooses the partition of role r and architecture a on d that
// goes with data when there is no UUID rule: the only eligible one, else
// the only one labelled data.Name plus one of suffixes, else the newest by
// label, refusing ties.
func pickPaired(d Disk, data gpt.Partition, r Role, a Arch, suffixes ...string) (gpt.Partition, error) {
	what := typeName(r, a) + " partition"
	ps := collect(d, r, a)
	switch len(ps) {
	case 0:
		return gpt.Partition{}, notFound("no " + what + " without the no-auto flag on " + d.Name)
	case 1:
		return ps[0], nil
	}
	var named []gpt.Partition
	for _, p := range ps {
		for _, s := range suffixes {
			if data.Name != "" && p.Name == data.Name+s {
				named = append(named, p)
				break
			}
		}
	}
	if len(named) == 1 {
		return named[0], nil
	}
	best, tie := newest(ps)
	if tie {
		matches := make([]Candidate, len(ps))
		for i, p := range ps {
			matches[i] = Candidate{Disk: d, Partition: p}
		}
		return gpt.Partition{}, &AmbiguousError{
			What:    what,
			Reason:  "no root hash was given, and neither the labels nor their versions tell which belongs to " + Candidate{Disk: d, Partition: data}.String(),
			Matches: matches,
		}
	}
	return ps[best], nil
}
