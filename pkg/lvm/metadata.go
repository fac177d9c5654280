package lvm

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Flags is a set of status flags of a volume group, a physical volume or
// a logical volume, merged from the metadata's "status" list and its
// "flags" (compatibility) list. Only the flags this package acts on, or
// that callers may want to log, have a bit; lvm2's other known flags
// (NOTSYNCED, REBUILD, WRITEMOSTLY, the RESHAPE family, ERROR_WHEN_FULL,
// CACHE_VOL, ...) are accepted and dropped. An unknown name in a "status"
// list is an error, as it is for lvm2; unknown names in "flags" lists are
// ignored, as lvm2 does.
type Flags uint32

// The flags, with the metadata name each one stands for. WRITE_LOCKED
// (written instead of WRITE when a VG has a system ID or a lock type) is
// read as FlagWrite, as lvm2 reads it.
const (
	FlagRead           Flags = 1 << iota // READ
	FlagWrite                            // WRITE or WRITE_LOCKED
	FlagVisible                          // VISIBLE (LV)
	FlagResizeable                       // RESIZEABLE (VG)
	FlagExported                         // EXPORTED (VG, PV)
	FlagPartial                          // PARTIAL (VG; only in old backups)
	FlagClustered                        // CLUSTERED (VG)
	FlagShared                           // SHARED (VG)
	FlagPVMove                           // PVMOVE (VG, LV)
	FlagLocked                           // LOCKED (LV)
	FlagAllocatable                      // ALLOCATABLE (PV)
	FlagMissing                          // MISSING (PV)
	FlagFixedMinor                       // FIXED_MINOR (LV)
	FlagActivationSkip                   // ACTIVATION_SKIP (LV)
	FlagNoAutoActivate                   // NOAUTOACTIVATE (VG, LV)
)

var flagNames = [...]string{"READ", "WRITE", "VISIBLE", "RESIZEABLE", "EXPORTED", "PARTIAL",
	"CLUSTERED", "SHARED", "PVMOVE", "LOCKED", "ALLOCATABLE", "MISSING", "FIXED_MINOR",
	"ACTIVATION_SKIP", "NOAUTOACTIVATE"}

