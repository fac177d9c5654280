package config

import (
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
)

// BenchmarkParse is the init's config stage on a verified A/B boot's
// command line: the kernel's grammar, then the typed configuration.
func BenchmarkParse(b *testing.B) {
	benchmarkParse(b, Packed{})
}

// BenchmarkParseListed is the same under a packed cmdline-keys=, which
// checks every word: its peer is BenchmarkParse.
func BenchmarkParseListed(b *testing.B) {
	benchmarkParse(b, Packed{Policy: []byte("cmdline-keys=BOOT_IMAGE console panic quiet\n")})
}

func benchmarkParse(b *testing.B, packed Packed) {
	const line = "BOOT_IMAGE=/vmlinuz console=ttyS0,115200 panic=-1 quiet rauc.slot=A " +
		"roothash=90a5af879394dfb560f4f8991bf55664ef99ac35fd68711ec556371443b33b84 " +
		"systemd.verity_root_data=PARTUUID=5e4c7b11-0000-4000-8000-0000000000d1 " +
		"systemd.verity_root_hash=PARTUUID=5e4c7b11-0000-4000-8000-0000000000e1 " +
		"systemd.verity_root_options=restart-on-corruption verinit.signature=required"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(cmdline.Parse(line), packed); err != nil {
			b.Fatal(err)
		}
	}
}
