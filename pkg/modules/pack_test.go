package modules

import (
	"reflect"
	"testing"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func TestLoadList(t *testing.T) {
	db := &DB{
		Deps: []DepEntry{
			{Path: "kernel/virtio.ko"},
			{Path: "kernel/virtio_blk.ko", Deps: []string{"kernel/virtio.ko"}},
			{Path: "kernel/loop.ko"},
			{Path: "kernel/dm-mod.ko"},
			{Path: "kernel/sha256-ssse3.ko"},
			{Path: "kernel/ext4.ko"},
			{Path: "kernel/crc32c-intel.ko"},
		},
		Aliases: []Alias{
			{Pattern: "virtio:d00000002v*", Name: "virtio_blk"},
			{Pattern: "virtio:d00000002v*", Name: "virtio_blk"}, // twice: kept once
			{Pattern: "devname:vda", Name: "virtio_blk"},        // not a device's modalias
			{Pattern: "block-major-7-*", Name: "loop"},          // no device alias: loads at start
			{Pattern: "devname:mapper/control", Name: "dm_mod"},
			{Pattern: "crypto-sha256", Name: "sha256_ssse3"},
			{Pattern: "cpu:type:x86,ven*fam*mod*:feature:*0089*", Name: "sha256_ssse3"},
			{Pattern: "fs-ext4", Name: "ext4"},
			{Pattern: "cpu:type:x86,ven*fam*mod*:feature:*0094*", Name: "crc32c_intel"}, // not wanted: dropped
			{Pattern: "virtio:d00000001v*", Name: "virtio_net"},                         // not packed
		},
	}
	want := []Want{
		{"virtio_blk", loadlist.Storage}, {"loop", loadlist.Storage},
		{"dm-mod", loadlist.DM}, {"crypto-sha256", loadlist.DM},
		{"ext4", loadlist.FS}, {"crc32c_intel", loadlist.Start},
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.Name
	}
	plan, err := Resolve(db, names)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LoadList(db, plan, want, func(m Module) string { return "/m/" + m.Path })
	if err != nil {
		t.Fatal(err)
	}
	wantList := loadlist.List{
		Modules: []loadlist.Entry{
			{Name: "virtio", Class: loadlist.Dep, Path: "/m/kernel/virtio.ko"},
			{Name: "virtio_blk", Class: loadlist.Storage, Path: "/m/kernel/virtio_blk.ko", Deps: []string{"virtio"}},
			{Name: "loop", Class: loadlist.Start, Path: "/m/kernel/loop.ko"},
			{Name: "dm_mod", Class: loadlist.DM, Path: "/m/kernel/dm-mod.ko"},
			{Name: "sha256_ssse3", Class: loadlist.DM, Path: "/m/kernel/sha256-ssse3.ko"},
			{Name: "ext4", Class: loadlist.FS, Path: "/m/kernel/ext4.ko"},
			{Name: "crc32c_intel", Class: loadlist.Start, Path: "/m/kernel/crc32c-intel.ko"},
		},
		// Sorted by literal prefix, the order the init's tables keep.
		Aliases: []modalias.Alias{
			{Pattern: "cpu:type:x86,ven*fam*mod*:feature:*0089*", Module: "sha256_ssse3"},
			{Pattern: "crypto_sha256", Module: "sha256_ssse3"},
			{Pattern: "devname:mapper/control", Module: "dm_mod"},
			{Pattern: "fs_ext4", Module: "ext4"},
			{Pattern: "virtio:d00000002v*", Module: "virtio_blk"},
		},
	}
	if !reflect.DeepEqual(l, wantList) {
		t.Errorf("LoadList =\n%+v\nwant\n%+v", l, wantList)
	}
	eager := Eager(l)
	for _, e := range eager.Modules {
		if e.Class != loadlist.Start {
			t.Errorf("Eager: %s is %s", e.Name, e.Class)
		}
	}
	if len(eager.Aliases) != 0 || l.Modules[0].Class != loadlist.Dep {
		t.Errorf("Eager kept aliases or changed its input")
	}

	db.Aliases = append(db.Aliases, Alias{Pattern: "virtio:[x", Name: "virtio_blk"})
	if _, err := LoadList(db, plan, want, func(m Module) string { return "/m/" + m.Path }); err == nil {
		t.Error("LoadList accepted a malformed glob")
	}
}
