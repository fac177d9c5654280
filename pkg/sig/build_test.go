package sig

// Builders for signatures and keys that openssl and smallstep/pkcs7 do not
// make: a CMS SignedData with every field under the test's control, and
// RSA keys of any size and exponent whose signatures crypto/rsa (and the
// kernel) verify.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// cmsSpec describes a SignedData for buildCMS. The zero values of the
// optional fields give what openssl cms -noattr makes: version 1,
// SHA-256, id-data, no content, the signer certificate embedded.
type cmsSpec struct {
	signer    *ident
	rootHash  string   // the signed text; testRootHash if ""
	certs     [][]byte // embedded certificates; the signer's if nil
	sdVersion int64    // SignedData version; 1 if 0
	siVersion int64    // SignerInfo version; 1 if 0
	eType     []byte   // encapsulated content type (OID content octets); id-data if nil
	eContent  []byte   // encapsulated content; absent if nil, present (maybe empty) otherwise
	digest    []byte   // digest algorithm OID content; SHA-256 if nil
	sigAlg    []byte   // signature algorithm OID content; rsaEncryption or ecdsa-with-SHA256 if nil
	// attrs are the signed attributes in the order written; nil for none.
	// A non-nil empty slice writes an empty [0].
	attrs [][]byte
	// signedAttrs, if set, are what the signature is over instead of
	// attrs (as a SET, in this order).
	signedAttrs [][]byte
	// signer2 adds a second SignerInfo.
	signer2 *ident
}

// Attribute type and content type OIDs for the builders.
var (
	oidSigningTimeAttr = oidST
	oidIndirectData    = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x04} // 1.3.6.1.4.1.311.2.1.4
)

// attr encodes an Attribute of type oid (content octets) with the given
// values (complete TLVs).
func attr(oid []byte, values ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			for _, v := range values {
				b.AddBytes(v)
			}
		})
	})
	return b.BytesOrPanic()
}

// tlv encodes one element.
func tlv(tag cbasn1.Tag, content []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(content) })
	return b.BytesOrPanic()
}

// hashOf returns the crypto.Hash of a digest OID the builders use.
func hashOf(oid []byte) crypto.Hash {
	switch {
	case digestFor(oid) != nil:
		return digestFor(oid).hash
	case slices.Equal(oid, oidSHA1):
		return crypto.SHA1
	}
	panic("unknown digest")
}

// stdAttrs returns content type, signing time and message digest over
// rootHash with h, in DER order, as openssl -nosmimecap writes them.
func stdAttrs(rootHash string, h crypto.Hash, at time.Time) [][]byte {
	d := h.New()
	d.Write([]byte(rootHash))
	a := [][]byte{
		attr(oidCT, tlv(cbasn1.OBJECT_IDENTIFIER, oidData)),
		attr(oidSigningTimeAttr, tlv(cbasn1.UTCTime, []byte(at.UTC().Format("060102150405Z")))),
		attr(oidMD, tlv(cbasn1.OCTET_STRING, d.Sum(nil))),
	}
	sortDER(a)
	return a
}

// sortDER sorts encodings as DER orders a SET OF.
func sortDER(a [][]byte) {
	slices.SortFunc(a, func(x, y []byte) int { return bytesCompare(x, y) })
}

func bytesCompare(x, y []byte) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			return int(x[i]) - int(y[i])
		}
	}
	return len(x) - len(y)
}

// buildCMS makes the SignedData spec describes, signed by spec.signer.
func buildCMS(t testing.TB, spec cmsSpec) []byte {
	t.Helper()
	if spec.rootHash == "" {
		spec.rootHash = testRootHash
	}
	if spec.sdVersion == 0 {
		spec.sdVersion = 1
	}
	if spec.siVersion == 0 {
		spec.siVersion = 1
	}
	if spec.eType == nil {
		spec.eType = oidData
	}
	if spec.digest == nil {
		spec.digest = oidSHA256
	}
	certs := spec.certs
	if certs == nil {
		certs = [][]byte{spec.signer.cert.Raw}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidSigned) })
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(spec.sdVersion)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(spec.digest) })
					})
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(spec.eType) })
					if spec.eContent != nil {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(spec.eContent)
						})
					}
				})
				if len(certs) > 0 {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						for _, c := range certs {
							b.AddBytes(c)
						}
					})
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					addSignerInfo(t, b, spec, spec.signer)
					if spec.signer2 != nil {
						addSignerInfo(t, b, spec, spec.signer2)
					}
				})
			})
		})
	})
	return b.BytesOrPanic()
}

