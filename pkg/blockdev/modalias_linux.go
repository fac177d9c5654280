package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// OnModalias makes the Watcher pass the MODALIAS of every device added
// while it waits to add (which must not block: it runs inside Wait), and
// call rescan when the kernel dropped uevents. Set it before Wait.
func (w *Watcher) OnModalias(add func(modalias string), rescan func()) {
	w.modalias, w.rescan = add, rescan
}

// Modaliases calls fn with the modalias of every device on the buses
// named under sysBus (normally /sys/bus), as udevadm trigger would announce
// them: what coldplug matches against the drivers' aliases. A named bus
// without a directory has no devices yet. With every, the other buses are
// read too, after the named ones, so that the drivers of those start
// loading while the rest is read. Devices removed while it looks are
// skipped.
func Modaliases(sysBus string, named []string, every bool, fn func(modalias string)) error {
	if len(named) == 0 && !every {
		return nil
	}
	entries, err := os.ReadDir(sysBus)
	if err != nil {
		return fmt.Errorf("blockdev: scan %s: %w", sysBus, err)
	}
	var buses []string
	for _, e := range entries {
		if every || slices.Contains(named, e.Name()) {
			buses = append(buses, e.Name())
		}
	}
	sort.SliceStable(buses, func(i, j int) bool { return rank(named, buses[i]) < rank(named, buses[j]) })
	for _, b := range buses {
		dir := filepath.Join(sysBus, b, "devices")
		devs, err := os.ReadDir(dir)
		if err != nil {
			continue // a bus without devices/
		}
		for _, d := range devs {
			a, err := os.ReadFile(filepath.Join(dir, d.Name(), "modalias"))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("blockdev: %w", err)
			}
			if s := strings.TrimSpace(string(a)); s != "" && printableASCII(s) {
				fn(s)
			}
		}
	}
	return nil
}

// rank is 0 for a bus named in first, else 1.
func rank(first []string, bus string) int {
	if slices.Contains(first, bus) {
		return 0
	}
	return 1
}
