package kmod

import (
	"errors"
	"fmt"
	"time"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// Trigger is what made the init load a module: the start of the boot, a
// device, or a stage's request. Dependencies carry the trigger of the
// module that pulled them in.
type Trigger uint8

// The triggers, in the order the status record lists them.
const (
	NotStarted Trigger = iota // nothing asked for it
	ByStart                   // the start class, loaded before anything else
	ByDevice                  // a device's modalias (coldplug or hotplug)
	ByDM                      // the device-mapper stage
	ByFS                      // mounting a file system
)

// Triggers lists the triggers that start modules, in order.
func Triggers() [4]Trigger { return [...]Trigger{ByStart, ByDevice, ByDM, ByFS} }

// String returns the trigger's name in the status record: "start",
// "modalias", "dm", "fs", or "" for NotStarted.
func (t Trigger) String() string {
	switch t {
	case ByStart:
		return "start"
	case ByDevice:
		return "modalias"
	case ByDM:
		return "dm"
	case ByFS:
		return "fs"
	case NotStarted:
		return ""
	}
	return fmt.Sprintf("trigger(%d)", int(t))
}

// Outcome says what happened to one module.
type Outcome int

// The outcomes of loading a module.
const (
	Loaded      Outcome = iota // the kernel accepted it
	Present                    // it was loaded already (EEXIST)
	Blacklisted                // modprobe.blacklist= names it
	Missing                    // its file is not in the initramfs
	NoDevice                   // the module found nothing to drive (ENODEV), e.g. crc32c_intel without SSE4.2
	DepFailed                  // a dependency was not loaded
	Failed                     // the kernel refused it
	Unused                     // nothing asked for it: no device matched, no stage needed it
)

var outcomeNames = [...]string{"loaded", "present", "blacklisted", "missing", "no device", "dependency failed", "failed", "unused"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is the outcome for one module.
type Result struct {
	Name     string
	Class    loadlist.Class
	Outcome  Outcome
	Err      error
	Trigger  Trigger       // NotStarted when unused
	Started  time.Time     // when the finit_module call began; zero without one
	Duration time.Duration // the finit_module call
}

// OK reports whether the module is in the kernel now.
func (r Result) OK() bool { return r.Outcome == Loaded || r.Outcome == Present }

// ordered reports whether modules that depend on this one may go ahead.
// A module without hardware (ENODEV) is often only a soft dependency,
// such as an accelerated CRC: its dependents are still tried, and the
// kernel refuses them itself if they needed its symbols.
func (r Result) ordered() bool { return r.OK() || r.Outcome == NoDevice }

// Options tell the Loader what the command line asks for.
type Options struct {
	// Params returns the "param=value" options for a module.
	Params func(module string) []string
	// Blacklisted reports whether modprobe.blacklist= names a module.
	Blacklisted func(module string) bool
	// Provided reports whether the kernel already has what a name given
	// to Need stands for ("crypto-sha256", "fs-ext4"), which then loads
	// nothing: see [Provided] and [KernelProvides].
	Provided func(name string) bool
}

// sysLoader is the system call behind the Loader; tests replace it.
type sysLoader func(path, params string) error

// errMissing marks a module file that is not there.
var errMissing = errors.New("module file not found")
