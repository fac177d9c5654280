package sig

import "testing"

// BenchmarkVerify measures Verify on the committed seed signatures (ECDSA
// P-256 and RSA-2048, with and without a chain), as the init runs it, and
// the oracle (the former smallstep/pkcs7 and crypto/x509 verifier) on the
// same signatures as the peer.
func BenchmarkVerify(b *testing.B) {
	roots, oracleRoots := fuzzRoots(b), fuzzRootsX509(b)
	seeds := readCorpus(b, "FuzzVerify")
	for _, name := range []string{"openssl-cms-noattr-ec", "openssl-cms-noattr-rsa", "sign-ec-chain"} {
		der := seeds[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(der, testRootHash, roots, VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/oracle", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := oracleVerify(der, testRootHash, oracleRoots, VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
