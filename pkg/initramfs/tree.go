package initramfs

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/u-root/u-root/pkg/cpio"
)

// entry is one record of the archive before it is written.
type entry struct {
	name           string // archive path without the leading '/'
	mode           uint64 // file type and permission bits (cpio.S_IF*)
	rmajor, rminor uint64 // device number of a node
	data           []byte // contents of a generated file or module
	src            string // or a host file streamed at write time
	size           int64  // size of src when planned
}

// tree is the set of archive entries, keyed by name.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree {
	return &tree{entries: make(map[string]*entry)}
}

// add adds e at the absolute clean path p, creating missing parent
// directories 0755. Adding a directory that exists is a no-op; any other
// second entry for a path, or a path below a non-directory, is an error.
func (t *tree) add(p string, e *entry) error {
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("initramfs: archive path %q is not absolute and clean", p)
	}
	if strings.ContainsAny(p, "\x00\n") {
		return fmt.Errorf("initramfs: archive path %q contains NUL or newline", p)
	}
	if parent := path.Dir(p); parent != "/" {
		if err := t.add(parent, &entry{mode: cpio.S_IFDIR | 0o755}); err != nil {
			return err
		}
	}
	name := p[1:]
	isDir := e.mode&cpio.S_IFMT == cpio.S_IFDIR
	if old, ok := t.entries[name]; ok {
		switch oldDir := old.mode&cpio.S_IFMT == cpio.S_IFDIR; {
		case isDir && oldDir:
			return nil
		case isDir != oldDir:
			return fmt.Errorf("initramfs: %s is packed both as a directory and as a file", p)
		}
		return fmt.Errorf("initramfs: %s is packed twice", p)
	}
	e.name = name
	t.entries[name] = e
	return nil
}

// sortedNames returns the entry names in byte order, which puts every
// directory before its contents.
func (t *tree) sortedNames() []string {
	names := make([]string, 0, len(t.entries))
	for n := range t.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
