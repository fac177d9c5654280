package kmod

import (
	"fmt"
	"os"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// ReadList reads the load list the initramfs carries (loadlist.Path): the
// modules in load order and their aliases. A missing list is returned as
// an error matching os.ErrNotExist.
func ReadList(path string) ([]loadlist.Entry, []modalias.Alias, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	l, err := loadlist.ParseBytes(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return l.Modules, l.Aliases, nil
}

// Summary counts the outcomes in one line for the log.
func Summary(results []Result) string {
	counts := map[Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	return fmt.Sprintf("%d modules: %d loaded, %d present, %d without device, %d blacklisted, %d missing, %d failed, %d unused", len(results),
		counts[Loaded], counts[Present], counts[NoDevice], counts[Blacklisted], counts[Missing], counts[Failed]+counts[DepFailed], counts[Unused])
}
