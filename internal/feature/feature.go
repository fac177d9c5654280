// Package feature says which optional parts this build of the init
// carries. A deployment that never boots from LVM, or never measures
// into a TPM, drops the part with a build tag and ships a smaller init:
//
//	go build -tags verinit_nolvm,verinit_notpm ./cmd/init
//
// The parts are constants, so the compiler removes the code behind a
// dropped one and the linker never links its package. An init without a
// part refuses what needs it (ErrNoLVM, ErrNoTPM), like any other check
// that fails: nothing is mounted, the failure policy follows. The host
// tool reads which parts an init dropped from the build tags its Go build
// information records (Dropped).
package feature

import (
	"errors"
	"slices"
)

// ErrNoLVM is what an init built with verinit_nolvm says of a root, /usr
// or verity device that is a logical volume.
var ErrNoLVM = errors.New("this init was built without LVM support (build tag verinit_nolvm)")

// ErrNoTPM is what an init built with verinit_notpm says when the policy
// requires a TPM.
var ErrNoTPM = errors.New("this init was built without TPM support (build tag verinit_notpm)")

// Part is one optional part of the init.
type Part struct {
	Name  string // "LVM", "TPM"
	Tag   string // the build tag that drops it
	Built bool   // whether this build carries it
}

// Parts lists the optional parts, and whether this build carries each.
func Parts() []Part {
	return []Part{{"LVM", "verinit_nolvm", LVM}, {"TPM", "verinit_notpm", TPM}}
}

// Dropped returns the parts that a build with these build tags leaves
// out (Built false), in the order of Parts.
func Dropped(tags []string) []Part {
	var out []Part
	for _, p := range Parts() {
		if slices.Contains(tags, p.Tag) {
			p.Built = false
			out = append(out, p)
		}
	}
	return out
}

// Tags lists the build tags of the parts this build dropped, for the
// log: "" in a full build. (A switch, not a loop over Parts: the init
// links no more than it prints.)
func Tags() string {
	switch {
	case !LVM && !TPM:
		return "verinit_nolvm,verinit_notpm"
	case !LVM:
		return "verinit_nolvm"
	case !TPM:
		return "verinit_notpm"
	}
	return ""
}
