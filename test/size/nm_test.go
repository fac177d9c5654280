package main

import "testing"

func TestPackageOf(t *testing.T) {
	for sym, want := range map[string]string{
		"runtime.gcBgMarkWorker.func1":                       "runtime",
		"github.com/verinit/verinit/pkg/lvm.(*parser).value": "github.com/verinit/verinit/pkg/lvm",
		"github.com/anatol/devmapper%2ego.CreateAndLoad":     "github.com/anatol/devmapper%2ego",
		"slices.SortFunc[go.shape.[]string,go.shape.string]": "slices",
		"crypto/internal/fips140/nistec.(*P256Point).Add":    "crypto/internal/fips140/nistec",
		"type:*github.com/verinit/verinit/pkg/status.Status": "type:",
		"go:func.*": "go:",
		"main.main": "main",
		"vendor/golang.org/x/crypto/cryptobyte.(*String).ReadASN1": "vendor/golang.org/x/crypto/cryptobyte",
	} {
		if got := packageOf(sym); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestParseNM(t *testing.T) {
	out := []byte(`  4a1000       1024 T runtime.main
  4b2000        200 R runtime.types
  4c0000         64 D github.com/x/y.z
  4d0000       4096 B runtime.bss
             0 U _cgo_init
`)
	m, err := parseNM(out)
	if err != nil {
		t.Fatal(err)
	}
	if m["runtime"] != 1224 || m["github.com/x/y"] != 64 || len(m) != 2 {
		t.Errorf("parseNM: %v", m)
	}
	if _, err := parseNM([]byte("4a1000 x T runtime.main\n")); err == nil {
		t.Error("parseNM took a bad size")
	}
}
