// Package feature says which optional parts this build of the init
// carries. A deployment that never boots from LVM, or never measures
// into a TPM, drops the part with a build tag and ships a smaller init:
//
//	go build -tags verinit_nolvm,verinit_notpm ./cmd/init
//
// The parts are constants, so the compiler removes the code behind a
// dropped one and the linker never links its package. An init without a
// part refuses what needs it (ErrNoLVM, ErrNoTPM), like any other check
// that fails: nothing is mounted, the failure policy follows.
package feature

import "errors"

// ErrNoLVM is what an init built with verinit_nolvm says of a root, /usr
// or verity device that is a logical volume.
var ErrNoLVM = errors.New("this init was built without LVM support (build tag verinit_nolvm)")

// ErrNoTPM is what an init built with verinit_notpm says when the policy
// requires a TPM.
var ErrNoTPM = errors.New("this init was built without TPM support (build tag verinit_notpm)")

// Tags lists the build tags of the parts this build dropped, for the
// log and status.json: "" in a full build.
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
