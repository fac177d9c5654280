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

// Modaliases calls fn with the modalias of every device on a bus under
// sysBus (normally /sys/bus), as udevadm trigger would announce them: what
// coldplug matches against the drivers' aliases. The buses named in first
// come first, so that their drivers start loading while the rest is read.
// Devices removed while it looks are skipped.
func Modaliases(sysBus string, first []string, fn func(modalias string)) error {
	entries, err := os.ReadDir(sysBus)
	if err != nil {
		return fmt.Errorf("blockdev: scan %s: %w", sysBus, err)
	}
	buses := make([]string, 0, len(entries))
	for _, e := range entries {
		buses = append(buses, e.Name())
	}
	sort.SliceStable(buses, func(i, j int) bool { return rank(first, buses[i]) < rank(first, buses[j]) })
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
