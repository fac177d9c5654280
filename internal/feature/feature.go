// Package feature says which optional parts this build of the init
// carries. A deployment that never boots from LVM, never measures into a
// TPM, or whose boot chain verifies the command line that carries the
// root hash (a signed UKI or FIT) so that the init need not check
// signatures, drops the part with a build tag and ships a smaller init:
//
//	go build -tags verinit_nolvm,verinit_notpm,verinit_nosig ./cmd/init
//
// The parts are constants, so the compiler removes the code behind a
// dropped one and the linker leaves out the functions only it called.
// Signatures need more: an import alone links the imported package's
// initializers, and those under crypto/rsa and crypto/ecdsa reference
// every NIST curve, so package sig is imported only by files built
// without verinit_nosig (pkg/activate's sigcheck_on.go), and what the rest
// of the init says of a signature is in package veritysig. An init
// without a part refuses what needs it (ErrNoLVM, ErrNoTPM,
// ErrNoSig), like any other check
// that fails: nothing is mounted, the failure policy follows. The host
// tool reads which parts an init dropped from the build tags its Go build
// information records (FromTags).
package feature

import (
	"errors"
	"slices"
	"strings"
)

// ErrNoSig is what an init built with verinit_nosig says of a signature
// it is given or a policy that requires one.
var ErrNoSig = errors.New("this init was built without signature support (build tag verinit_nosig)")

// ErrNoLVM is what an init built with verinit_nolvm says of a root, /usr
// or verity device that is a logical volume.
var ErrNoLVM = errors.New("this init was built without LVM support (build tag verinit_nolvm)")

// ErrNoTPM is what an init built with verinit_notpm says when the policy
// requires a TPM.
var ErrNoTPM = errors.New("this init was built without TPM support (build tag verinit_notpm)")

// Build is what one build of the init carries: the host reads an init's
// from its build information (FromTags), the init knows its own (This).
type Build struct{ LVM, TPM, Sig bool }

// This is this build.
func This() Build { return Build{LVM, TPM, Sig} }

// Full is a build with every part: an init built without tags, and one
// whose build information cannot be read.
func Full() Build { return Build{true, true, true} }

// FromTags is the build that a go build with these build tags makes.
func FromTags(tags []string) Build {
	return Build{
		LVM: !slices.Contains(tags, "verinit_nolvm"),
		TPM: !slices.Contains(tags, "verinit_notpm"),
		Sig: !slices.Contains(tags, "verinit_nosig"),
	}
}

// Part is one optional part of the init, for messages and reports.
type Part struct {
	Name  string // "LVM", "TPM", "signatures"
	Tag   string // the build tag that drops it
	Built bool   // whether the build carries it
}

// Parts lists b's optional parts, in a fixed order.
func (b Build) Parts() []Part {
	return []Part{{"LVM", "verinit_nolvm", b.LVM}, {"TPM", "verinit_notpm", b.TPM}, {"signatures", "verinit_nosig", b.Sig}}
}

// Dropped lists the parts b leaves out.
func (b Build) Dropped() []Part {
	var out []Part
	for _, p := range b.Parts() {
		if !p.Built {
			out = append(out, p)
		}
	}
	return out
}

// DroppedTags lists the build tags of the parts b leaves out: the tags
// that make b (FromTags).
func (b Build) DroppedTags() []string {
	var tags []string
	for _, p := range b.Dropped() {
		tags = append(tags, p.Tag)
	}
	return tags
}

// Tags lists the build tags of the parts this build dropped, for the
// log: "" in a full build. (Constants, not a loop over Parts: the init
// links no more than it prints.)
func Tags() string {
	tags := ""
	if !LVM {
		tags += ",verinit_nolvm"
	}
	if !TPM {
		tags += ",verinit_notpm"
	}
	if !Sig {
		tags += ",verinit_nosig"
	}
	return strings.TrimPrefix(tags, ",")
}
