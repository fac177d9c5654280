package sig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verinit/verinit/internal/alloctest"
	"github.com/verinit/verinit/internal/fuzzseed"
)

// hostile is a signature made to cost Verify as much public-key work as
// it can, and what that work must be.
type hostile struct {
	name       string
	der        []byte
	roots      []*x509.Certificate
	wantChecks int    // signature verifications Verify does
	wantUnits  int    // their work units
	why        string // a part of the error
	wantErr    error
}

// hostileKeys returns n RSA keys of the given size with the largest
// exponent crypto/rsa takes (the most work per verification), or ECDSA
// keys when bits is 0.
func hostileKeys(t testing.TB, n, bits int) []crypto.Signer {
	var keys []crypto.Signer
	for i := range n {
		if bits == 0 {
			keys = append(keys, ecKeyN(t, i))
			continue
		}
		keys = append(keys, newFakeRSAKey(t, bits, 1<<31-1, uint64(i+1)))
	}
	return keys
}

// selfSignedSet makes one self-signed certificate per key, all with the
// same subject (self-issued, as the kernel checks them), signed by the
// first: the kernel and Verify check every one's signature.
func selfSignedSet(t testing.TB, name string, keys []crypto.Signer) ([]byte, []*x509.Certificate) {
	var ids []*ident
	for _, k := range keys {
		ids = append(ids, goCert(t, name, k, nil, nil))
	}
	return buildCMS(t, cmsSpec{signer: ids[0], certs: raws(ids...)}), nil
}

// chainSet makes a chain keys[0] ← keys[1] ← … (the last self-signed)
// embedded leaf first, signed by the leaf, its root not trusted: every
// link is checked.
func chainSet(t testing.TB, keys []crypto.Signer) []byte {
	ids := make([]*ident, len(keys))
	for i := len(keys) - 1; i >= 0; i-- {
		var parent *ident
		if i+1 < len(keys) {
			parent = ids[i+1]
		}
		ids[i] = goCert(t, fmt.Sprintf("c%d", i), keys[i], parent, nil)
	}
	// Without the root: the walk ends at the last intermediate, whose
	// issuer is neither embedded nor trusted.
	return buildCMS(t, cmsSpec{signer: ids[0], certs: raws(ids[:len(ids)-1]...)})
}

var (
	hostileOnce sync.Once
	hostileSet  []hostile
)

// hostiles returns the worst cases the bounds must hold for, made once.
func hostiles(t testing.TB) []hostile {
	hostileOnce.Do(func() {
		big := hostileKeys(t, maxCertificates+1, maxRSABits)
		small := hostileKeys(t, maxCertificates+2, 0)
		sBig, _ := selfSignedSet(t, "self", big[:maxCertificates])
		sSmall, _ := selfSignedSet(t, "self", small[:maxCertificates])
		// A trusted certificate none of them chains to, so that the
		// chain is walked.
		other := []*x509.Certificate{goCert(t, "unrelated root", small[maxCertificates+1], nil, nil).cert}
		// The input that took seconds before the key bounds: embedded
		// self-issued certificates with 40,000-bit moduli (5 fit in 64
		// KiB, 10 KB each with their signature), and others with 63-bit
		// exponents. Both are refused while parsing.
		var huge, hugeE []*ident
		root := goCert(t, "root", small[maxCertificates+1], nil, nil)
		for i := range maxCertificates {
			if i < 5 {
				huge = append(huge, goCertRSASelf(t, "huge", newFakeRSAKey(t, 40000, 65537, uint64(i+1))))
			}
			hugeE = append(hugeE, goCertRSA(t, "huge e", newFakeRSAKey(t, 2048, 1<<62+1, uint64(i+1)), root))
		}
		hostileSet = []hostile{
			{"5 self-issued RSA-40000", buildCMS(t, cmsSpec{signer: huge[0], certs: raws(huge...)}), other, 0, 0,
				"RSA modulus of 40000 bits, more than the limit of 16384", ErrMalformed},
			{"8 RSA exponents 2^62+1", buildCMS(t, cmsSpec{signer: hugeE[0], certs: raws(hugeE...)}), other, 0, 0,
				"RSA public exponent of 63 bits, more than the limit of 31", ErrMalformed},
			// The signature and three self-signatures, 16 units each;
			// the next self-signature is refused.
			{"8 self-signed RSA-16384", sBig, other, 4, 64, "too much public-key work", ErrUnsupported},
			// The message signature and three links, 16 units each.
			{"chain of 9 RSA-16384 (8 embedded)", chainSet(t, big), other, 4, 64, "too much public-key work", ErrUnsupported},
			// 8 self-signatures and the message signature; the signer is
			// self-signed and not trusted.
			{"8 self-signed ECDSA", sSmall, other, 9, 9, "is self-signed and not trusted", ErrUntrusted},
			// The message signature and 7 links.
			{"chain of 9 ECDSA (8 embedded)", chainSet(t, small[:maxCertificates+1]), other, 8, 8, "is neither embedded nor trusted", ErrUntrusted},
		}
	})
	return hostileSet
}

