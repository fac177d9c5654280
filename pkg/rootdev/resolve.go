package rootdev

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/lvm"
)

// Disk is what was read from one whole disk.
type Disk struct {
	Device blockdev.Device
	Table  *gpt.Table // nil when Err is set
	Err    error      // why no partition table could be read
}

// View is everything known about the block devices at one moment.
type View struct {
	Devices []blockdev.Device
	Disks   map[string]Disk          // by disk name; only disks probed so far
	FS      map[string]fsdetect.Info // by device name; only when a UUID=/LABEL= spec asked
	// LVM, only when an LV spec asked: the volume groups assembled from
	// every PV scanned, and which device holds each PV (by PV UUID).
	VGs      []*lvm.VG
	PVs      map[string]blockdev.Device
	LVMError error            // VGs Assemble left out, if any
	PVErrors map[string]error // devices with an unreadable LVM2 label or metadata
}

// Match is the device a spec resolved to. For a logical volume, LV is
// the activation plan and PVs the devices it maps; Device is only known
// once the LV is activated.
type Match struct {
	Device blockdev.Device
	Key    string // Kind.Key()
	Value  string
	LV     *lvm.Plan
	PVs    map[string]blockdev.Device // by PV UUID
}

// AmbiguousError lists every partition a value matched.
type AmbiguousError struct {
	Spec    string
	Matches []string // "vda2", "vdb2", or "vda partition 2" when no device yet
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s matches %d partitions: %s; refusing to guess", e.Spec, len(e.Matches), strings.Join(e.Matches, " "))
}

// NeedsTables reports whether resolving needs the disks' GPTs.
func (s Spec) NeedsTables() bool { return s.Kind == ByPartUUID || s.Kind == ByPartLabel }

// NeedsLVM reports whether resolving needs the LVM2 PVs scanned.
func (s Spec) NeedsLVM() bool { return s.Kind == ByLV }

// NeedsFS reports whether resolving needs the file systems probed.
func (s Spec) NeedsFS() bool { return s.Kind == ByFSUUID || s.Kind == ByFSLabel }

// Resolve looks for the device s names. It returns ok=false when it is
// not there (yet); an error when the view proves it can never be right
// (a value matching several partitions).
func (s Spec) Resolve(v View) (m Match, ok bool, err error) {
	m = Match{Key: s.Kind.Key(), Value: s.Value}
	var found []blockdev.Device
	switch s.Kind {
	case ByPath:
		found = filter(v.Devices, func(d blockdev.Device) bool { return d.Name == s.Value })
	case ByDevNum:
		found = filter(v.Devices, func(d blockdev.Device) bool { return d.Major == s.Major && d.Minor == s.Minor })
	case ByFSUUID, ByFSLabel:
		found = filter(v.Devices, func(d blockdev.Device) bool {
			info, probed := v.FS[d.Name]
			if !probed {
				return false
			}
			if s.Kind == ByFSUUID {
				return info.UUID != "" && strings.EqualFold(info.UUID, s.Value)
			}
			return info.Label != "" && info.Label == s.Value
		})
	case ByPartUUID, ByPartLabel:
		return s.resolvePartition(v, m)
	case ByLV:
		return s.resolveLV(v, m)
	default:
		return m, false, fmt.Errorf("%s: unknown form", s.Raw)
	}
	if len(found) > 1 {
		names := make([]string, len(found))
		for i, d := range found {
			names[i] = d.Name
		}
		return m, false, &AmbiguousError{Spec: s.Raw, Matches: names}
	}
	if len(found) == 0 {
		return m, false, nil
	}
	m.Device = found[0]
	return m, true, nil
}

// resolvePartition finds a partition by GPT identity across every disk.
func (s Spec) resolvePartition(v View, m Match) (Match, bool, error) {
	type hit struct {
		disk   string
		number int
	}
	var hits []hit
	for _, name := range sortedKeys(v.Disks) {
		d := v.Disks[name]
		if d.Table == nil {
			continue
		}
		for _, p := range d.Table.Partitions {
			match := false
			if s.Kind == ByPartUUID {
				match = p.UUID == s.PartUUID
			} else {
				match = p.KernelLabel() == s.Value
			}
			if match {
				hits = append(hits, hit{name, p.Number + s.PartNrOff})
			}
		}
	}
	if len(hits) == 0 {
		return m, false, nil
	}
	if len(hits) > 1 {
		names := make([]string, len(hits))
		for i, h := range hits {
			names[i] = partName(v.Devices, h.disk, h.number)
		}
		return m, false, &AmbiguousError{Spec: s.Raw, Matches: names}
	}
	h := hits[0]
	if h.number < 1 {
		return m, false, fmt.Errorf("%s: partition offset leads to partition %d of %s", s.Raw, h.number, h.disk)
	}
	for _, d := range v.Devices {
		if d.Disk == h.disk && d.Partition == h.number {
			m.Device = d
			return m, true, nil
		}
	}
	return m, false, nil // in the table, but the kernel has not announced it yet
}

