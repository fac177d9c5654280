package veritysig

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that the partition parser never panics,
// that its errors are *FormatError within the input, and that what it
// accepts keeps its invariants and round-trips through the writer. Seeds:
// testdata/fuzz/FuzzParse (written by package sig's
// TestWriteFuzzSeeds: partitions with real signatures) and the cases below.
func FuzzParse(f *testing.F) {
	f.Add([]byte(repart(testRootHash, testFP, testSigB64)))
	f.Add([]byte(`{"\u0072ootHash":"` + testRootHash + `","x":[1,{"y":null}],"signature":"\u002b\/8="}` + "\x00"))
	f.Add([]byte(`{"rootHash":"ab","signature":"AA=="}`))
	f.Add([]byte(`{"a":` + strings.Repeat("[", 33)))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %T %v is not a *FormatError matching ErrMalformed", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(max(len(b), MaxPartitionBytes)) {
				t.Fatalf("error offset %d outside the input of %d bytes", fe.Offset, len(b))
			}
			if strings.ContainsAny(err.Error(), "\n\r\t") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if _, err := SignedText(v.RootHash); err != nil || strings.ToLower(v.RootHash) != v.RootHash {
			t.Fatalf("accepted rootHash %q", v.RootHash)
		}
		if fp := v.CertificateFingerprint; fp != "" && (len(fp) != 64 || strings.ToLower(fp) != fp) {
			t.Fatalf("accepted certificateFingerprint %q", fp)
		}
		if len(v.Signature) == 0 || len(v.Signature) > MaxSignatureBytes {
			t.Fatalf("accepted a signature of %d bytes", len(v.Signature))
		}
		out := appendJSON(nil, v.RootHash, v.CertificateFingerprint, v.Signature)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("own output does not parse: %v\n%q", err, out)
		}
		if v2.RootHash != v.RootHash || v2.CertificateFingerprint != v.CertificateFingerprint || !bytes.Equal(v2.Signature, v.Signature) {
			t.Fatalf("round trip changed %s into %s", summary(v), summary(v2))
		}
	})
}
