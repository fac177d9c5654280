package modalias

import (
	"path"
	"reflect"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		// Lines of Debian 6.1.0-56-amd64's modules.alias against modaliases
		// from sysfs and uevents.
		{"pci:v00001AF4d*sv*sd*bc*sc*i*", "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", true},
		{"pci:v00001AF4d*sv*sd*bc*sc*i*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", false},
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", true},
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", false},
		{"pci:v*d*sv*sd*bc01sc08i02*", "pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02", true},
		{"virtio:d00000002v*", "virtio:d00000002v00001AF4", true},
		{"virtio:d00000002v*", "virtio:d00000008v00001AF4", false},
		{"scsi:t_0x00*", "scsi:t_0x00", true},
		{"mmc:block", "mmc:block", true},
		{"mmc:block", "mmc:blocks", false},
		{"usb:v13FDp3940d0[0-2]*dc*dsc*dp*ic*isc*ip*in*", "usb:v13FDp3940d0150dc00dsc00dp00ic08isc06ip50in00", true},
		{"usb:v13FDp3940d0[0-2]*dc*dsc*dp*ic*isc*ip*in*", "usb:v13FDp3940d0350dc00dsc00dp00ic08isc06ip50in00", false},
		{"usb:v1645p0007d013[0-3]dc*dsc*dp*ic*isc*ip*in*", "usb:v1645p0007d0133dc00dsc00dp00ic08isc06ip50in00", true},
		{"devname:mapper/control", "devname:mapper/control", true},
		{"acpi*:PNP0A03:*", "acpi:PNP0A03:", true},
		{"of:N*T*Cfsl,imx*", "of:NmmcT(null)Cfsl,imx6q-usdhc", true},
		// fnmatch without FNM_PATHNAME: '*' and '?' cross '/'.
		{"a*b", "a/x/b", true},
		{"a?b", "a/b", true},
		// Sets.
		{"[!a]x", "bx", true},
		{"[!a]x", "ax", false},
		{"[^a]x", "ax", false},
		{"[]]", "]", true},
		{"[]a]", "a", true},
		{"[!]]", "]", false},
		{`[\]]`, "]", true},
		{"x[", "x[", true}, // unclosed: a literal '['
		{`\*`, "*", true},
		{`\*`, "a", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**a", "bba", true},
		{"*a*b*c", "xxaxxbxxcxx", false},
		{"*a*b*c", "xxaxxbxxc", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestNormalizeValid(t *testing.T) {
	for in, want := range map[string]string{
		"crypto-sha256":       "crypto_sha256",
		"scsi:t-0x00*":        "scsi:t_0x00*",
		"usb:v152Dd011[4-7]x": "usb:v152Dd011[4-7]x",
		"a-[b-c]-d":           "a_[b-c]_d",
		"a-[b-c":              "a_[b-c",
		"plain":               "plain",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	for p, want := range map[string]bool{"a*": true, "[a-z]x": true, "[]]": true, "a[": false, `a\`: false, `a\*`: true, "[!": false} {
		if got := Valid(p); got != want {
			t.Errorf("Valid(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestTable(t *testing.T) {
	tab := NewTable([]Alias{
		{"pci:v00001AF4d*sv*sd*bc*sc*i*", "virtio_pci"},
		{"pci:v*d*sv*sd*bc01sc06i01*", "ahci"},
		{"pci:v00008086d00002922sv*sd*bc*sc*i*", "ahci"},
		{"pci:v*d*sv*sd*bc01sc08i02*", "nvme"},
		{"virtio:d00000002v*", "virtio_blk"},
		{"scsi:t_0x00*", "sd_mod"},
		{"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "usb_storage"},
		{"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "uas"},
		{"crypto_sha256", "sha256_ssse3"},
		{"fs_ext4", "ext4"},
		{"*anything", "wild"},
	})
	for name, want := range map[string][]string{
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01": {"ahci"},
		"pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00": {"virtio_pci"},
		"virtio:d00000002v00001AF4":                             {"virtio_blk"},
		"scsi:t-0x00":                                           {"sd_mod"},
		"usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00":     {"uas", "usb_storage"},
		"crypto-sha256":                                         {"sha256_ssse3"},
		"crypto-sha2":                                           nil,
		"fs-ext4":                                               {"ext4"},
		"x-anything":                                            {"wild"},
		"cpu:type:x86,ven0000fam0006mod003F:feature:,0000":      nil,
		"": nil,
	} {
		if got := tab.Lookup(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Lookup(%q) = %q, want %q", name, got, want)
		}
	}
	var zero *Table
	if got := zero.Lookup("x"); got != nil {
		t.Errorf("nil Table: %q", got)
	}
}

// FuzzMatch checks Match against path.Match where their grammars agree
// (ASCII, which Match compares byte by byte and path.Match by rune; no '/', which path.Match treats specially; no '!' negation or ']' first
// in a set, which path.Match lacks), and that it never panics.
func FuzzMatch(f *testing.F) {
	f.Add("pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	f.Add("usb:v13FDp3940d0[0-2]*dc*", "usb:v13FDp3940d0150dc00")
	f.Add(`[\]a-c]x?\*`, "bxy*")
	f.Add("[!]]", "]")
	f.Add("x[", "x[")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match(pattern, name)
		_ = Normalize(pattern)
		if Valid(pattern) {
			NewTable([]Alias{{pattern, "m"}}).Lookup(name)
		}
		if !ascii(pattern+name) || strings.ContainsAny(pattern+name, "/!") || strings.Contains(pattern, "[]") || strings.Contains(pattern, "[^]") {
			return
		}
		want, err := path.Match(pattern, name)
		if err != nil {
			return
		}
		if got != want {
			t.Fatalf("Match(%q, %q) = %v, path.Match says %v", pattern, name, got, want)
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
