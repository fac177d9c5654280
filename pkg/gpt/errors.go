package gpt

import (
	"errors"
	"strings"

	"github.com/verinit/verinit/internal/formaterr"
)

// ErrNoGPT is matched (with errors.Is) by the error Read returns when there is
// no GPT header signature at LBA 1 and no valid backup header either, or when
// the device is too small to hold a GPT.
var ErrNoGPT = errors.New("gpt: no GPT found")

// ErrAmbiguousSectorSize is matched (with errors.Is) by the error
// ProbeSectorSize returns when GPT headers are found at the offsets of more
// than one sector size (systemd refuses with ENOTUNIQ in the same case).
var ErrAmbiguousSectorSize = errors.New("gpt: GPT headers found for more than one sector size")

// A FormatError reports invalid content: a field whose value breaks a rule of
// the GPT format or of this package's hostile-input bounds. Its Error text
// names the table part, the rule and the absolute byte offset, e.g.
//
//	gpt: primary header: bad header CRC at byte 0x210: got 0x1234, want 0x5678
//
// Read falls back to the backup table only after a FormatError; I/O errors
// are returned as they are, wrapped with the operation and offset.
type FormatError struct {
	Offset int64  // byte offset of the offending field from the start of the device
	Field  string // on-disk field name as in the UEFI spec, e.g. "HeaderCRC32"
	Value  any    // the value found on disk, or nil
	Msg    string // what is wrong, prefixed with the part of the table, e.g. "primary header: bad header CRC"

	want any   // the value or bound that was expected, or nil
	err  error // sentinel this error matches with errors.Is, or nil
}

// Error returns a one-line description: what is wrong, where, and the value
// found compared with the one wanted.
func (e *FormatError) Error() string {
	return formaterr.Text{Pkg: "gpt", Msg: e.Msg, Offset: e.Offset, Value: e.Value, Want: e.want, Hex: hexField(e.Field)}.String()
}

// Unwrap returns the sentinel error this error stands for (ErrNoGPT for a
// missing signature), or nil.
func (e *FormatError) Unwrap() error { return e.err }

// hexField reports whether the values of a field print in hex: the CRCs,
// the revision and the MBR's OS type and boot signature.
func hexField(field string) bool {
	return strings.HasSuffix(field, "CRC32") || field == "Revision" || field == "OSType" || field == "BootSignature"
}

// isError is an error with its own message that matches a sentinel.
type isError struct {
	msg    string
	target error
}

func (e *isError) Error() string        { return e.msg }
func (e *isError) Is(target error) bool { return target == e.target }

// tableError reports why neither the primary nor any backup table could be
// used. It matches every one of its errors with errors.Is and errors.As; the
// primary error comes first.
type tableError struct {
	primary error
	backups []error
}

func (e *tableError) Error() string {
	var b strings.Builder
	b.WriteString(e.primary.Error())
	for _, err := range e.backups {
		b.WriteString("; ")
		b.WriteString(strings.TrimPrefix(err.Error(), "gpt: "))
	}
	return b.String()
}

func (e *tableError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.backups))
	errs = append(errs, e.primary)
	return append(errs, e.backups...)
}
