package lvm

import (
	"sort"
	"strconv"
	"strings"
)

// Assemble groups the metadata copies found on the scanned PVs by volume
// group UUID, picks the current copy of each VG and resolves its members
// against the scanned PVs (Member.Present).
//
// The copy with the highest seqno wins, as in lvm2's vg_read; older copies
// are ignored. Two copies with the highest seqno but different text make
// the VG inconsistent (lvm2 keeps whichever it read first; this package
// refuses). A VG is also left out when another VG has the same name, or
// when one of its members' UUIDs was found on more than one device.
//
// Assemble returns the VGs it could assemble, sorted by name, and an error
// matching ErrInconsistent that lists the VGs it left out (nil when there
// were none). A VG whose members are not all present is still returned:
// Plan refuses only the LVs that need a missing member.
func Assemble(pvs []*PV) ([]*VG, error) {
	byUUID := map[string]*PV{}
	dup := map[string]bool{}
	type group struct {
		best   *Metadata
		copies []*Metadata
	}
	groups := map[string]*group{}
	var order []string
	for _, pv := range pvs {
		if pv == nil {
			continue
		}
		if byUUID[pv.UUID] != nil {
			dup[pv.UUID] = true
		}
		byUUID[pv.UUID] = pv
		for _, md := range pv.Metadata {
			if md == nil || md.VG == nil {
				continue
			}
			g := groups[md.VG.UUID]
			if g == nil {
				g = &group{}
				groups[md.VG.UUID] = g
				order = append(order, md.VG.UUID)
			}
			g.copies = append(g.copies, md)
			if g.best == nil || md.VG.Seqno > g.best.VG.Seqno {
				g.best = md
			}
		}
	}
	var errs listError
	byName := map[string][]*VG{}
	for _, id := range order {
		g := groups[id]
		best := g.best.VG
		if md := differentCopy(g.best, g.copies); md != nil {
			errs = append(errs, &isError{target: ErrInconsistent,
				msg: "lvm: VG " + best.Name + " (" + best.UUID + "): two metadata copies with seqno " + strconv.FormatUint(uint64(best.Seqno), 10) + " differ; refusing to choose"})
			continue
		}
		vg := *best
		vg.Members = make([]*Member, len(best.Members))
		var dups []string
		for i, m := range best.Members {
			mc := *m
			if pv := byUUID[m.UUID]; pv != nil {
				if dup[m.UUID] {
					dups = append(dups, m.UUID)
				}
				mc.Present, mc.dev = true, pv
			}
			vg.Members[i] = &mc
		}
		if dups != nil {
			errs = append(errs, &isError{target: ErrInconsistent,
				msg: "lvm: VG " + vg.Name + ": PV " + strings.Join(dups, ", ") + " found on more than one device"})
			continue
		}
		byName[vg.Name] = append(byName[vg.Name], &vg)
	}
	var out []*VG
	for name, vgs := range byName {
		if len(vgs) > 1 {
			ids := make([]string, len(vgs))
			for i, vg := range vgs {
				ids[i] = vg.UUID
			}
			sort.Strings(ids)
			errs = append(errs, &isError{target: ErrInconsistent,
				msg: "lvm: " + strconv.Itoa(len(vgs)) + " volume groups are named " + strconv.Quote(name) + " (" + strings.Join(ids, ", ") + "); refusing to choose"})
			continue
		}
		out = append(out, vgs[0])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(errs) == 0 {
		return out, nil
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return out, errs
}

// differentCopy returns a copy with the same seqno as best but other text.
func differentCopy(best *Metadata, copies []*Metadata) *Metadata {
	for _, md := range copies {
		if md.VG.Seqno == best.VG.Seqno && (md.Size != best.Size || md.Digest != best.Digest) {
			return md
		}
	}
	return nil
}
