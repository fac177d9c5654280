//go:build vm

package vm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkBootToRealInit boots the same ext4 root (the same kernel and
// disk) with verinit's initramfs and with Debian's initramfs-tools one,
// and reports the kernel's clock (/proc/uptime) when the real init
// started, as printed by the real init itself. Run it with a fixed
// count, e.g. -benchtime=5x; compare the uptime-s metrics.
func BenchmarkBootToRealInit(b *testing.B) {
	debian, err := debianInitrd()
	if err != nil {
		b.Fatal(err)
	}
	root := "root=PARTUUID=" + uuidExt4
	for _, c := range []struct{ name, initrd, cmdline string }{
		{"verinit", shared.initrd, root + " quiet"},
		{"initramfs-tools", debian, root + " ro quiet"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var sum float64
			for range b.N {
				r := shared.bootWith(b, c.initrd, []string{"main"}, c.cmdline)
				up, ok := uptime(r.Console)
				if !ok {
					b.Fatalf("the real init did not print its uptime")
				}
				sum += up
			}
			b.ReportMetric(sum/float64(b.N), "uptime-s/op")
			b.ReportMetric(0, "ns/op") // wall time includes QEMU's start and firmware: not the figure
		})
	}
}

func debianInitrd() (string, error) {
	p := filepath.Join("/boot", "initrd.img-"+shared.release)
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// uptime reads "VERINIT-TEST-ROOT: uptime 2.41 1.10".
func uptime(console string) (float64, bool) {
	const marker = "VERINIT-TEST-ROOT: uptime "
	i := strings.Index(console, marker)
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(console[i+len(marker):])
	if len(fields) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	return v, err == nil
}