// TestVerifyWorkBounded counts the signature verifications and work units
// each worst case costs Verify, and bounds its allocation: the counts are
// exact, at most maxSignatureChecks and maxWorkUnits, and deterministic
// (no clock is read).
func TestVerifyWorkBounded(t *testing.T) {
	for _, h := range hostiles(t) {
		t.Run(h.name, func(t *testing.T) {
			w := &verifyWork{}
			_, err := verify(w, h.der, testRootHash, trust(t, h.roots), VerifyOptions{})
			if !errors.Is(err, h.wantErr) || !strings.Contains(err.Error(), h.why) {
				t.Fatalf("Verify: %v; want an error matching %v with %q", err, h.wantErr, h.why)
			}
			if w.checks > maxSignatureChecks || w.units > maxWorkUnits {
				t.Errorf("%d verifications, %d units: over the bounds %d, %d", w.checks, w.units, maxSignatureChecks, maxWorkUnits)
			}
			if w.checks != h.wantChecks || w.units != h.wantUnits {
				t.Errorf("%d verifications, %d units; want %d, %d", w.checks, w.units, h.wantChecks, h.wantUnits)
			}
			// Memory follows the work: crypto/rsa allocates about 45
			// KB per unit for an RSA-16384 verification (its Montgomery
			// tables), ECDSA about 2 KB; so at most 64 KiB per unit
			// beyond the parse, and 4 MiB in all.
			roots := trust(t, h.roots)
			allocs := testing.AllocsPerRun(1, func() { Verify(h.der, testRootHash, roots, VerifyOptions{}) })
			bytes := alloctest.Bytes(func() { Verify(h.der, testRootHash, roots, VerifyOptions{}) })
			if limit := uint64(64<<10) * uint64(w.units+1); allocs > 2000 || bytes > limit {
				t.Errorf("Verify allocated %.0f times, %d bytes, for %d bytes of signature; limits 2000 and %d", allocs, bytes, len(h.der), limit)
			}
			t.Logf("%d bytes: %d verifications, %d units; %.0f allocations, %d bytes", len(h.der), w.checks, w.units, allocs, bytes)
		})
	}
}

// TestWorkUnits checks the cost model: one unit up to 4096 bits and for
// ECDSA, quadratic above.
func TestWorkUnits(t *testing.T) {
	for _, tc := range []struct{ bits, want int }{{1024, 1}, {2048, 1}, {4096, 1}, {4097, 4}, {8192, 4}, {12288, 9}, {16384, 16}} {
		c := &Certificate{rsaKey: &newFakeRSAKey(t, tc.bits, 65537, 1).pub}
		if got := workUnits(c); got != tc.want {
			t.Errorf("workUnits(RSA-%d) = %d, want %d", tc.bits, got, tc.want)
		}
	}
	if got := workUnits(&Certificate{}); got != 1 {
		t.Errorf("workUnits(ECDSA) = %d, want 1", got)
	}
}

