package pivot

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFindInit(t *testing.T) {
	root := t.TempDir()
	mustMkdir(t, filepath.Join(root, "sbin"))
	mustMkdir(t, filepath.Join(root, "lib/systemd"))
	mustMkdir(t, filepath.Join(root, "bin"))
	if err := os.WriteFile(filepath.Join(root, "lib/systemd/systemd"), []byte("#!"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An absolute link must resolve inside root, not on the host.
	if err := os.Symlink("/lib/systemd/systemd", filepath.Join(root, "sbin/init")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/sh"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := FindInit(root, []string{"/sbin/init", "/bin/sh"})
	if err != nil || got != "/sbin/init" {
		t.Errorf("FindInit = %q, %v; want /sbin/init", got, err)
	}
	_, err = FindInit(root, []string{"/etc/init", "/bin/sh", "/lib"})
	want := "pivot: no init in the root file system (/etc/init: not found; /bin/sh: not executable; /lib: not a regular file)"
	if err == nil || err.Error() != want {
		t.Errorf("FindInit error = %v\nwant %s", err, want)
	}
}

func TestFindInitDanglingHostLink(t *testing.T) {
	root := t.TempDir()
	mustMkdir(t, filepath.Join(root, "sbin"))
	// /bin/true exists on the host but not in root: must not be found.
	if err := os.Symlink("/bin/true", filepath.Join(root, "sbin/init")); err != nil {
		t.Fatal(err)
	}
	_, err := FindInit(root, []string{"/sbin/init"})
	if err == nil || !strings.Contains(err.Error(), "/sbin/init: not found") {
		t.Errorf("FindInit followed a link out of the root: %v", err)
	}
}

func TestRemoveTree(t *testing.T) {
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "a/b/c"))
	for _, f := range []string{"a/x", "a/b/y", "z"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := removeTree(dir, devOf(t, st))
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 { // a a/b a/b/c a/x a/b/y z link
		t.Errorf("removed %d entries, want 7", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("followed a symbolic link: %v", err)
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func devOf(t *testing.T, fi os.FileInfo) uint64 {
	t.Helper()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatal("no Stat_t")
	}
	return st.Dev
}
