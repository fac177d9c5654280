package modules

import (
	"path"
	"strings"

	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// moduleExts are the file name endings of kernel modules, uncompressed first.
var moduleExts = [...]string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"}

// SplitModulePath splits the path of a kernel module file into the path of the
// uncompressed module (ending in ".ko") and the compression suffix: "",
// ".xz", ".zst" or ".gz". ok is false if p does not name a module file.
func SplitModulePath(p string) (ko, compression string, ok bool) {
	for _, ext := range moduleExts {
		if stem, found := strings.CutSuffix(p, ext); found && stem != "" && !strings.HasSuffix(stem, "/") {
			return stem + ".ko", ext[len(".ko"):], true
		}
	}
	return "", "", false
}

// Name returns the module name for the path of a module file: its base name
// without ".ko" and any compression suffix, normalised with [NormalizeName].
// It returns "" if p does not name a module file.
func Name(p string) string {
	ko, _, ok := SplitModulePath(p)
	if !ok {
		return ""
	}
	return NormalizeName(strings.TrimSuffix(path.Base(ko), ".ko"))
}

// NormalizeName replaces '-' with '_', as modprobe does, so that "dm-mod" and
// "dm_mod" name the same module.
func NormalizeName(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}

// checkRelPath checks a module path from a kmod file: printable ASCII, relative,
// clean, not leaving the modules directory, and naming a module file.
// It returns the module name or a reason the path is invalid.
func checkRelPath(p string) (name, reason string) {
	switch {
	case p == "":
		return "", "empty"
	case !printable(p):
		return "", "not printable ASCII"
	case strings.HasPrefix(p, "/"):
		return "", "absolute; must be relative to the modules directory"
	case path.Clean(p) != p:
		return "", "not a clean path"
	case p == ".." || strings.HasPrefix(p, "../"):
		return "", "leaves the modules directory"
	}
	name = Name(p)
	if name == "" {
		return "", "not a kernel module file (.ko, .ko.xz, .ko.zst, .ko.gz)"
	}
	if !loadlist.ValidName(name) {
		return "", "module name is not 1-55 characters of [A-Za-z0-9_-]"
	}
	return name, ""
}
