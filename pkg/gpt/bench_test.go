package gpt

import "testing"

// BenchmarkRead is the init's discovery on one disk: the protective MBR,
// the primary header and a 128-entry array, checked and decoded.
func BenchmarkRead(b *testing.B) {
	td := stdDisk(b, 512)
	img := td.build()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(img, td.size, td.ss); err != nil {
			b.Fatal(err)
		}
	}
}
