package veritysig

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testRootHash is a SHA-256 root hash as hex.
const testRootHash = "4392c5d6ff5bd6c3c0f2a8f5ae2a4c4b1e3e3f6c2b9d0a7e8f1c2d3e4f5a6b7c"

const testFP = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

// testSigDER is a stand-in signature for parser tests, which do not verify.
var testSigDER = []byte{0x30, 0x03, 0x02, 0x01, 0x01}

const testSigB64 = "MAMCAQE="

// at returns the offset of the first occurrence of sub in s, for expected
// error offsets; it panics if sub is absent, which is a bug in the test.
func at(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		panic(fmt.Sprintf("%q not in %q", sub, s))
	}
	return i
}

// repart is the content systemd-repart writes: compact JSON, NUL-padded.
func repart(rootHash, fp, sigB64 string) string {
	var b strings.Builder
	b.WriteString(`{"rootHash":"` + rootHash + `"`)
	if fp != "" {
		b.WriteString(`,"certificateFingerprint":"` + fp + `"`)
	}
	b.WriteString(`,"signature":"` + sigB64 + `"}`)
	b.WriteString(strings.Repeat("\x00", 4096-b.Len()))
	return b.String()
}

func TestParse(t *testing.T) {
	full := Partition{RootHash: testRootHash, CertificateFingerprint: testFP, Signature: testSigDER}
	noFP := Partition{RootHash: testRootHash, Signature: testSigDER}
	rh := `"rootHash":"` + testRootHash + `"`
	sg := `"signature":"` + testSigB64 + `"`
	type tc struct {
		name string
		in   string
		want Partition
		err  string // exact error text; "" for success
	}
	e := func(off int, rest string) string {
		return fmt.Sprintf("veritysig: JSON: %s", strings.Replace(rest, "@", fmt.Sprintf(" at byte %d", off), 1))
	}
	long := strings.Repeat("ab", 1000)
	cases := []tc{
		{name: "systemd-repart output", in: repart(testRootHash, testFP, testSigB64), want: full},
		{name: "without fingerprint", in: repart(testRootHash, "", testSigB64), want: noFP},
		{name: "no padding", in: "{" + rh + "," + sg + "}", want: noFP},
		{name: "white space and newline before the padding", in: "{\n  " + rh + " ,\n\t" + sg + "\r\n}\n\x00\x00", want: noFP},
		{name: "other member order and unknown members",
			in: `{"version":1,` + sg + `,"extra":{"a":[1,2.5e-3,{"b":null}],"c":true,"d":false},` + rh +
				`,"n":-0.5E+3,"s":"\u00e9\ud83d\ude00 é","certificateFingerprint":"` + testFP + `"}`,
			want: full},
		{name: "escapes in names and values",
			in:   `{"\u0072ootHash":"` + testRootHash[:62] + `\u0037c","signature":"\u002b\/8="}`,
			want: Partition{RootHash: testRootHash, Signature: []byte{0xfb, 0xff}}},

		{name: "empty", in: "", err: e(0, "text ends where '{' is expected@")},
		{name: "only padding", in: "\x00\x00\x00\x00", err: e(0, "text ends where '{' is expected@")},
		{name: "array", in: "[]", err: e(0, "unexpected byte where '{' is expected@: got '['")},
		{name: "empty object", in: "{}", err: e(0, "required member rootHash is missing@")},
		{name: "missing rootHash", in: "{" + sg + "}", err: e(0, "required member rootHash is missing@")},
		{name: "missing signature", in: "{" + rh + "}", err: e(0, "required member signature is missing@")},
		{name: "duplicate rootHash", in: "{" + rh + "," + sg + "," + rh + "}",
			err: e(len("{"+rh+","+sg+","), "member rootHash appears twice@")},
		{name: "duplicate through an escape", in: "{" + rh + "," + sg + `,"\u0073ignature":"` + testSigB64 + `"}`,
			err: e(len("{"+rh+","+sg+","), "member signature appears twice@")},
		{name: "uppercase rootHash", in: `{"rootHash":"` + strings.ToUpper(testRootHash) + `",` + sg + "}",
			err: e(12, `rootHash is not lowercase hex@: got "`+strings.ToUpper(testRootHash)+`"`)},
		{name: "rootHash not hex", in: `{"rootHash":"0123456789abcdeg",` + sg + "}",
			err: e(12, `rootHash is not lowercase hex@: got "0123456789abcdeg"`)},
		{name: "rootHash odd length", in: `{"rootHash":"abc",` + sg + "}", err: e(12, "rootHash has a bad length@: got 3")},
		{name: "rootHash empty", in: `{"rootHash":"",` + sg + "}", err: e(12, "rootHash has a bad length@: got 0")},
		{name: "rootHash too long", in: `{"rootHash":"` + long + `",` + sg + "}", err: e(12, "rootHash is too long@: got 2000")},
		{name: "rootHash a number", in: `{"rootHash":1234,` + sg + "}", err: e(12, "rootHash is not a string@")},
		{name: "rootHash null", in: `{"rootHash":null,` + sg + "}", err: e(12, "rootHash is not a string@")},
		{name: "fingerprint too short", in: "{" + rh + `,"certificateFingerprint":"abcd",` + sg + "}",
			err: e(at("{"+rh+`,"certificateFingerprint":"abcd"`, `"abcd"`), "certificateFingerprint has a bad length@: got 4")},
		{name: "fingerprint with colons", in: "{" + rh + `,"certificateFingerprint":"` + testFP[:62] + `:9",` + sg + "}",
			err: e(len("{"+rh+`,"certificateFingerprint":`), `certificateFingerprint is not lowercase hex@: got "`+testFP[:62]+`:9"`)},
		{name: "signature not base64", in: "{" + rh + `,"signature":"!!!!"}`,
			err: e(len("{"+rh+`,"signature":`), `signature is not padded standard base64@: got "!!!!"`)},
		{name: "signature unpadded", in: "{" + rh + `,"signature":"MAMCAQE"}`,
			err: e(len("{"+rh+`,"signature":`), `signature is not padded standard base64@: got "MAMCAQE"`)},
		{name: "signature with an escaped newline", in: "{" + rh + `,"signature":"MAMC\nAQE="}`,
			err: e(len("{"+rh+`,"signature":`), "signature is not padded standard base64@: got \"MAMC\\nAQE=\"")},
		{name: "signature empty", in: "{" + rh + `,"signature":""}`, err: e(len("{"+rh+`,"signature":`), "signature is empty@")},
		{name: "signature too long", in: "{" + rh + `,"signature":"` + base64.StdEncoding.EncodeToString(make([]byte, MaxSignatureBytes+1)) + `"}`,
			err: e(len("{"+rh+`,"signature":`), "signature is longer than the limit@: got 65537")},
		{name: "signature far too long", in: "{" + rh + `,"signature":"` + base64.StdEncoding.EncodeToString(make([]byte, MaxSignatureBytes+3)) + `"}`,
			err: e(len("{"+rh+`,"signature":`), "signature is longer than the limit@: got 87388")},
		{name: "trailing garbage", in: "{" + rh + "," + sg + "} x", err: e(len("{"+rh+","+sg+"} "), "unexpected byte where the end of the text (or NUL padding) is expected@: got 'x'")},
		{name: "two objects", in: "{" + rh + "," + sg + "}{}", err: e(len("{"+rh+","+sg+"}"), "unexpected byte where the end of the text (or NUL padding) is expected@: got '{'")},
		{name: "text after the padding", in: "{" + rh + "," + sg + "}\x00\x00x\x00", err: e(len("{"+rh+","+sg+"}\x00\x00"), "non-NUL byte after the NUL padding began@: got 'x'")},
		{name: "invalid UTF-8", in: `{"x":"a` + "\xff" + `",` + rh + "," + sg + "}", err: e(7, "text is not valid UTF-8@: got byte 0xff")},
		{name: "control character in a string", in: "{\"x\":\"a\tb\"," + rh + "," + sg + "}", err: e(7, "control character in string@: got byte 0x09")},
		{name: "bad escape", in: `{"x":"a\qb",` + rh + "," + sg + "}", err: e(8, "invalid escape@: got 'q'")},
		{name: "bad \\u escape", in: `{"x":"\u12g4",` + rh + "," + sg + "}", err: e(6, "invalid \\u escape@")},
		{name: "unterminated string", in: `{"rootHash":"abcd`, err: e(17, "text ends inside a string@")},
		{name: "missing colon", in: `{"rootHash" "abcd"}`, err: e(12, "unexpected byte where ':' is expected@: got '\"'")},
		{name: "trailing comma", in: "{" + rh + "," + sg + ",}", err: e(len("{"+rh+","+sg+","), "unexpected byte where a string is expected@: got '}'")},
		{name: "name not a string", in: "{rootHash:1}", err: e(1, "unexpected byte where a string is expected@: got 'r'")},
		{name: "bad literal", in: `{"x":tru,` + rh + "," + sg + "}", err: e(5, "invalid literal (want true)@")},
		{name: "bad number", in: `{"x":-,` + rh + "," + sg + "}", err: e(5, "invalid number@")},
		{name: "number with leading zero", in: `{"x":01,` + rh + "," + sg + "}", err: e(6, "unexpected byte where ',' or '}' is expected@: got '1'")},
		{name: "number without fraction digits", in: `{"x":1.,` + rh + "," + sg + "}", err: e(5, "invalid number@")},
		{name: "unclosed array", in: `{"x":[1,2`, err: e(9, "text ends where ',' or ']' is expected@")},
		{name: "nested too deep", in: `{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "," + rh + "," + sg + "}",
			err: e(5+32, "values nested more than 32 levels deep@")},
		{name: "nested 32 levels is fine", in: `{"x":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + "," + rh + "," + sg + "}", want: noFP},
		{name: "larger than 4 MiB", in: strings.Repeat(" ", MaxPartitionBytes+1), err: e(MaxPartitionBytes, "partition content is larger than 4 MiB@: got 4194305")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.in))
			if c.err != "" {
				if err == nil {
					t.Fatalf("Parse = %s, want error %s", summary(got), c.err)
				}
				if err.Error() != c.err {
					t.Fatalf("Parse error\n got: %s\nwant: %s", err, c.err)
				}
				var fe *FormatError
				if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
					t.Errorf("error %T is not a *FormatError matching ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.RootHash != c.want.RootHash || got.CertificateFingerprint != c.want.CertificateFingerprint || !bytes.Equal(got.Signature, c.want.Signature) {
				t.Errorf("Parse = %s, want %s", summary(got), summary(c.want))
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, tc := range []struct {
		name, hash string
		sig        []byte
		want       string
	}{
		{"bad root hash", "12345", testSigDER, "veritysig: root hash has 5 hex digits, want an even number from 2 to 128"},
		{"empty signature", testRootHash, nil, "veritysig: signature is 0 bytes, want 1 to 65536"},
		{"signature too large", testRootHash, make([]byte, MaxSignatureBytes+1), "veritysig: signature is 65537 bytes, want 1 to 65536"},
		{"uppercase fingerprint", testRootHash, testSigDER, `veritysig: certificate fingerprint "` + strings.Repeat("AB", 32) + `" is not 64 lowercase hex digits`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := ""
			if strings.HasPrefix(tc.name, "uppercase") {
				fp = strings.Repeat("AB", 32)
			}
			_, err := Marshal(tc.hash, fp, tc.sig)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Marshal error = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestMarshalLayout checks padding at the 4096 boundary: text of
// exactly 4096 bytes gets no padding, one byte more gets 4095 NULs.
func TestMarshalLayout(t *testing.T) {
	// {"rootHash":"<62 hex>","signature":"<4004 base64>"} is 4096 bytes.
	rootHash := testRootHash[:62]
	part := appendJSON(nil, rootHash, "", make([]byte, 3003))
	if len(part) != 4096 || part[len(part)-1] != '}' {
		t.Fatalf("text of 4096 bytes: got %d bytes ending in %q", len(part), part[len(part)-1])
	}
	part = appendJSON(nil, rootHash+"00", "", make([]byte, 3003))
	if len(part) != 8192 || part[4097] != '}' || part[4098] != 0 {
		t.Fatalf("text of 4098 bytes: got %d bytes", len(part))
	}
	if _, err := Parse(part); err != nil {
		t.Fatal(err)
	}
}

// summary describes a Partition without dumping its signature.
func summary(v Partition) string {
	return fmt.Sprintf("{RootHash:%q CertificateFingerprint:%q Signature:%d bytes % x…}", v.RootHash, v.CertificateFingerprint, len(v.Signature), v.Signature[:min(8, len(v.Signature))])
}
