package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/verinit/verinit/pkg/initramfs"
)

// maxListBytes bounds the uncompressed archive initramfs --list reads into
// memory; the kernel unpacks an initramfs into RAM as well.
const maxListBytes = 2 << 30

// readArchive reads the initramfs file path (any compression): the
// uncompressed archive, its compression and its entries.
func readArchive(path string) (raw []byte, method string, ents []initramfs.Entry, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", nil, err
	}
	if raw, method, err = initramfs.Decompress(b, maxListBytes); err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if ents, err = initramfs.List(bytes.NewReader(raw), int64(len(raw))); err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, method, ents, nil
}

// listInitramfs prints the entries of the initramfs file path, one a line:
// type and permissions, size (or major,minor of a device), name, and the
// target of a symbolic link; or, asJSON, a listEntries.
func listInitramfs(path string, stdout io.Writer, asJSON bool) error {
	raw, method, ents, err := readArchive(path)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, listJSON(path, method, raw, ents))
	}
	for _, e := range ents {
		size := fmt.Sprint(e.FileSize)
		link := ""
		switch e.Mode & cpio.S_IFMT {
		case cpio.S_IFCHR, cpio.S_IFBLK:
			size = fmt.Sprintf("%d,%d", e.Rmajor, e.Rminor)
		case cpio.S_IFLNK:
			link = fmt.Sprintf(" -> %q", raw[e.DataOffset:e.DataOffset+int64(e.FileSize)])
		}
		fmt.Fprintf(stdout, "%s %9s %q%s\n", modeString(e.Mode), size, "/"+e.Name, link)
	}
	fmt.Fprintf(stdout, "%s: %s, %d entries, %d bytes uncompressed\n", path, method, len(ents), len(raw))
	return nil
}

// listEntries is what initramfs --list --json prints.
type listEntries struct {
	Archive           string      `json:"archive"`
	Compression       string      `json:"compression"`
	UncompressedBytes int         `json:"uncompressed_bytes"`
	Entries           []listEntry `json:"entries"`
}

type listEntry struct {
	Name   string `json:"name"`
	Mode   string `json:"mode"`
	Size   uint64 `json:"size"`
	Major  uint64 `json:"major,omitempty"` // of a device node
	Minor  uint64 `json:"minor,omitempty"`
	Target string `json:"target,omitempty"` // of a symbolic link
}

func listJSON(path, method string, raw []byte, ents []initramfs.Entry) listEntries {
	l := listEntries{Archive: path, Compression: method, UncompressedBytes: len(raw), Entries: []listEntry{}}
	for _, e := range ents {
		le := listEntry{Name: "/" + e.Name, Mode: modeString(e.Mode), Size: e.FileSize}
		switch e.Mode & cpio.S_IFMT {
		case cpio.S_IFCHR, cpio.S_IFBLK:
			le.Major, le.Minor = e.Rmajor, e.Rminor
		case cpio.S_IFLNK:
			le.Target = string(raw[e.DataOffset : e.DataOffset+int64(e.FileSize)])
		}
		l.Entries = append(l.Entries, le)
	}
	return l
}

// modeString renders a cpio mode as ls does: the type letter, then rwx
// bits with setuid, setgid and sticky.
func modeString(mode uint64) string {
	types := map[uint64]byte{cpio.S_IFDIR: 'd', cpio.S_IFCHR: 'c', cpio.S_IFBLK: 'b', cpio.S_IFLNK: 'l', cpio.S_IFIFO: 'p', cpio.S_IFSOCK: 's', cpio.S_IFREG: '-'}
	t, ok := types[mode&cpio.S_IFMT]
	if !ok {
		t = '?'
	}
	b := []byte{t}
	for i, c := range "rwxrwxrwx" {
		if mode&(1<<(8-i)) != 0 {
			b = append(b, byte(c))
		} else {
			b = append(b, '-')
		}
	}
	for _, s := range []struct {
		bit uint64
		at  int
		x   byte
	}{{0o4000, 3, 's'}, {0o2000, 6, 's'}, {0o1000, 9, 't'}} {
		if mode&s.bit != 0 {
			if b[s.at] == 'x' {
				b[s.at] = s.x
			} else {
				b[s.at] = s.x - 'a' + 'A'
			}
		}
	}
	return string(b)
}