// String returns the flag names joined by commas, e.g. "READ,WRITE,VISIBLE".
func (f Flags) String() string {
	var names []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// A VG is a volume group as one copy of its metadata describes it.
type VG struct {
	Name  string // the VG name
	UUID  string // printed form, 6-4-4-4-4-4-6
	Seqno uint32 // commit counter; the highest copy wins (see Assemble)
	Flags Flags
	// ExtentSectors is the extent size in 512-byte sectors (extent_size).
	ExtentSectors uint64
	// SystemID and LockType are "" when the metadata has none.
	SystemID, LockType string
	Members            []*Member // the physical_volumes section, in order
	LVs                []*LV     // the logical_volumes section, in order
}

// A Member is a physical volume as the VG metadata lists it (a pvN
// section of physical_volumes).
type Member struct {
	Name           string // the section key, e.g. "pv0"; only meaningful inside this copy
	UUID           string // printed form
	DeviceHint     string // "device": the last known path, only a hint
	DevSizeSectors uint64 // "dev_size", 0 when absent
	PEStartSectors uint64 // "pe_start": where extent 0 starts on the device
	PECount        uint64 // "pe_count"
	Flags          Flags
	// Present is set by Assemble when a scanned PV has this UUID.
	Present bool

	dev *PV // the scanned PV, set by Assemble
}

// An LV is a logical volume. Its segments are sorted and, as lvm2 does
// when it reads metadata, neighbouring segments that continue each other
// on the same physical volumes are merged (lib/metadata/merge.c), so they
// match what lvs --segments reports and what activation loads.
type LV struct {
	Name        string // the LV name
	UUID        string // printed form
	Flags       Flags
	ExtentCount uint64 // the sum of the segments' extent counts
	Segments    []Segment

	origin bool // a snapshot segment names this LV as its origin
}

// A Segment maps ExtentCount logical extents, starting at StartExtent, to
// its areas. For the "striped" and "linear" types (lvm2 writes linear
// allocations as "striped" with one stripe) Stripes lists the areas, each
// covering ExtentCount/len(Stripes) extents; for any other type Stripes is
// nil and the segment can only be refused.
type Segment struct {
	StartExtent       uint64
	ExtentCount       uint64
	Type              string // segment type as written, e.g. "striped", "thin", "raid1"
	StripeSizeSectors uint64 // stripe_size; 0 with a single stripe
	Stripes           []Stripe

	tags   []string
	origin string // the origin of a "snapshot" segment
}

// A Stripe is one area of a striped segment: either extents of a physical
// volume (PVUUID set) or, for a stacked segment, extents of another
// logical volume (LV set).
type Stripe struct {
	PVUUID      string // printed form
	LV          string
	StartExtent uint64 // first extent on the PV or LV
}

const (
	contentsValue = "Text Format Volume Group"
	nameMax       = 127 // NAME_LEN - 1
)

// flagName maps a metadata flag name to its bit. where says in which list
// lvm2 accepts it: status (1), flags (2) or both (3).
type flagName struct {
	name  string
	bit   Flags
	where uint8
}

const (
	inStatus = 1
	inFlags  = 2
)

// The tables of lib/format_text/flags.c.
var (
	vgFlagNames = []flagName{
		{"EXPORTED", FlagExported, inStatus}, {"RESIZEABLE", FlagResizeable, inStatus},
		{"PVMOVE", FlagPVMove, inStatus}, {"READ", FlagRead, inStatus}, {"WRITE", FlagWrite, inStatus},
		{"WRITE_LOCKED", FlagWrite, inFlags}, {"NOAUTOACTIVATE", FlagNoAutoActivate, inFlags},
		{"CLUSTERED", FlagClustered, inStatus}, {"SHARED", FlagShared, inStatus},
		{"PARTIAL", FlagPartial, inStatus}, // read_flags accepts it for old backups
	}
	pvFlagNames = []flagName{
		{"ALLOCATABLE", FlagAllocatable, inStatus}, {"EXPORTED", FlagExported, inStatus},
		{"MISSING", FlagMissing, inStatus | inFlags},
	}
	lvFlagNames = []flagName{
		{"READ", FlagRead, inStatus}, {"WRITE", FlagWrite, inStatus},
		{"WRITE_LOCKED", FlagWrite, inFlags}, {"FIXED_MINOR", FlagFixedMinor, inStatus},
		{"VISIBLE", FlagVisible, inStatus}, {"PVMOVE", FlagPVMove, inStatus},
		{"LOCKED", FlagLocked, inStatus}, {"NOTSYNCED", 0, inStatus}, {"REBUILD", 0, inStatus},
		{"RESHAPE", 0, inStatus}, {"RESHAPE_DATA_OFFSET", 0, inStatus},
		{"RESHAPE_DELTA_DISKS_PLUS", 0, inStatus}, {"RESHAPE_DELTA_DISKS_MINUS", 0, inStatus},
		{"REMOVE_AFTER_RESHAPE", 0, inStatus}, {"WRITEMOSTLY", 0, inStatus},
		{"ACTIVATION_SKIP", FlagActivationSkip, inFlags}, {"NOAUTOACTIVATE", FlagNoAutoActivate, inFlags},
		{"ERROR_WHEN_FULL", 0, inFlags}, {"METADATA_FORMAT", 0, inStatus},
		{"CROP_METADATA", 0, inStatus}, {"CACHE_VOL", 0, inStatus | inFlags},
		{"CACHE_USES_CACHEVOL", 0, inStatus},
	}
)

// sect is a section being read, with its path for error messages.
type sect struct {
	n    *cnode
	path string
}

func (s sect) errf(n *cnode, field string, value any, msg string) error {
	if n == nil {
		n = s.n
	}
	return &FormatError{Offset: int64(n.off), Line: max(n.line, 1), Field: field, Value: value, Msg: s.path + ": " + msg}
}

func (s sect) get(key string) *cnode {
	for _, c := range s.n.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

func (s sect) missing(key string) error { return s.errf(nil, key, nil, "missing "+key) }

func kindName(k kind) string {
	return [...]string{"a section", "an integer", "a string", "a list"}[k]
}

// str reads a string value; ok is false when the key is absent.
func (s sect) str(key string, required bool) (v string, ok bool, err error) {
	n := s.get(key)
	if n == nil {
		if required {
			return "", false, s.missing(key)
		}
		return "", false, nil
	}
	if n.kind != kindString {
		return "", false, s.errf(n, key, nil, key+" must be a string, not "+kindName(n.kind))
	}
	return n.s, true, nil
}

// uint reads an integer in 0..limit.
func (s sect) uint(key string, required bool, limit uint64) (v uint64, ok bool, err error) {
	n := s.get(key)
	if n == nil {
		if required {
			return 0, false, s.missing(key)
		}
		return 0, false, nil
	}
	if n.kind != kindInt {
		return 0, false, s.errf(n, key, nil, key+" must be an integer, not "+kindName(n.kind))
	}
	if n.i < 0 || uint64(n.i) > limit {
		return 0, false, s.errf(n, key, n.i, key+" out of range 0.."+strconv.FormatUint(limit, 10))
	}
	return uint64(n.i), true, nil
}

// strList reads a list of strings; a single string counts as a list of
// one, as dm_config_get_list allows.
func (s sect) strList(key string, required bool) ([]string, error) {
	n := s.get(key)
	if n == nil {
		if required {
			return nil, s.missing(key)
		}
		return nil, nil
	}
	switch n.kind {
	case kindString:
		return []string{n.s}, nil
	case kindList:
		out := make([]string, 0, len(n.list))
		for _, v := range n.list {
			if v.kind != kindString {
				return nil, s.errf(n, key, nil, key+" must hold strings only")
			}
			out = append(out, v.s)
		}
		return out, nil
	}
	return nil, s.errf(n, key, nil, key+" must be a list of strings, not "+kindName(n.kind))
}

func (s sect) section(key string, required bool) (sect, bool, error) {
	n := s.get(key)
	if n == nil {
		if required {
			return sect{}, false, s.missing(key)
		}
		return sect{}, false, nil
	}
	if n.kind != kindSection {
		return sect{}, false, s.errf(n, key, nil, key+" must be a section, not "+kindName(n.kind))
	}
	return sect{n: n, path: s.path + "/" + key}, true, nil
}

func (s sect) id(key string) (string, error) {
	v, _, err := s.str(key, true)
	if err != nil {
		return "", err
	}
	raw, ok := parseID(v)
	if !ok {
		return "", s.errf(s.get(key), key, v, "invalid UUID (want 32 characters from 0-9, a-z, A-Z, '!', '#', and dashes)")
	}
	return formatID(raw), nil
}

// flags reads the "status" list (required) and the "flags" list.
func (s sect) flags(table []flagName) (Flags, error) {
	var f Flags
	for _, l := range [...]struct {
		key   string
		where uint8
	}{{"status", inStatus}, {"flags", inFlags}} {
		names, err := s.strList(l.key, l.where == inStatus)
		if err != nil {
			return 0, err
		}
	next:
		for _, name := range names {
			for _, fn := range table {
				if fn.where&l.where != 0 && fn.name == name {
					f |= fn.bit
					continue next
				}
			}
			if l.where == inStatus {
				return 0, s.errf(s.get(l.key), l.key, name, "unknown status flag")
			}
		}
	}
	return f, nil
}

// validName reports whether s is a valid VG or LV name
// (lib/misc/lvm-string.c, _validate_name).
func validName(s string) bool {
	if s == "" || len(s) > nameMax || s[0] == '-' || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

// parseVG parses one copy of the metadata text into a VG, with the checks
// of lvm2's lib/format_text/import_vsn1.c. Members are not resolved.
func parseVG(text []byte) (*VG, error) {
	root, err := parseConfig(text)
	if err != nil {
		return nil, err
	}
	top := sect{n: root, path: "top level"}
	if v, _, err := top.str("contents", true); err != nil {
		return nil, err
	} else if v != contentsValue {
		return nil, top.errf(top.get("contents"), "contents", v, "unrecognised contents (want "+strconv.Quote(contentsValue)+")")
	}
	if v, _, err := top.uint("version", true, math.MaxUint32); err != nil {
		return nil, err
	} else if v != 1 {
		return nil, top.errf(top.get("version"), "version", v, "unsupported metadata format version (want 1)")
	}
	var vgn *cnode
	for _, c := range root.children {
		if c.kind != kindSection {
			continue
		}
		if vgn != nil {
			return nil, top.errf(c, c.key, nil, "second volume group section "+strconv.Quote(c.key)+" (first "+strconv.Quote(vgn.key)+")")
		}
		vgn = c
	}
	if vgn == nil {
		return nil, top.errf(nil, "", nil, "no volume group section")
	}
	s := sect{n: vgn, path: vgn.key}
	if !validName(vgn.key) {
		return nil, s.errf(vgn, "", vgn.key, "invalid volume group name")
	}
	vg := &VG{Name: vgn.key}
	if vg.UUID, err = s.id("id"); err != nil {
		return nil, err
	}
	seqno, _, err := s.uint("seqno", true, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	vg.Seqno = uint32(seqno)
	if f, ok, err := s.str("format", false); err != nil {
		return nil, err
	} else if ok && f != "lvm2" {
		return nil, s.errf(s.get("format"), "format", f, "unrecognised format (want \"lvm2\")")
	}
	if vg.Flags, err = s.flags(vgFlagNames); err != nil {
		return nil, err
	}
	if vg.ExtentSectors, _, err = s.uint("extent_size", true, math.MaxUint32); err != nil {
		return nil, err
	}
	if vg.ExtentSectors == 0 {
		return nil, s.errf(s.get("extent_size"), "extent_size", uint64(0), "extent size must not be 0")
	}
	for _, k := range [...]string{"max_lv", "max_pv"} {
		if _, _, err := s.uint(k, true, math.MaxUint32); err != nil {
			return nil, err
		}
	}
	if vg.SystemID, _, err = s.str("system_id", false); err != nil {
		return nil, err
	}
	if vg.LockType, _, err = s.str("lock_type", false); err != nil {
		return nil, err
	}
	pvs, _, err := s.section("physical_volumes", true)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*Member, len(pvs.n.children))
	byUUID := make(map[string]bool, len(pvs.n.children))
	for _, c := range pvs.n.children {
		m, err := parseMember(pvs, c)
		if err != nil {
			return nil, err
		}
		if byUUID[m.UUID] {
			return nil, pvs.errf(c, "id", m.UUID, "two physical volumes with the same UUID")
		}
		byUUID[m.UUID] = true
		byKey[m.Name] = m
		vg.Members = append(vg.Members, m)
	}
	lvs, ok, err := s.section("logical_volumes", false)
	if err != nil || !ok {
		return vg, err
	}
	// LV names first: a stripe may name an LV that comes later.
	lvNames := make(map[string]bool, len(lvs.n.children))
	for _, c := range lvs.n.children {
		if c.kind != kindSection {
			return nil, lvs.errf(c, c.key, nil, c.key+" must be a section, not "+kindName(c.kind))
		}
		if !validName(c.key) {
			return nil, lvs.errf(c, "", c.key, "invalid logical volume name")
		}
		lvNames[c.key] = true
	}
	lvUUIDs := make(map[string]bool, len(lvs.n.children))
	origins := map[string]bool{}
	for _, c := range lvs.n.children {
		lv, err := parseLV(vg, lvs, c, byKey, lvNames, origins)
		if err != nil {
			return nil, err
		}
		if lvUUIDs[lv.UUID] {
			return nil, lvs.errf(c, "id", lv.UUID, "two logical volumes with the same UUID")
		}
		lvUUIDs[lv.UUID] = true
		vg.LVs = append(vg.LVs, lv)
	}
	for _, lv := range vg.LVs {
		lv.origin = origins[lv.Name]
	}
	if err := checkOverlaps(vg, lvs); err != nil {
		return nil, err
	}
	return vg, nil
}

func parseMember(pvs sect, c *cnode) (*Member, error) {
	if c.kind != kindSection {
		return nil, pvs.errf(c, c.key, nil, c.key+" must be a section, not "+kindName(c.kind))
	}
	s := sect{n: c, path: pvs.path + "/" + c.key}
	m := &Member{Name: c.key}
	var err error
	if m.UUID, err = s.id("id"); err != nil {
		return nil, err
	}
	if m.DeviceHint, _, err = s.str("device", false); err != nil {
		return nil, err
	}
	if m.Flags, err = s.flags(pvFlagNames); err != nil {
		return nil, err
	}
	if m.DevSizeSectors, _, err = s.uint("dev_size", false, math.MaxInt64/sectorSize); err != nil {
		return nil, err
	}
	if m.PEStartSectors, _, err = s.uint("pe_start", true, math.MaxInt64/sectorSize); err != nil {
		return nil, err
	}
	if m.PECount, _, err = s.uint("pe_count", true, math.MaxUint32); err != nil {
		return nil, err
	}
	return m, nil
}

func parseLV(vg *VG, lvs sect, c *cnode, pvs map[string]*Member, lvNames, origins map[string]bool) (*LV, error) {
	s := sect{n: c, path: lvs.path + "/" + c.key}
	lv := &LV{Name: c.key}
	var err error
	if lv.UUID, err = s.id("id"); err != nil {
		return nil, err
	}
	if lv.Flags, err = s.flags(lvFlagNames); err != nil {
		return nil, err
	}
	count, _, err := s.uint("segment_count", true, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	// Every subsection of an LV is a segment (_read_segments).
	var segs []Segment
	for _, sc := range c.children {
		if sc.kind != kindSection {
			continue
		}
		seg, err := parseSegment(s, sc, pvs, lvNames, origins)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	if uint64(len(segs)) != count {
		return nil, s.errf(s.get("segment_count"), "segment_count", count, "segment_count differs from the "+strconv.Itoa(len(segs))+" segment sections")
	}
	// Sort by start extent (as _insert_segment does), then check for gaps
	// and overlaps (check_lv_segments_incomplete_vg).
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].StartExtent < segs[j].StartExtent })
	var le uint64
	for _, seg := range segs {
		if seg.StartExtent != le {
			return nil, s.errf(nil, "start_extent", seg.StartExtent, "segments leave a gap or overlap: a segment should start at extent "+strconv.FormatUint(le, 10))
		}
		le += seg.ExtentCount
	}
	if le > math.MaxUint32 {
		return nil, s.errf(nil, "extent_count", le, "more than 2^32-1 extents")
	}
	lv.ExtentCount = le
	// lv_merge_segments, skipped for LVs that pvmove is working on.
	if lv.Flags&(FlagLocked|FlagPVMove) == 0 {
		segs = mergeSegments(segs)
	}
	lv.Segments = segs
	return lv, nil
}

func parseSegment(lvs sect, c *cnode, pvs map[string]*Member, lvNames, origins map[string]bool) (Segment, error) {
	s := sect{n: c, path: lvs.path + "/" + c.key}
	var seg Segment
	var err error
	if seg.StartExtent, _, err = s.uint("start_extent", true, math.MaxUint32); err != nil {
		return seg, err
	}
	if seg.ExtentCount, _, err = s.uint("extent_count", true, math.MaxUint32); err != nil {
		return seg, err
	}
	if seg.ExtentCount == 0 {
		return seg, s.errf(s.get("extent_count"), "extent_count", uint64(0), "empty segment")
	}
	if seg.Type, _, err = s.str("type", true); err != nil {
		return seg, err
	}
	if seg.tags, err = s.strList("tags", false); err != nil {
		return seg, err
	}
	switch seg.Type {
	case "striped", "linear":
	case "snapshot":
		// The origin of a COW snapshot is activated as snapshot-origin,
		// so Plan must know about it.
		o, _, err := s.str("origin", true)
		if err != nil {
			return seg, err
		}
		if !lvNames[o] {
			return seg, s.errf(s.get("origin"), "origin", o, "snapshot origin is not a logical volume of this VG")
		}
		origins[o] = true
		seg.origin = o
		return seg, nil
	default:
		return seg, nil
	}
	n, _, err := s.uint("stripe_count", true, math.MaxUint32)
	if err != nil {
		return seg, err
	}
	if n == 0 {
		return seg, s.errf(s.get("stripe_count"), "stripe_count", uint64(0), "zero stripes")
	}
	if n > 1 {
		// lvm2 reads stripe_size only for more than one stripe.
		if seg.StripeSizeSectors, _, err = s.uint("stripe_size", true, math.MaxUint32); err != nil {
			return seg, err
		}
	}
	if seg.ExtentCount%n != 0 {
		return seg, s.errf(s.get("extent_count"), "extent_count", seg.ExtentCount, "extent count is not a multiple of the "+strconv.FormatUint(n, 10)+" stripes")
	}
	ln := s.get("stripes")
	if ln == nil {
		return seg, s.missing("stripes")
	}
	if ln.kind != kindList || uint64(len(ln.list)) != 2*n {
		return seg, s.errf(ln, "stripes", nil, "stripes must list "+strconv.FormatUint(n, 10)+" pairs of volume name and start extent")
	}
	areaLen := seg.ExtentCount / n
	seg.Stripes = make([]Stripe, 0, n)
	for i := 0; i < len(ln.list); i += 2 {
		name, start := ln.list[i], ln.list[i+1]
		if name.kind != kindString || start.kind != kindInt || start.i < 0 || start.i > math.MaxUint32 {
			return seg, s.errf(ln, "stripes", nil, "stripe "+strconv.Itoa(i/2)+" is not a volume name and a start extent in 0..4294967295")
		}
		st := Stripe{StartExtent: uint64(start.i)}
		if m := pvs[name.s]; m != nil {
			if st.StartExtent+areaLen > m.PECount {
				return seg, s.errf(ln, "stripes", st.StartExtent, "stripe "+strconv.Itoa(i/2)+" runs past the "+strconv.FormatUint(m.PECount, 10)+" extents of "+m.Name)
			}
			st.PVUUID = m.UUID
		} else if lvNames[name.s] {
			st.LV = name.s
		} else {
			return seg, s.errf(ln, "stripes", name.s, "stripe "+strconv.Itoa(i/2)+" names no physical or logical volume")
		}
		seg.Stripes = append(seg.Stripes, st)
	}
	return seg, nil
}

// mergeSegments merges each segment into the one before it when lvm2's
// _striped_merge_segments would: the same segment type (striped and
// linear are different types), stripe count and stripe size, every area
// on the same PV and continuing the previous area, and equal tags.
func mergeSegments(segs []Segment) []Segment {
	out := segs[:0:0]
	for _, seg := range segs {
		if len(out) > 0 && canMerge(&out[len(out)-1], &seg) {
			out[len(out)-1].ExtentCount += seg.ExtentCount
			continue
		}
		out = append(out, seg)
	}
	return out
}

func canMerge(a, b *Segment) bool {
	if len(a.Stripes) == 0 || a.Type != b.Type || len(a.Stripes) != len(b.Stripes) || a.StripeSizeSectors != b.StripeSizeSectors {
		return false
	}
	width := a.ExtentCount / uint64(len(a.Stripes))
	for i, sa := range a.Stripes {
		sb := b.Stripes[i]
		if sa.PVUUID == "" || sa.PVUUID != sb.PVUUID || sa.StartExtent+width != sb.StartExtent {
			return false
		}
	}
	return slices.Equal(a.tags, b.tags)
}

// checkOverlaps rejects metadata in which two areas use the same extent
// of a physical volume.
func checkOverlaps(vg *VG, lvs sect) error {
	type use struct {
		pv         string
		start, end uint64
		lv         string
	}
	var uses []use
	for _, lv := range vg.LVs {
		for _, seg := range lv.Segments {
			if len(seg.Stripes) == 0 {
				continue
			}
			w := seg.ExtentCount / uint64(len(seg.Stripes))
			for _, st := range seg.Stripes {
				if st.PVUUID != "" {
					uses = append(uses, use{st.PVUUID, st.StartExtent, st.StartExtent + w, lv.Name})
				}
			}
		}
	}
	sort.Slice(uses, func(i, j int) bool {
		a, b := uses[i], uses[j]
		return a.pv < b.pv || a.pv == b.pv && a.start < b.start
	})
	for i := 1; i < len(uses); i++ {
		a, b := uses[i-1], uses[i]
		if a.pv == b.pv && b.start < a.end {
			return lvs.errf(nil, "stripes", nil, "logical volumes "+strconv.Quote(a.lv)+" and "+strconv.Quote(b.lv)+" both use extent "+strconv.FormatUint(b.start, 10)+" of PV "+a.pv)
		}
	}
	return nil
}
