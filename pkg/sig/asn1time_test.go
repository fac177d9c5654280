package sig

import (
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// cryptobyteTime is the oracle: cryptobyte's own reading of the contents
// as a UTCTime or GeneralizedTime.
func cryptobyteTime(contents []byte, utc bool) (time.Time, bool) {
	tag := cbasn1.GeneralizedTime
	if utc {
		tag = cbasn1.UTCTime
	}
	var b cryptobyte.Builder
	b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(contents) })
	der, err := b.Bytes()
	if err != nil {
		return time.Time{}, false
	}
	s := cryptobyte.String(der)
	var t time.Time
	if utc {
		return t, s.ReadASN1UTCTime(&t)
	}
	return t, s.ReadASN1GeneralizedTime(&t)
}

// checkTime fails when parseASN1Time and cryptobyte disagree.
func checkTime(t *testing.T, contents []byte, utc bool) {
	t.Helper()
	got, ok := parseASN1Time(contents, utc)
	want, wantOK := cryptobyteTime(contents, utc)
	if ok != wantOK || ok && !got.Equal(want) {
		t.Fatalf("%q (utc %v): got %v %v, cryptobyte %v %v", contents, utc, got, ok, want, wantOK)
	}
}

func TestASN1Time(t *testing.T) {
	for _, tc := range []struct {
		in   string
		utc  bool
		want string // RFC 3339 in UTC, "" when refused
	}{
		{"250101120000Z", true, "2025-01-01T12:00:00Z"},
		{"491231235959Z", true, "2049-12-31T23:59:59Z"},
		{"500101000000Z", true, "1950-01-01T00:00:00Z"},
		{"2501011200Z", true, "2025-01-01T12:00:00Z"}, // no seconds: cryptobyte's leniency
		{"250101120000+0130", true, "2025-01-01T10:30:00Z"},
		{"250101120000-2400", true, "2025-01-02T12:00:00Z"},
		{"520229000000Z", true, "1952-02-29T00:00:00Z"},
		{"20500101000000Z", false, "2050-01-01T00:00:00Z"},
		{"99991231235959Z", false, "9999-12-31T23:59:59Z"},
		{"20000229000000Z", false, "2000-02-29T00:00:00Z"},
		{"250101120000+0000", true, ""}, // zero offset is spelt Z
		{"250101120000-2500", true, ""},
		{"250101120000+0160", true, ""},
		{"250101240000Z", true, ""},
		{"250230000000Z", true, ""},
		{"19000229000000Z", false, ""},
		{"250101120000.5Z", true, ""},
		{"20250101120000.5Z", false, ""},
		{"202501011200Z", false, ""},
		{"250101120000", true, ""},
		{"250101120000Zx", true, ""},
		{" 50101120000Z", true, ""},
		{"", true, ""},
	} {
		checkTime(t, []byte(tc.in), tc.utc)
		got, ok := parseASN1Time([]byte(tc.in), tc.utc)
		if s := map[bool]string{true: formatTime(got)}[ok]; s != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, s, tc.want)
		}
	}
}

func FuzzASN1Time(f *testing.F) {
	for _, s := range []string{"250101120000Z", "2501011200Z", "250101120000+0130", "20500101000000Z", "20000229000000-2359", "491231235959Z"} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, contents []byte, utc bool) {
		checkTime(t, contents, utc)
	})
}

func TestFormatTime(t *testing.T) {
	for _, tm := range []time.Time{time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(1999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -3600)), {}} {
		if got, want := formatTime(tm), tm.UTC().Format(time.RFC3339); got != want {
			t.Errorf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}