func partName(devs []blockdev.Device, disk string, number int) string {
	for _, d := range devs {
		if d.Disk == disk && d.Partition == number {
			return d.Name
		}
	}
	return fmt.Sprintf("%s(partition %d)", disk, number)
}

func filter(devs []blockdev.Device, keep func(blockdev.Device) bool) []blockdev.Device {
	var out []blockdev.Device
	for _, d := range devs {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Explain describes the view for a "not found" message: the devices
// seen, and for each disk without a usable partition table, why.
func Explain(v View) string {
	var b strings.Builder
	b.WriteString("block devices seen: ")
	b.WriteString(blockdev.Names(v.Devices))
	for _, name := range sortedKeys(v.Disks) {
		d := v.Disks[name]
		switch {
		case d.Err != nil:
			fmt.Fprintf(&b, "; %s: %v", name, d.Err)
		case d.Table != nil && d.Table.FromBackup:
			fmt.Fprintf(&b, "; %s: the primary GPT is damaged (%v) and the backup is good, but the kernel makes partition devices from a backup GPT only when booted with the gpt parameter", name, d.Table.PrimaryErr)
		}
	}
	for _, vg := range v.VGs {
		var missing []string
		for _, mb := range vg.Members {
			if !mb.Present {
				missing = append(missing, mb.UUID)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(&b, "; volume group %s lacks PV %s", vg.Name, strings.Join(missing, ", "))
		}
	}
	if v.LVMError != nil {
		fmt.Fprintf(&b, "; %v", v.LVMError)
	}
	for _, name := range sortedKeys(v.PVErrors) {
		fmt.Fprintf(&b, "; %v", v.PVErrors[name])
	}
	// For UUID=/LABEL=: what each device holds (squashfs has neither).
	for _, name := range sortedKeys(v.FS) {
		info := v.FS[name]
		switch {
		case info.Type == "":
			continue
		case info.UUID == "" && info.Label == "":
			fmt.Fprintf(&b, "; %s: %s (no UUID or label)", name, info.Type)
		default:
			fmt.Fprintf(&b, "; %s: %s UUID=%s LABEL=%s", name, info.Type, info.UUID, info.Label)
		}
	}
	return b.String()
}

// SortedDisks returns the names of the disks in v, sorted.
func SortedDisks(v View) []string { return sortedKeys(v.Disks) }

// resolveLV plans the activation of a logical volume. A VG that is not
// there yet, or an LV whose PVs are not all there yet, is "not yet"; an LV
// that cannot be activated safely (thin, raid, exported VG, ...) is an
// error.
func (s Spec) resolveLV(v View, m Match) (Match, bool, error) {
	if !feature.LVM {
		return m, false, fmt.Errorf("%s: %w", s.Raw, feature.ErrNoLVM)
	}
	var vgs []*lvm.VG
	for _, vg := range v.VGs {
		if vg.Name == s.VG {
			vgs = append(vgs, vg)
		}
	}
	switch {
	case len(vgs) == 0:
		return m, false, nil
	case len(vgs) > 1:
		return m, false, fmt.Errorf("%s: %d volume groups are named %s; refusing to guess", s.Raw, len(vgs), s.VG)
	}
	plan, err := vgs[0].Plan(s.LV, lvm.PlanOptions{ReadOnly: true})
	if errors.Is(err, lvm.ErrMissingPV) {
		return m, false, nil // more PVs may appear
	}
	if err != nil {
		return m, false, fmt.Errorf("%s: %w", s.Raw, err)
	}
	m.LV, m.PVs = plan, map[string]blockdev.Device{}
	for _, t := range plan.Targets {
		for _, a := range t.Areas {
			m.PVs[a.PVUUID] = v.PVs[a.PVUUID]
		}
	}
	return m, true, nil
}

// Listed reports whether some disk's partition table holds the
// partition s names, whether or not the kernel announced it yet.
func (s Spec) Listed(v View) bool {
	for _, d := range v.Disks {
		if d.Table == nil {
			continue
		}
		for _, p := range d.Table.Partitions {
			if (s.Kind == ByPartUUID && p.UUID == s.PartUUID) || (s.Kind == ByPartLabel && p.KernelLabel() == s.Value) {
				return true
			}
		}
	}
	return false
}
