package initramfs

import (
	"os"
	"strings"
	"testing"
)

func TestCheckKernel(t *testing.T) {
	debian := []byte("# comment\nCONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\nCONFIG_RD_ZSTD=y\n")
	noZstd := []byte("CONFIG_RD_GZIP=y\n# CONFIG_RD_ZSTD is not set\n")
	for _, tc := range []struct {
		method, release string
		config          []byte
		want            string // part of the error, "" for none
	}{
		{"zstd", "6.1.0-56-amd64", debian, ""},
		{"zstd", "6.1.0-56-amd64", noZstd, "kernel 6.1.0-56-amd64 cannot unpack a zstd archive: its configuration does not set CONFIG_RD_ZSTD=y"},
		{"gzip", "6.1.0-56-amd64", noZstd, ""},
		{"xz", "6.1.0", noZstd, "does not set CONFIG_RD_XZ=y"},
		{"none", "4.19.0", noZstd, ""},
		{"zstd", "5.4.0-150-generic", nil, "kernel 5.4.0-150-generic cannot unpack a zstd archive: CONFIG_RD_ZSTD is in Linux 5.9 and later"},
		{"zstd", "5.9.0", nil, ""},
		{"zstd", "5.10.0-rt", nil, ""},
		{"zstd", "4.14", nil, "Linux 5.9 and later"},
		{"zstd", "custom", nil, ""}, // neither tells
		{"zstd", "", nil, ""},
		{"gzip", "2.4.37", nil, ""},
	} {
		err := CheckKernel(tc.method, tc.config, tc.release)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckKernel(%s, %q) = %v, want %q", tc.method, tc.release, err, tc.want)
		}
	}
	// The configuration of the kernel the tests run against.
	if b, err := os.ReadFile("/boot/config-6.1.0-56-amd64"); err == nil {
		if err := CheckKernel(CompressionZstd, b, "6.1.0-56-amd64"); err != nil {
			t.Errorf("Debian's kernel: %v", err)
		}
	}
}
