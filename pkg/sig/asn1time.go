package sig

import (
	"fmt"
	"time"
)

// parseASN1Time reads the contents of a UTCTime (utc) or a
// GeneralizedTime as cryptobyte reads them, and with it crypto/x509:
// YYMMDDhhmm[ss] (a UTCTime year YY below 50 is 20YY, else 19YY) or
// YYYYMMDDhhmmss, then "Z" or a nonzero offset ±hhmm (hh up to 24),
// every field in range and spelt in its one canonical form. It is done
// here, not with time.Parse and a round trip through Time.Format as
// cryptobyte does, because those two add about 37 KB to the init.
// FuzzASN1Time holds it to cryptobyte's answers.
func parseASN1Time(b []byte, utc bool) (time.Time, bool) {
	s := b
	ok := true
	num := func(n int) int {
		if !ok || len(s) < n {
			ok = false
			return 0
		}
		v := 0
		for _, c := range s[:n] {
			if c < '0' || c > '9' {
				ok = false
				return 0
			}
			v = v*10 + int(c-'0')
		}
		s = s[n:]
		return v
	}
	var year int
	if utc {
		year = 1900 + num(2)
		if year < 1950 {
			year += 100
		}
	} else {
		year = num(4)
	}
	month, day, hour, minute := num(2), num(2), num(2), num(2)
	second := 0
	// UTCTime's seconds are optional (a leniency cryptobyte keeps).
	if !utc || len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		second = num(2)
	}
	if !ok || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	loc := time.UTC
	switch {
	case len(s) == 1 && s[0] == 'Z':
	case len(s) == 5 && (s[0] == '+' || s[0] == '-'):
		sign := s[0]
		s = s[1:]
		hh, mm := num(2), num(2)
		// A zero offset is spelt "Z"; an offset's hours go up to 24.
		if !ok || hh > 24 || mm > 59 || hh == 0 && mm == 0 {
			return time.Time{}, false
		}
		off := hh*3600 + mm*60
		if sign == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, 0, loc), true
}

func daysIn(month, year int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
}

// formatTime writes t in UTC as RFC 3339 ("2006-01-02T15:04:05Z"), for
// messages, without Time.Format.
func formatTime(t time.Time) string {
	u := t.UTC()
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", u.Year(), int(u.Month()), u.Day(), u.Hour(), u.Minute(), u.Second())
}
