package modules

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// ErrNoRelease means no kernel release directory with a modules.dep was
// found.
var ErrNoRelease = errors.New("modules: no kernel release directory with a modules.dep")

// FindRelease picks a kernel release from fsys, a view of /lib/modules (for
// example os.DirFS("/lib/modules")): preferred if its directory has a
// modules.dep (pass the running kernel's release, or ""), else the newest
// release that has one, comparing runs of digits by value so that 6.10 is
// newer than 6.9. It returns an error wrapping [ErrNoRelease] if there is none.
func FindRelease(fsys fs.FS, preferred string) (string, error) {
	hasDep := func(rel string) bool {
		fi, err := fs.Stat(fsys, rel+"/modules.dep")
		return err == nil && fi.Mode().IsRegular()
	}
	if preferred != "" && !strings.Contains(preferred, "/") && fs.ValidPath(preferred) && hasDep(preferred) {
		return preferred, nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoRelease, err)
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() && hasDep(e.Name()) {
			found = append(found, e.Name())
		}
	}
	if len(found) == 0 {
		return "", ErrNoRelease
	}
	return slices.MaxFunc(found, compareRelease), nil
}

// compareRelease orders kernel release strings, runs of digits by value and
// other runs bytewise.
func compareRelease(a, b string) int {
	for a != "" && b != "" {
		ra, rb := leadingRun(a), leadingRun(b)
		na, errA := strconv.ParseUint(ra, 10, 64)
		nb, errB := strconv.ParseUint(rb, 10, 64)
		if errA == nil && errB == nil {
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
		} else if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return cmp.Compare(uint64(len(a)), uint64(len(b)))
}

// leadingRun returns the leading run of digits or of non-digits of the
// non-empty string s.
func leadingRun(s string) string {
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	i := 1
	for i < len(s) && digit(s[i]) == digit(s[0]) {
		i++
	}
	return s[:i]
}
