package image

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildFS(t *testing.T) {
	for fs, magic := range map[string]struct {
		off  int
		want []byte
	}{
		FSSquashfs: {0, []byte("hsqs")},
		FSErofs:    {1024, []byte{0xe2, 0xe1, 0xf5, 0xe0}}, // EROFS_SUPER_MAGIC_V1, little-endian
	} {
		out := buildImage(t, fs)
		// A second run replaces the image.
		if err := BuildFS(makeRootfs(t), fs, out); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < magic.off+4 || !bytes.Equal(b[magic.off:magic.off+4], magic.want) || len(b)%4096 != 0 {
			t.Errorf("%s: %d bytes, magic % x", fs, len(b), b[magic.off:min(len(b), magic.off+4)])
		}
	}
}

func TestBuildFSErrors(t *testing.T) {
	dir := makeRootfs(t)
	out := filepath.Join(t.TempDir(), "out.img")
	file := filepath.Join(dir, "etc", "os-release")
	for _, c := range []struct {
		name, dir, fs, path, want string
	}{
		{"unknown type", dir, "ext4", "", `unknown file system "ext4"`},
		{"missing directory", dir + "/nope", FSSquashfs, "", "no such file"},
		{"not a directory", file, FSErofs, "", "is not a directory"},
		{"mksquashfs missing", dir, FSSquashfs, t.TempDir(), "mksquashfs is needed to make squashfs images (Debian package squashfs-tools)"},
		{"mkfs.erofs missing", dir, FSErofs, t.TempDir(), "mkfs.erofs is needed to make erofs images (Debian package erofs-utils)"},
		{"tool fails", dir, FSSquashfs, "", "mksquashfs " + dir + " " + filepath.Join(file, "x")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.path != "" {
				t.Setenv("PATH", c.path)
			}
			o := out
			if c.name == "tool fails" {
				o = filepath.Join(file, "x") // a file is not a directory
			}
			err := BuildFS(c.dir, c.fs, o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("BuildFS: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
