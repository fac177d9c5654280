package lvm

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// PlanOptions are the caller's choices for Plan. The zero value plans
// what lvchange -ay VG/LV would load on a host without an lvm.conf.
type PlanOptions struct {
	// ReadOnly loads the table read-only even when the LV is writable
	// (lvchange -p r, or lvm.conf activation/read_only_volume_list).
	ReadOnly bool
	// IgnoreActivationSkip plans LVs flagged ACTIVATION_SKIP, like
	// lvchange -ay -K; otherwise they are refused.
	IgnoreActivationSkip bool
	// SystemID is the local system ID. A VG whose metadata has another
	// system_id is refused; with SystemID empty, every VG that has one is
	// refused, as lvm2 does without a configured system ID.
	SystemID string
}

// A Plan is the device-mapper device that activates one logical volume:
// what lvm2 would create for lvchange -ay VG/LV. Devices are named by PV
// UUID; the caller maps each to the device it scanned (see Target.Params).
type Plan struct {
	VG, LV string // the VG and LV names
	// Name is the dm name: VG and LV joined by '-', with every '-' inside
	// either name doubled (libdm's dm_build_dm_name), e.g. "vg-my--data".
	Name string
	// UUID is the dm UUID: "LVM-" followed by the VG and LV UUIDs without
	// dashes (build_dm_uuid).
	UUID string
	// ReadOnly is set when the LV lacks WRITE, or PlanOptions.ReadOnly.
	ReadOnly bool
	// Sectors is the size of the device in 512-byte sectors.
	Sectors uint64
	// Targets are the table lines, one per (merged) segment, in order.
	Targets []Target
}

// A Target is one line of the table: StartSector and Sectors in 512-byte
// sectors, then the target type and its areas.
type Target struct {
	StartSector, Sectors uint64
	// Type is "linear" for a one-stripe segment and "striped" otherwise,
	// as lvm2 loads them with its default activation/use_linear_target=1.
	Type string
	// ChunkSectors is the stripe size of a striped target, 0 for linear.
	ChunkSectors uint64
	// Areas are the devices in table order, one per stripe.
	Areas []TargetArea
}

// A TargetArea is a range on one physical volume.
type TargetArea struct {
	PVUUID        string // printed form, as in PV.UUID
	OffsetSectors uint64 // pe_start + start extent × extent size
}

// Plan builds the activation plan for the logical volume lvName. It
// returns an error matching ErrNotFound when there is no such LV,
// ErrRefused for anything but a visible, unlocked linear or striped LV of
// a local, unexported VG (see ErrRefused), ErrMissingPV when a PV it maps
// is absent or marked MISSING, and ErrInconsistent when its extents run
// past the end of a scanned device.
//
// Plan is explicit activation (lvchange -ay): it ignores NOAUTOACTIVATE,
// which only autoactivation (-aay) honours; a caller that autoactivates
// checks FlagNoAutoActivate on the VG and the LV itself.
func (vg *VG) Plan(lvName string, opts PlanOptions) (*Plan, error) {
	var lv *LV
	for _, l := range vg.LVs {
		if l.Name == lvName {
			lv = l
			break
		}
	}
	if lv == nil {
		return nil, &isError{target: ErrNotFound, msg: "lvm: volume group " + vg.Name + " has no logical volume " + strconv.Quote(lvName)}
	}
	name := vg.Name + "/" + lv.Name
	refuse := func(reason string) error {
		return &isError{target: ErrRefused, msg: "lvm: refusing " + name + ": " + reason}
	}
	if reason := vg.refusal(opts); reason != "" {
		return nil, refuse(reason)
	}
	switch f := lv.Flags; {
	case f&FlagVisible == 0:
		return nil, refuse("hidden (internal) logical volume")
	case f&(FlagLocked|FlagPVMove) != 0 || strings.HasPrefix(lv.Name, "pvmove"):
		return nil, refuse("pvmove in progress")
	case lv.origin:
		return nil, refuse("origin of a snapshot (lvm2 activates it as snapshot-origin)")
	case f&FlagActivationSkip != 0 && !opts.IgnoreActivationSkip:
		return nil, refuse("activation skip flag set (lvchange -K would ignore it)")
	case strings.Contains(lv.Name, "_mimagetmp_"):
		return nil, refuse("temporary mirror layer")
	case len(lv.Segments) == 0:
		return nil, refuse("no segments")
	}
	members := make(map[string]*Member, len(vg.Members))
	for _, m := range vg.Members {
		members[m.UUID] = m
	}
	var missing []string
	for i, seg := range lv.Segments {
		if seg.Type != "striped" && seg.Type != "linear" {
			return nil, refuse("segment " + strconv.Itoa(i+1) + " has type " + strconv.Quote(seg.Type) + "; only linear and striped are supported")
		}
		if len(seg.Stripes) == 0 {
			return nil, refuse("segment " + strconv.Itoa(i+1) + " has no areas")
		}
		for _, st := range seg.Stripes {
			if st.LV != "" {
				return nil, refuse("segment " + strconv.Itoa(i+1) + " is stacked on logical volume " + strconv.Quote(st.LV))
			}
			m := members[st.PVUUID]
			if (m == nil || !m.Present || m.dev == nil || m.Flags&FlagMissing != 0) && !slices.Contains(missing, st.PVUUID) {
				missing = append(missing, st.PVUUID)
			}
		}
	}
	if missing != nil {
		for i, id := range missing {
			if m := members[id]; m != nil && m.DeviceHint != "" {
				missing[i] += " (last seen as " + m.DeviceHint + ")"
			}
		}
		return nil, &isError{target: ErrMissingPV, msg: "lvm: cannot activate " + name + ": missing PV " + strings.Join(missing, ", ")}
	}
	p := &Plan{
		VG:       vg.Name,
		LV:       lv.Name,
		Name:     dmName(vg.Name, lv.Name),
		UUID:     "LVM-" + rawID(vg.UUID) + rawID(lv.UUID),
		ReadOnly: opts.ReadOnly || lv.Flags&FlagWrite == 0,
		Targets:  make([]Target, 0, len(lv.Segments)),
	}
	ext := vg.ExtentSectors
	for i, seg := range lv.Segments {
		// Extent sizes and counts are below 2^32, so these products fit.
		t := Target{StartSector: seg.StartExtent * ext, Sectors: seg.ExtentCount * ext, Type: "linear"}
		n := uint64(len(seg.Stripes))
		width := t.Sectors / n
		if n > 1 {
			// dm-stripe refuses a chunk size that does not divide the
			// stripe width; lvm2 never writes one.
			t.Type, t.ChunkSectors = "striped", seg.StripeSizeSectors
			if t.ChunkSectors == 0 || width%t.ChunkSectors != 0 {
				return nil, refuse("segment " + strconv.Itoa(i+1) + ": stripe size " + strconv.FormatUint(t.ChunkSectors, 10) + " sectors does not divide the stripe width of " + strconv.FormatUint(width, 10) + " sectors")
			}
		}
		for _, st := range seg.Stripes {
			m := members[st.PVUUID]
			hi, lo := bits.Mul64(st.StartExtent, ext)
			off, carry := bits.Add64(m.PEStartSectors, lo, 0)
			end, carry2 := bits.Add64(off, width, 0)
			devSectors := uint64(m.dev.SizeBytes) / sectorSize
			if hi != 0 || carry != 0 || carry2 != 0 || end > devSectors {
				return nil, &isError{target: ErrInconsistent, msg: "lvm: " + name + ": segment " + strconv.Itoa(i+1) + " ends past the end of PV " + m.UUID + " (" + strconv.FormatUint(devSectors, 10) + " sectors)"}
			}
			if m.PEStartSectors == 0 {
				return nil, refuse("PV " + m.UUID + " has pe_start 0 in the metadata")
			}
			t.Areas = append(t.Areas, TargetArea{PVUUID: m.UUID, OffsetSectors: off})
		}
		p.Targets = append(p.Targets, t)
		p.Sectors += t.Sectors
	}
	return p, nil
}

