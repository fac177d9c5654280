package modalias

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// machine is what coldplug reads from /sys/bus on a virtual machine (this
// host: a KVM guest with virtio devices), plus a SCSI disk and a USB
// stick, as hotplug would see them.
var machine = []string{
	"acpi:ACPI0013:", "acpi:LNXSYBUS:", "acpi:LNXSYSTM:", "acpi:PNP0303:", "acpi:PNP0501:", "acpi:PNP0A08:PNP0A03:",
	"acpi:VMGENCTR:VM_GEN_COUNTER:", "cpu:type:x86,ven0000fam0006mod008F:feature:,0000,0001,0002,0003,0089,0094",
	"pci:v00008086d00000D57sv00000000sd00000000bc06sc00i00",
	"pci:v00001AF4d00001045sv00001AF4sd00001045bcFFscFFi00",
	"pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00",
	"pci:v00001AF4d00001041sv00001AF4sd00001041bc02sc00i00",
	"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01",
	"platform:pcspkr", "platform:rtc_cmos", "platform:serial8250",
	"virtio:d00000005v00001AF4", "virtio:d00000002v00001AF4", "virtio:d00000001v00001AF4", "virtio:d00000004v00001AF4",
	"scsi:t-0x00", "usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00",
}

// storageAliases reads the storage drivers' aliases of the default load
// list for Debian's 6.1.0-56-amd64 (testdata/storage-aliases.txt).
func storageAliases(tb testing.TB) []Alias {
	tb.Helper()
	b, err := os.ReadFile("testdata/storage-aliases.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var out []Alias
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		p, m, ok := strings.Cut(line, " ")
		if !ok {
			tb.Fatalf("bad line %q", line)
		}
		out = append(out, Alias{Pattern: p, Module: m})
	}
	return out
}

// TestTableAgreesWithScan checks the index against trying every pattern.
// Both for aliases as the file has them (NewTable sorts) and as the
// packer writes them (sorted with Sort: NewTable only checks).
func TestTableAgreesWithScan(t *testing.T) {
	aliases := storageAliases(t)
	sorted := slices.Clone(aliases)
	Sort(sorted)
	if slices.Equal(sorted, aliases) {
		t.Fatalf("testdata/storage-aliases.txt is sorted already: the unsorted path goes untested")
	}
	for _, tab := range []*Table{NewTable(aliases), NewTable(sorted)} {
		for _, name := range machine {
			got := strings.Join(tab.Lookup(name), " ")
			want := strings.Join(scan(aliases, name), " ")
			if got != want {
				t.Errorf("%s: table %q, scan %q", name, got, want)
			}
		}
	}
}

func scan(aliases []Alias, name string) []string {
	name = Normalize(name)
	seen := map[string]bool{}
	var out []string
	for _, a := range aliases {
		if !seen[a.Module] && Match(a.Pattern, name) {
			seen[a.Module] = true
			out = append(out, a.Module)
		}
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// BenchmarkColdplug matches a machine's modaliases against the default
// set's storage aliases: through the prefix index, and (the peer) by
// trying every pattern, as a plain loop over modules.alias would.
func BenchmarkColdplug(b *testing.B) {
	aliases := storageAliases(b)
	tab := NewTable(aliases)
	b.Run("table", func(b *testing.B) {
		for range b.N {
			for _, name := range machine {
				tab.Lookup(name)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		for range b.N {
			for _, name := range machine {
				scan(aliases, name)
			}
		}
	})
}

// BenchmarkNewTable indexes the default set's storage aliases, as the
// init does at every boot.
func BenchmarkNewTable(b *testing.B) {
	aliases := storageAliases(b)
	b.ReportAllocs()
	for b.Loop() {
		NewTable(aliases)
	}
}
