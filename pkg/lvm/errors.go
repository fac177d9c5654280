package lvm

import (
	"errors"
	"strconv"
	"strings"

	"github.com/verinit/verinit/internal/formaterr"
)

// ErrNotPV is matched (with errors.Is) by the *FormatError ScanPV returns
// when none of the first four sectors holds a valid LVM2 label: no
// "LABELONE" signature, or only labels with a wrong sector number,
// checksum or type (lvm2 ignores those too), or a device smaller than one
// sector.
var ErrNotPV = errors.New("lvm: not an LVM2 physical volume")

// ErrNotFound is matched by the error Plan returns when the volume group
// has no logical volume of that name.
var ErrNotFound = errors.New("lvm: logical volume not found")

// ErrMissingPV is matched by the error Plan returns when the logical volume
// has extents on a physical volume that was not among the scanned devices,
// or that the metadata marks MISSING. Unlike ErrRefused, this can change
// when more devices appear.
var ErrMissingPV = errors.New("lvm: physical volume missing")

// ErrRefused is matched by the error Plan returns for a volume group or
// logical volume that this package will not activate: a segment type other
// than linear or striped, a stacked segment, a hidden, locked or pvmove
// volume, a snapshot origin, an exported, clustered, shared, partial or
// foreign (system ID) volume group, or an activation-skip volume. The
// error text gives the reason.
var ErrRefused = errors.New("lvm: refused")

// ErrInconsistent is matched by the errors of Assemble and Plan for
// metadata that disagrees with itself or with the devices: two copies
// with the same sequence number but different text, two volume groups
// with the same name, a physical volume UUID seen on more than one
// device, or extents past the end of a device.
var ErrInconsistent = errors.New("lvm: inconsistent metadata")

// A FormatError reports invalid content: an on-disk field that breaks a
// rule of the LVM2 format or one of this package's bounds, or a syntax or
// semantic error in the metadata text. Its Error text is one line, e.g.
//
//	lvm: mda 1 header: bad checksum at byte 0x1000: got 0x1234, want 0x5678
//	lvm: metadata line 17: vg/logical_volumes/root: duplicate key "id" (first on line 15)
//
// For on-disk structures Offset counts from the start of the device and
// Line is 0. For the metadata text, Offset counts from the start of the
// text (which may wrap around the metadata area on disk) and Line is the
// 1-based line number.
type FormatError struct {
	Offset int64  // byte offset of the offending field or token
	Line   int    // line in the metadata text, or 0 for binary structures
	Field  string // on-disk field name as in lvm2's structs (e.g. "crc_xl"), or the metadata key
	Value  any    // the value found, or nil
	Msg    string // what is wrong, prefixed with the structure or section

	want any   // the value or bound expected, or nil
	err  error // sentinel matched by errors.Is, or nil
}

// Error returns a one-line description: what is wrong, where, and the
// value found compared with the one wanted.
func (e *FormatError) Error() string {
	return oneLine(formaterr.Text{
		Pkg: "lvm", Msg: e.Msg, Offset: e.Offset, Line: e.Line, LineOf: "metadata",
		Value: shown(e.Value), Want: shown(e.want),
		Hex: strings.HasPrefix(e.Field, "crc") || strings.HasPrefix(e.Field, "checksum"),
	}.String())
}

// Unwrap returns the sentinel this error stands for (ErrNotPV for a
// missing label), or nil.
func (e *FormatError) Unwrap() error { return e.err }

// shown is v as lvm's errors show it: strings and bytes quoted (they may
// be hostile metadata text), numbers as they are.
func shown(v any) any {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []byte:
		return strconv.Quote(string(v))
	}
	return v
}

// oneLine replaces line breaks, so that every error text is one line even
// when it quotes hostile input.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// wrapError adds context to an error while keeping it for errors.Is/As.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string {
	return oneLine(e.msg + ": " + strings.TrimPrefix(e.err.Error(), "lvm: "))
}

func (e *wrapError) Unwrap() error { return e.err }

// isError is an error with its own message that matches a sentinel.
type isError struct {
	msg    string
	target error
}

func (e *isError) Error() string        { return oneLine(e.msg) }
func (e *isError) Is(target error) bool { return target == e.target }

// listError joins several errors on one line; errors.Is and errors.As see
// each of them.
type listError []error

func (e listError) Error() string {
	var b strings.Builder
	for i, err := range e {
		s := err.Error()
		if i > 0 {
			b.WriteString("; ")
			s = strings.TrimPrefix(s, "lvm: ")
		}
		b.WriteString(s)
	}
	return oneLine(b.String())
}

func (e listError) Unwrap() []error { return e }