func addSignerInfo(t testing.TB, b *cryptobyte.Builder, spec cmsSpec, signer *ident) {
	h := hashOf(spec.digest)
	sigAlg := spec.sigAlg
	if sigAlg == nil {
		sigAlg = oidKeyRSA
		if _, ok := signer.key.Public().(*rsa.PublicKey); !ok {
			sigAlg = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02} // ecdsa-with-SHA256
		}
	}
	signed := []byte(spec.rootHash)
	if spec.attrs != nil {
		over := spec.attrs
		if spec.signedAttrs != nil {
			over = spec.signedAttrs
		}
		signed = encodeAttributes(over)
	}
	d := h.New()
	d.Write(signed)
	sig, err := signer.key.Sign(rand.Reader, d.Sum(nil), h)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(spec.siVersion)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(signer.cert.RawIssuer)
			b.AddASN1BigInt(signer.cert.SerialNumber)
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(spec.digest) })
		})
		if spec.attrs != nil {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				for _, a := range spec.attrs {
					b.AddBytes(a)
				}
			})
		}
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(sigAlg) })
		})
		b.AddASN1OctetString(sig)
	})
}

// fakeRSAKey is an RSA key whose modulus is a product of many 64-bit
// primes, so that keys of any size and exponent are made at once.
// crypto/rsa and the kernel verify its PKCS#1 v1.5 signatures like any
// other (neither checks how the modulus factors); it is only for tests.
type fakeRSAKey struct {
	pub    rsa.PublicKey
	primes []*big.Int
	exps   []*big.Int // e⁻¹ mod p-1
}

// newFakeRSAKey returns a key of exactly bits bits and exponent e (odd,
// or any if the test needs another), made from seed.
func newFakeRSAKey(tb testing.TB, bits int, e int64, seed uint64) *fakeRSAKey {
	tb.Helper()
	rng := mrand.New(mrand.NewPCG(seed, uint64(bits)<<32|uint64(e)))
	k := &fakeRSAKey{}
	n := big.NewInt(1)
	bigE := big.NewInt(e)
	one := big.NewInt(1)
	prime := func(size int) *big.Int {
		for {
			p := new(big.Int)
			for p.BitLen() < size {
				p.Lsh(p, 32).Or(p, big.NewInt(int64(rng.Uint32())))
			}
			p.Rsh(p, uint(p.BitLen()-size)).SetBit(p, size-1, 1).SetBit(p, 0, 1)
			if !p.ProbablyPrime(10) {
				continue
			}
			if new(big.Int).GCD(nil, nil, bigE, new(big.Int).Sub(p, one)).Cmp(one) != 0 {
				continue
			}
			if slices.ContainsFunc(k.primes, func(q *big.Int) bool { return q.Cmp(p) == 0 }) {
				continue
			}
			return p
		}
	}
	for n.BitLen() < bits-128 {
		p := prime(63)
		k.primes = append(k.primes, p)
		n.Mul(n, p)
	}
	for {
		rest := bits - n.BitLen()
		p := prime(rest + rng.IntN(2))
		if m := new(big.Int).Mul(n, p); m.BitLen() == bits {
			k.primes = append(k.primes, p)
			n = m
			break
		}
	}
	for _, p := range k.primes {
		k.exps = append(k.exps, new(big.Int).ModInverse(bigE, new(big.Int).Sub(p, one)))
	}
	if int64(int(e)) != e {
		// Only on 32-bit platforms (make cross-test).
		tb.Skipf("exponent %d does not fit rsa.PublicKey.E, an int of %d bits here", e, strconv.IntSize)
	}
	k.pub = rsa.PublicKey{N: n, E: int(e)}
	return k
}

func (k *fakeRSAKey) Public() crypto.PublicKey { return &k.pub }

// digestInfo prefixes of PKCS#1 v1.5 (RFC 8017 9.2).
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// Sign makes a PKCS#1 v1.5 signature over digest, by the Chinese
// remainder theorem over the key's primes.
func (k *fakeRSAKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	prefix, ok := digestInfo[opts.HashFunc()]
	if !ok {
		return nil, errors.New("fakeRSAKey: unsupported hash")
	}
	size := (k.pub.N.BitLen() + 7) / 8
	em := make([]byte, size)
	em[1] = 1
	t := slices.Concat(prefix, digest)
	for i := 2; i < size-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[size-len(t):], t)
	m := new(big.Int).SetBytes(em)
	s := new(big.Int)
	for i, p := range k.primes {
		mi := new(big.Int).Div(k.pub.N, p)
		si := new(big.Int).Exp(new(big.Int).Mod(m, p), k.exps[i], p)
		si.Mul(si, new(big.Int).ModInverse(new(big.Int).Mod(mi, p), p)).Mod(si, p)
		s.Add(s, si.Mul(si, mi))
	}
	s.Mod(s, k.pub.N)
	return s.FillBytes(make([]byte, size)), nil
}
