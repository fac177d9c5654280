package initramfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// rdOption is the kernel option that lets the kernel unpack an
// initramfs compressed with each method, and the release that brought it.
var rdOption = map[string]struct {
	option string
	since  [2]int
}{
	CompressionGzip: {"CONFIG_RD_GZIP", [2]int{}},   // as old as initramfs
	CompressionXZ:   {"CONFIG_RD_XZ", [2]int{2, 6}}, // 2.6.38
	CompressionZstd: {"CONFIG_RD_ZSTD", [2]int{5, 9}},
}

// CheckKernel says whether a kernel can unpack an initramfs compressed
// with method, judged from its configuration (the text of its .config,
// or nil when it was not found) or else from its release: a kernel that
// cannot unpack its initramfs boots without it, so the mistake must be
// caught when packing. It returns nil when the kernel can or when
// neither tells.
func CheckKernel(method string, config []byte, release string) error {
	rd, ok := rdOption[method]
	if !ok { // "none", or unknown (refused elsewhere)
		return nil
	}
	if config != nil {
		for line := range bytes.Lines(config) {
			if string(bytes.TrimSpace(line)) == rd.option+"=y" {
				return nil
			}
		}
		return fmt.Errorf("initramfs: kernel %s cannot unpack a %s archive: its configuration does not set %s=y", release, method, rd.option)
	}
	major, minor, ok := releaseVersion(release)
	if ok && (major < rd.since[0] || major == rd.since[0] && minor < rd.since[1]) {
		return fmt.Errorf("initramfs: kernel %s cannot unpack a %s archive: %s is in Linux %d.%d and later", release, method, rd.option, rd.since[0], rd.since[1])
	}
	return nil
}

// releaseVersion reads the major and minor numbers that start a kernel
// release such as "6.1.0-56-amd64".
func releaseVersion(release string) (major, minor int, ok bool) {
	maj, rest, ok1 := strings.Cut(release, ".")
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(maj)
	minor, err2 = strconv.Atoi(rest[:end])
	return major, minor, ok1 && err1 == nil && err2 == nil
}