// refusal returns why no LV of vg may be activated, or "".
func (vg *VG) refusal(opts PlanOptions) string {
	switch f := vg.Flags; {
	case f&FlagExported != 0:
		return "volume group is exported"
	case f&FlagClustered != 0:
		return "volume group is clustered"
	case f&FlagShared != 0 || vg.LockType != "" && vg.LockType != "none":
		return "volume group is shared (lock type " + strconv.Quote(vg.LockType) + ") and needs lvmlockd"
	case vg.SystemID != "" && vg.SystemID != opts.SystemID:
		return "volume group has system ID " + strconv.Quote(vg.SystemID) + ", not " + strconv.Quote(opts.SystemID)
	case f&FlagPartial != 0:
		return "volume group metadata is marked PARTIAL"
	case f&FlagPVMove != 0:
		return "pvmove in progress in the volume group"
	}
	return ""
}

// Params returns the target's parameters as the kernel takes them, with
// each PV named by devs[PVUUID] (normally "MAJOR:MINOR"): for linear
// "7:0 2048", for striped "2 128 7:0 83968 7:1 43008".
func (t *Target) Params(devs map[string]string) (string, error) {
	var b strings.Builder
	if t.Type == "striped" {
		b.WriteString(strconv.Itoa(len(t.Areas)))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(t.ChunkSectors, 10))
	}
	for _, a := range t.Areas {
		dev := devs[a.PVUUID]
		if dev == "" || strings.ContainsAny(dev, " \t\n") {
			return "", &isError{target: ErrMissingPV, msg: "lvm: no device given for PV " + a.PVUUID}
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(dev)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(a.OffsetSectors, 10))
	}
	return b.String(), nil
}

// Table returns the table lines as dmsetup table prints them:
// "<start> <sectors> <type> <params>".
func (p *Plan) Table(devs map[string]string) ([]string, error) {
	lines := make([]string, 0, len(p.Targets))
	for i := range p.Targets {
		t := &p.Targets[i]
		params, err := t.Params(devs)
		if err != nil {
			return nil, err
		}
		lines = append(lines, strconv.FormatUint(t.StartSector, 10)+" "+strconv.FormatUint(t.Sectors, 10)+" "+t.Type+" "+params)
	}
	return lines, nil
}

// dmName is libdm's dm_build_dm_name without a layer.
func dmName(vg, lv string) string {
	return strings.ReplaceAll(vg, "-", "--") + "-" + strings.ReplaceAll(lv, "-", "--")
}
