package kmod

import (
	"os"
	"reflect"
	"testing"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func TestProvided(t *testing.T) {
	// testdata/proc-crypto and proc-filesystems are copies of a running
	// kernel's files (6.18, where sha256 is built in and squashfs loaded).
	crypto, err := os.ReadFile("testdata/proc-crypto")
	if err != nil {
		t.Fatal(err)
	}
	filesystems, err := os.ReadFile("testdata/proc-filesystems")
	if err != nil {
		t.Fatal(err)
	}
	// A larval is a lookup in progress, an internal algorithm a part of
	// another driver: neither is there for dm-verity to use.
	extra := []byte("\nname         : streebog512\ndriver       : streebog512\nmodule       : kernel\npriority     : 0\nrefcnt       : 1\nselftest     : unknown\ninternal     : no\ntype         : larval\nflags        : 0x10\n\n" +
		"name         : __xts(aes)\ndriver       : __xts-aes-aesni\nmodule       : aesni_intel\npriority     : 401\nrefcnt       : 1\nselftest     : passed\ninternal     : yes\ntype         : skcipher\n")
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"crypto-sha256", true},
		{"crypto-crc32c", true},
		{"crypto-streebog512", false}, // larval only
		{"crypto-__xts(aes)", false},
		{"crypto-whirlpool", false},
		{"crypto-sha256-lib", false}, // a driver name, not an algorithm name
		{"crypto-", false},
		{"fs-ext4", true},
		{"fs-proc", true},
		{"fs-vfat", false},
		{"fs-", false},
		{"dm-mod", false},
		{"sha256", false},
	} {
		if got := Provided(tc.name, append(crypto, extra...), filesystems); got != tc.want {
			t.Errorf("Provided(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if Provided("crypto-sha256", nil, nil) || Provided("fs-ext4", nil, nil) {
		t.Errorf("Provided with nothing read = true")
	}
}

// A name the kernel provides loads nothing; the others still load.
func TestNeedProvided(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "dm_mod", Class: loadlist.DM, Path: "/m/dm-mod.ko"},
		{Name: "sha256_ssse3", Class: loadlist.DM, Path: "/m/sha256-ssse3.ko"},
		{Name: "sha512_ssse3", Class: loadlist.DM, Path: "/m/sha512-ssse3.ko"},
		{Name: "squashfs", Class: loadlist.FS, Path: "/m/squashfs.ko"},
	}
	aliases := []modalias.Alias{
		{Pattern: "crypto_sha256", Module: "sha256_ssse3"},
		{Pattern: "crypto_sha512", Module: "sha512_ssse3"},
		{Pattern: "fs_squashfs", Module: "squashfs"},
	}
	rec := &recorder{}
	asked := map[string]bool{}
	l := newLoader(mods, aliases, Options{Provided: func(name string) bool {
		asked[name] = true
		return name == "crypto-sha256"
	}}, rec.sys)
	if got := l.Need(ByDM, "dm-mod", "crypto-sha256", "crypto-sha512"); !reflect.DeepEqual(got, []string{"dm_mod", "sha512_ssse3"}) {
		t.Errorf("Need(dm) = %q", got)
	}
	if got := l.Need(ByFS, "fs-squashfs"); !reflect.DeepEqual(got, []string{"squashfs"}) {
		t.Errorf("Need(fs) = %q", got)
	}
	want := map[string]Outcome{"dm_mod": Loaded, "sha256_ssse3": Unused, "sha512_ssse3": Loaded, "squashfs": Loaded}
	if got := outcomes(l.Results()); !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	if !asked["crypto-sha256"] || !asked["fs-squashfs"] {
		t.Errorf("Provided asked about %v", asked)
	}
}
