package sig

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/fuzzseed"
	"github.com/verinit/verinit/pkg/veritysig"
)

var updateSeeds = flag.Bool("update-seeds", false, "regenerate testdata/fuzz-roots.pem and the FuzzVerify seeds and those of package veritysig's FuzzParse with openssl")

// fuzzRoots returns the trusted certificates the committed FuzzVerify seeds
// chain to.
func fuzzRoots(tb testing.TB) []*Certificate {
	tb.Helper()
	roots, err := ParseCertificates(fuzzRootsPEM(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return roots
}

// fuzzRootsX509 returns the same certificates as crypto/x509 reads them,
// for the oracle.
func fuzzRootsX509(tb testing.TB) []*x509.Certificate {
	tb.Helper()
	var roots []*x509.Certificate
	rest := fuzzRootsPEM(tb)
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return roots
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			tb.Fatal(err)
		}
		roots = append(roots, c)
	}
}

func fuzzRootsPEM(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz-roots.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzVerify feeds hostile DER to Verify, and the same input to the oracle
// (the old smallstep/pkcs7 and crypto/x509 verifier). Seeds: real
// signatures over testRootHash by the certificates in
// testdata/fuzz-roots.pem (testdata/fuzz/FuzzVerify), plus a few framing
// edge cases. Every input must give a signer or a one-line error matching
// one of the four sentinels, and Verify must never accept what the oracle
// refuses (but for embedded certificates whose extension contents only
// crypto/x509 reads, and signatures with a root version, which the oracle
// cannot read), nor name another signer. It may refuse what the
// oracle accepts: it is stricter about DER, see doc.go.
func FuzzVerify(f *testing.F) {
	roots, oracleRoots := fuzzRoots(f), fuzzRootsX509(f)
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x1f, 0x80})
	f.Add(nestedBER(31))
	f.Add(nestedBER(33))
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, opts := range []VerifyOptions{{}, {Now: at2030}} {
			s, err := Verify(der, testRootHash, roots, opts)
			if err == nil {
				if s == nil || len(s.FingerprintSHA256) != 64 {
					t.Fatalf("Verify accepted with signer %+v", s)
				}
				if checkFraming(der) != nil {
					t.Fatal("Verify accepted input whose framing is bad")
				}
				os, oerr := oracleVerify(der, testRootHash, oracleRoots, opts)
				// crypto/x509 reads the contents of more extensions
				// (alternative names, policies, CRL and AIA points) and
				// fails the whole signature on any embedded certificate
				// it cannot parse; Verify reads only what the chain
				// needs (doc.go).
				if oerr != nil && strings.Contains(oerr.Error(), "not a PKCS#7 SignedData: x509: ") {
					continue
				}
				// The oracle cannot read the root version attribute: its
				// type is a UUID OID, and encoding/asn1 reads no arc
				// beyond 31 bits (the SignerInfo does not parse).
				if s.HasVersion {
					continue
				}
				if oerr != nil || *os != *s {
					t.Fatalf("Verify accepted (signer %+v) what the oracle refuses: %v", s, oerr)
				}
				continue
			}
			if s != nil {
				t.Fatalf("Verify returned signer %+v with error %v", s, err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUntrusted) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r\t") {
				t.Fatalf("error is not one line: %q", err)
			}
		}
	})
}

// TestFuzzSeedsVerify checks that the committed FuzzVerify seeds are what
// testdata/README.md says: valid signatures over testRootHash that Verify
// accepts with testdata/fuzz-roots.pem, so that fuzzing starts deep in the
// verification path.
func TestFuzzSeedsVerify(t *testing.T) {
	oracleRoots, roots := fuzzRootsX509(t), fuzzRoots(t)
	seeds := readCorpus(t, "FuzzVerify")
	refused := refusedSeeds()
	accepted := 0
	for name, der := range seeds {
		if why, ok := refused[name]; ok {
			// A regression seed: Verify refuses it, for its reason, within
			// the work bounds.
			w := &verifyWork{}
			if _, err := verify(w, der, testRootHash, roots, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), why) {
				t.Errorf("seed %s: Verify: %v; want an error with %q", name, err, why)
			}
			if w.checks > maxSignatureChecks || w.units > maxWorkUnits {
				t.Errorf("seed %s: %d verifications, %d units", name, w.checks, w.units)
			}
			continue
		}
		if strings.HasPrefix(name, "refused-") || strings.HasPrefix(name, "hostile-") {
			t.Errorf("seed %s: neither the kernel corpus nor hostileSeeds names it", name)
			continue
		}
		accepted++
		if strings.Contains(name, "-version-") {
			// Beyond the oracle (FuzzVerify): the version carries a UUID OID.
			if s, err := Verify(der, testRootHash, roots, VerifyOptions{}); err != nil || !s.HasVersion || s.Version != 42 {
				t.Errorf("seed %s: Verify = %+v, %v; want version 42", name, s, err)
			}
			continue
		}
		if _, err := verifyBoth(t, der, testRootHash, oracleRoots, VerifyOptions{}); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
	if accepted < 9 || len(seeds)-accepted != len(refused) {
		t.Errorf("%d accepted and %d refused FuzzVerify seeds; want at least 9 and %d", accepted, len(seeds)-accepted, len(refused))
	}
	for name, b := range readCorpusIn(t, veritysigCorpus) {
		v, err := veritysig.Parse(b)
		if err != nil {
			t.Errorf("seed %s: %v", name, err)
			continue
		}
		if _, err := verifyBoth(t, v.Signature, v.RootHash, oracleRoots, VerifyOptions{}); err != nil {
			t.Errorf("seed %s: signature: %v", name, err)
		}
	}
}

