package kmod

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
)

func TestLoad(t *testing.T) {
	mods := []Module{
		{Name: "virtio", Path: "/m/virtio.ko"},
		{Name: "virtio_ring", Path: "/m/virtio_ring.ko", Deps: []string{"virtio"}},
		{Name: "virtio_blk", Path: "/m/virtio_blk.ko", Deps: []string{"virtio", "virtio_ring"}},
		{Name: "dm_mod", Path: "/m/dm-mod.ko"},
		{Name: "dm_verity", Path: "/m/dm-verity.ko", Deps: []string{"dm_mod"}},
		{Name: "squashfs", Path: "/m/squashfs.ko"},
		{Name: "crc32c_intel", Path: "/m/crc32c-intel.ko"},
		{Name: "libcrc32c", Path: "/m/libcrc32c.ko", Deps: []string{"crc32c_intel"}},
		{Name: "ext4", Path: "/m/ext4.ko"},
	}
	var calls []string
	sys := func(path, params string) error {
		calls = append(calls, path+"|"+params)
		switch path {
		case "/m/dm-mod.ko":
			return errMissing
		case "/m/virtio.ko":
			return errExist
		case "/m/crc32c-intel.ko":
			return errNoDevice
		case "/m/ext4.ko":
			return fmt.Errorf("finit_module: %w", errors.New("exec format error"))
		}
		return nil
	}
	opts := Options{
		Params: func(m string) []string {
			if m == "virtio_blk" {
				return []string{"queue_depth=8", `x="a b"`}
			}
			return nil
		},
		Blacklisted: func(m string) bool { return m == "squashfs" },
	}
	res := load(mods, opts, sys)
	got := map[string]Outcome{}
	for _, r := range res {
		got[r.Name] = r.Outcome
	}
	want := map[string]Outcome{
		"virtio": Present, "virtio_ring": Loaded, "virtio_blk": Loaded,
		"dm_mod": Missing, "dm_verity": DepFailed, "squashfs": Blacklisted, "ext4": Failed,
		"crc32c_intel": NoDevice, "libcrc32c": Loaded,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	wantCalls := []string{"/m/virtio.ko|", "/m/virtio_ring.ko|", `/m/virtio_blk.ko|queue_depth=8 x="a b"`, "/m/dm-mod.ko|", "/m/crc32c-intel.ko|", "/m/libcrc32c.ko|", "/m/ext4.ko|"}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls = %q, want %q", calls, wantCalls)
	}
	if len(res) != len(mods) {
		t.Fatalf("%d results for %d modules", len(res), len(mods))
	}
	if res[4].Err == nil || res[4].Err.Error() != "kmod: dm_verity: dependency not loaded: dm_mod" {
		t.Errorf("dm_verity error = %v", res[4].Err)
	}
}

func TestReadListAndSummary(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/verinit.load"
	if err := os.WriteFile(p, []byte("# verinit load list v1: NAME PATH [DEP ...]\nvirtio /m/virtio.ko\nvirtio_blk /m/virtio_blk.ko virtio\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mods, err := ReadList(p)
	if err != nil || len(mods) != 2 || mods[1].Name != "virtio_blk" || !reflect.DeepEqual(mods[1].Deps, []string{"virtio"}) {
		t.Fatalf("ReadList = %+v, %v", mods, err)
	}
	if _, err := ReadList(dir + "/none"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing list: %v", err)
	}
	got := Summary([]Result{{Outcome: Loaded}, {Outcome: Loaded}, {Outcome: NoDevice}, {Outcome: DepFailed}, {Outcome: Failed}})
	if want := "5 modules: 2 loaded, 0 present, 1 without device, 0 blacklisted, 0 missing, 2 failed"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}
