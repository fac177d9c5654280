package sig

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// versionAttr is the root version attribute with the given values.
func versionAttr(values ...[]byte) []byte { return attr(oidRootVersion, values...) }

// versionInt is an INTEGER value for the attribute.
func versionInt(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv(cbasn1.INTEGER, b)
}

// TestOIDRootVersion checks the attribute type's encoding against its
// dotted form and the UUID it comes from (X.667: 2.25 and the UUID as one
// 128-bit integer).
func TestOIDRootVersion(t *testing.T) {
	uuid, _ := new(big.Int).SetString(strings.ReplaceAll("90f33f16-8c98-44ff-b1d5-cc6b55ff4cab", "-", ""), 16)
	if got := "2.25." + uuid.String(); got != OIDRootVersion {
		t.Errorf("OIDRootVersion = %s, the UUID gives %s", OIDRootVersion, got)
	}
	want := []byte{2*40 + 25}
	var groups []byte
	for v := new(big.Int).Set(uuid); v.Sign() > 0; v.Rsh(v, 7) {
		groups = append([]byte{byte(new(big.Int).And(v, big.NewInt(0x7f)).Int64()) | 0x80}, groups...)
	}
	groups[len(groups)-1] &^= 0x80
	want = append(want, groups...)
	if string(want) != string(oidRootVersion) {
		t.Errorf("oidRootVersion = % x, want % x", oidRootVersion, want)
	}
	if oidString(oidRootVersion) != "(overlong OID)" || !validOIDAnyArc(oidRootVersion) || validOID(oidRootVersion) {
		t.Errorf("oidRootVersion is not the big-arc OID the attribute checks expect")
	}
}

// TestVerifyVersion reads the root version attribute: a SET of exactly one
// non-negative INTEGER that fits a uint64, once; anything else is
// ErrMalformed with a one-line error.
func TestVerifyVersion(t *testing.T) {
	p := testPKI(t, ecKey)
	u := func(s string) *big.Int { n, _ := new(big.Int).SetString(s, 0); return n }
	const bad = "sig: malformed signature: the root version attribute is not one non-negative INTEGER of at most 64 bits"
	for _, tc := range []struct {
		name    string
		attrs   [][]byte // beside the standard ones; nil: no signed attributes
		version uint64
		has     bool
		err     string
	}{
		{name: "no signed attributes"},
		{name: "signed attributes, no version", attrs: [][]byte{}},
		{name: "0", attrs: [][]byte{versionAttr(versionInt(u("0")))}, has: true},
		{name: "7", attrs: [][]byte{versionAttr(versionInt(u("7")))}, version: 7, has: true},
		{name: "2^63", attrs: [][]byte{versionAttr(versionInt(u("0x8000000000000000")))}, version: 1 << 63, has: true},
		{name: "2^64-1", attrs: [][]byte{versionAttr(versionInt(u("0xffffffffffffffff")))}, version: 1<<64 - 1, has: true},
		{name: "2^64", attrs: [][]byte{versionAttr(versionInt(u("0x10000000000000000")))}, err: bad},
		{name: "negative", attrs: [][]byte{versionAttr(tlv(cbasn1.INTEGER, []byte{0xff}))}, err: bad},
		{name: "not minimal", attrs: [][]byte{versionAttr(tlv(cbasn1.INTEGER, []byte{0, 1}))}, err: bad},
		{name: "empty INTEGER", attrs: [][]byte{versionAttr(tlv(cbasn1.INTEGER, nil))}, err: bad},
		{name: "OCTET STRING", attrs: [][]byte{versionAttr(tlv(cbasn1.OCTET_STRING, []byte{7}))}, err: bad},
		{name: "no value", attrs: [][]byte{versionAttr()}, err: bad},
		{name: "two values", attrs: [][]byte{versionAttr(versionInt(u("7")), versionInt(u("8")))}, err: bad},
		{name: "twice", attrs: [][]byte{versionAttr(versionInt(u("7"))), versionAttr(versionInt(u("8")))},
			err: "sig: malformed signature: the root version attribute is repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := cmsSpec{signer: p.root}
			if tc.attrs != nil {
				spec.attrs = withAttrs(tc.attrs...)
			}
			s, err := Verify(buildCMS(t, spec), testRootHash, trust(t, certs(p.root)), VerifyOptions{})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrMalformed) {
					t.Fatalf("Verify = %+v, %v; want %s", s, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tc.version || s.HasVersion != tc.has {
				t.Errorf("Verify reads version %d (%v), want %d (%v)", s.Version, s.HasVersion, tc.version, tc.has)
			}
		})
	}
}
