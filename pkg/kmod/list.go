package kmod

import (
	"fmt"
	"os"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// ReadList reads the load list the initramfs carries (loadlist.Path). A
// missing list is returned as an error matching os.ErrNotExist.
func ReadList(path string) ([]Module, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := loadlist.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	mods := make([]Module, len(entries))
	for i, e := range entries {
		mods[i] = Module{Name: e.Name, Path: e.Path, Deps: e.Deps}
	}
	return mods, nil
}

// Summary counts the outcomes in one line for the log.
func Summary(results []Result) string {
	counts := map[Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	return fmt.Sprintf("%d modules: %d loaded, %d present, %d without device, %d blacklisted, %d missing, %d failed", len(results),
		counts[Loaded], counts[Present], counts[NoDevice], counts[Blacklisted], counts[Missing], counts[Failed]+counts[DepFailed])
}
