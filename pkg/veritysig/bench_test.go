package veritysig

import "testing"

// BenchmarkParse measures reading a 4 KiB partition.
func BenchmarkParse(b *testing.B) {
	part := []byte(repart(testRootHash, testFP, testSigB64))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(part); err != nil {
			b.Fatal(err)
		}
	}
}