// veritysigCorpus holds the seeds of package veritysig's FuzzParse:
// root-verity-sig partitions carrying real signatures, which this
// package's tests make and check.
var veritysigCorpus = filepath.Join("..", "veritysig", "testdata", "fuzz", "FuzzParse")

// readCorpus reads the []byte seeds of testdata/fuzz/<target>, in the
// "go test fuzz v1" format fuzzseed writes.
func readCorpus(t testing.TB, target string) map[string][]byte {
	t.Helper()
	return readCorpusIn(t, filepath.Join("testdata", "fuzz", target))
}

// readCorpusIn reads the []byte seeds of the corpus directory dir.
func readCorpusIn(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		out[e.Name()] = fuzzseed.Read(t, filepath.Join(dir, e.Name()))
	}
	return out
}

// TestWriteFuzzSeeds regenerates the committed seeds; see
// testdata/README.md. It runs only with -update-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("regenerates testdata; run with -update-seeds")
	}
	rsa, ec := testPKI(t, rsaKey), testPKI(t, ecKey)
	var roots []byte
	for _, id := range []*ident{ec.root, ec.ca, rsa.root, rsa.ca} {
		b, err := os.ReadFile(id.certPath)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, b...)
	}
	if err := os.WriteFile(filepath.Join("testdata", "fuzz-roots.pem"), roots, 0o644); err != nil {
		t.Fatal(err)
	}
	// Not the refused- and hostile- seeds, which TestWriteRefusedSeeds
	// writes and which chain to no root.
	os.RemoveAll(veritysigCorpus)
	for name := range readCorpus(t, "FuzzVerify") {
		if !strings.HasPrefix(name, "refused-") && !strings.HasPrefix(name, "hostile-") {
			os.Remove(filepath.Join("testdata", "fuzz", "FuzzVerify", name))
		}
	}
	own := librarySign(t, testRootHash, ec.leaf, ec.inter.cert)
	seeds := []struct {
		name string
		der  []byte
	}{
		{"openssl-cms-noattr-ec", cmsSign(t, "cms", ec.root, ec.hashF, "-noattr")},
		{"openssl-cms-attrs-ec", cmsSign(t, "cms", ec.root, ec.hashF)},
		{"openssl-smime-noattr-ec-chain", cmsSign(t, "smime", ec.leaf, ec.hashF, "-noattr", "-certfile", ec.inter.certPath)},
		{"openssl-cms-noattr-ec-nocerts", cmsSign(t, "cms", ec.root, ec.hashF, "-noattr", "-nocerts")},
		{"openssl-cms-noattr-rsa", cmsSign(t, "cms", rsa.root, rsa.hashF, "-noattr")},
		{"openssl-cms-attrs-rsa", cmsSign(t, "cms", rsa.root, rsa.hashF)},
		{"openssl-cms-attrs-rsa-chain-sha384", cmsSign(t, "cms", rsa.leaf, rsa.hashF, "-md", "sha384", "-certfile", rsa.inter.certPath)},
		{"openssl-cms-attrs-ec-chain-ber", indefinite(t, cmsSign(t, "cms", ec.leaf, ec.hashF, "-certfile", ec.inter.certPath))},
		{"sign-ec-chain", own},
		// As verinit sign --version 42 makes it (signed attributes and the
		// root version), by the RSA chain's leaf.
		{"built-version-42-rsa-chain", buildCMS(t, cmsSpec{signer: rsa.leaf, certs: raws(rsa.leaf, rsa.inter), attrs: withAttrs(versionAttr(versionInt(big.NewInt(42))))})},
	}
	for _, s := range seeds {
		fuzzseed.Write(t, "FuzzVerify", s.name, s.der)
	}
	small := cmsSign(t, "cms", ec.root, ec.hashF, "-noattr", "-nocerts")
	part, err := veritysig.Marshal(testRootHash, fingerprint(ec.root.cert), small)
	if err != nil {
		t.Fatal(err)
	}
	text := bytes.TrimRight(part, "\x00")
	fuzzseed.WriteIn(t, veritysigCorpus, "repart-style", append(text, make([]byte, 8)...))
	b64 := string(text[bytes.Index(text, []byte(`"signature":"`))+13 : len(text)-2])
	fuzzseed.WriteIn(t, veritysigCorpus, "spaces-unknown-members-escapes",
		[]byte("{\n  \"version\": 1,\n  \"\\u0072ootHash\": \""+testRootHash+"\",\n  \"extra\": {\"list\": [1, -2.5e3, true, null, \"\\u00e9\"]},\n  \"signature\": \""+strings.ReplaceAll(b64, "/", `\/`)+"\"\n}\n"))
}
