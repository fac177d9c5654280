package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OnModalias makes the Watcher pass the MODALIAS of every device added
// while it waits to add (which must not block: it runs inside Wait), and
// call rescan when the kernel dropped uevents. Set it before Wait.
func (w *Watcher) OnModalias(add func(modalias string), rescan func()) {
	w.modalias, w.rescan = add, rescan
}

// Modaliases lists the modalias of every device on a bus under sysBus
// (normally /sys/bus), as udevadm trigger would announce them: what
// coldplug matches against the drivers' aliases. Devices removed while it
// looks are skipped.
func Modaliases(sysBus string) ([]string, error) {
	buses, err := os.ReadDir(sysBus)
	if err != nil {
		return nil, fmt.Errorf("blockdev: scan %s: %w", sysBus, err)
	}
	var out []string
	for _, b := range buses {
		dir := filepath.Join(sysBus, b.Name(), "devices")
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
				return nil, fmt.Errorf("blockdev: %w", err)
			}
			if s := strings.TrimSpace(string(a)); s != "" && printableASCII(s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