// BenchmarkVerifyHostile measures the worst cases: what a hostile
// signature can cost the init.
func BenchmarkVerifyHostile(b *testing.B) {
	for _, h := range hostiles(b) {
		roots := trust(b, h.roots)
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(h.der, testRootHash, roots, VerifyOptions{}); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

var (
	ecKeysMu sync.Mutex
	ecKeys   []crypto.Signer
)

// ecKeyN returns the i-th of a set of P-256 keys made once.
func ecKeyN(t testing.TB, i int) crypto.Signer {
	ecKeysMu.Lock()
	defer ecKeysMu.Unlock()
	for len(ecKeys) <= i {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ecKeys = append(ecKeys, k)
	}
	return ecKeys[i]
}

// hostileSeeds are the small hostile inputs committed as FuzzVerify
// seeds (TestWriteRefusedSeeds), and a part of the error each gets.
var hostileSeeds = []struct {
	name, why string
	make      func(t *testing.T) []byte
}{
	{"hostile-rsa-modulus-16385", "RSA modulus of 16385 bits, more than the limit of 16384", func(t *testing.T) []byte {
		root := goCert(t, "root", ecKeyN(t, 0), nil, nil)
		return buildCMS(t, cmsSpec{signer: goCertRSA(t, "big", newFakeRSAKey(t, 16385, 65537, 1), root)})
	}},
	{"hostile-rsa-exponent-2p31p1", "RSA public exponent of 32 bits, more than the limit of 31", func(t *testing.T) []byte {
		root := goCert(t, "root", ecKeyN(t, 0), nil, nil)
		return buildCMS(t, cmsSpec{signer: goCertRSA(t, "e", newFakeRSAKey(t, 2048, 1<<31+1, 1), root)})
	}},
	// Just over one work unit per verification (4160 bits fill whole
	// 64-bit words, as the kernel wants), and small: seeds that cost a
	// fuzzing run tens of milliseconds slow fuzzing down.
	{"hostile-self-signed-rsa-4160", "is self-signed and not trusted", func(t *testing.T) []byte {
		der, _ := selfSignedSet(t, "self", hostileKeys(t, 1, 4160))
		return der
	}},
	{"hostile-self-signed-x8-ecdsa", "is self-signed and not trusted", func(t *testing.T) []byte {
		der, _ := selfSignedSet(t, "self", hostileKeys(t, maxCertificates, 0))
		return der
	}},
	{"hostile-chain-x9-ecdsa", "is neither embedded nor trusted", func(t *testing.T) []byte {
		return chainSet(t, hostileKeys(t, maxCertificates+1, 0))
	}},
}

// refusedSeeds returns what each committed refused- and hostile- seed's
// error must contain.
func refusedSeeds() map[string]string {
	m := map[string]string{}
	for _, tc := range kernelCorpus() {
		if tc.seed != "" {
			m[tc.seed] = tc.why
		}
	}
	for _, h := range hostileSeeds {
		m[h.name] = h.why
	}
	return m
}

// TestWriteRefusedSeeds writes the refused- and hostile- FuzzVerify seeds:
// the rows of the kernel corpus that name a seed, and hostileSeeds. It
// runs only with -update-seeds.
func TestWriteRefusedSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("regenerates testdata; run with -update-seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	old, _ := filepath.Glob(filepath.Join(dir, "refused-*"))
	hostile, _ := filepath.Glob(filepath.Join(dir, "hostile-*"))
	for _, f := range append(old, hostile...) {
		os.Remove(f)
	}
	e := &kernelEnv{rsa: testPKI(t, rsaKey), ec: testPKI(t, ecKey), keys: testKeys(t)}
	for _, tc := range kernelCorpus() {
		if tc.seed != "" {
			der, _ := tc.make(t, e)
			fuzzseed.Write(t, "FuzzVerify", tc.seed, der)
		}
	}
	for _, h := range hostileSeeds {
		fuzzseed.Write(t, "FuzzVerify", h.name, h.make(t))
	}
}

// goCertRSASelf makes a self-signed certificate for a fake RSA key,
// without this package's parser (which refuses keys over the bounds).
func goCertRSASelf(t testing.TB, cn string, key *fakeRSAKey) *ident {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000 + serials.Add(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ident{name: cn, cert: c, key: key}
}
