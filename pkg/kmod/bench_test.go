package kmod

import "testing"

// BenchmarkBootList is what the init does with its load list at every
// boot before any module loads: read and check the default set's list
// for Debian's 6.1.0-56-amd64 and index its aliases.
func BenchmarkBootList(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mods, aliases, err := ReadList("../modules/loadlist/testdata/debian-6.1.0-56-default.load")
		if err != nil {
			b.Fatal(err)
		}
		NewLoader(mods, aliases, Options{})
	}
}
