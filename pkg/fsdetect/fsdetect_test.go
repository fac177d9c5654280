package fsdetect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool returns the path of a required tool. A missing tool fails the
// test: comparing with the real tools is the point.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
	return p
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(needTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// contentDir makes a small directory tree to put into images.
func contentDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "root")
	for _, f := range []struct{ name, data string }{
		{"etc/os-release", "ID=verinit\n"},
		{"sbin/init", "#!/bin/sh\n"},
		{"big", strings.Repeat("verinit ", 8192)},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// image is a file system image made by the real tools.
type image struct {
	name string
	make func(t testing.TB, img, dir string)
}

const (
	testUUID  = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	testUUID2 = "4c7a1b2e-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
)

func mke2fs(tool string, size string, args ...string) func(t testing.TB, img, dir string) {
	return func(t testing.TB, img, dir string) {
		t.Helper()
		all := append([]string{"-q", "-F"}, args...)
		all = append(all, "-d", dir, img, size)
		run(t, tool, all...)
	}
}

var images = []image{
	{name: "squashfs", make: func(t testing.TB, img, dir string) {
		run(t, "mksquashfs", dir, img, "-noappend", "-quiet", "-no-progress")
	}},
	{name: "squashfs-1M-blocks", make: func(t testing.TB, img, dir string) {
		run(t, "mksquashfs", dir, img, "-noappend", "-quiet", "-no-progress", "-b", "1M", "-comp", "xz")
	}},
	{name: "erofs", make: func(t testing.TB, img, dir string) {
		run(t, "mkfs.erofs", "-U"+testUUID2, img, dir)
	}},
	{name: "erofs-label", make: func(t testing.TB, img, dir string) { mkfsEROFSLabel(t, img, dir, "verinit-root") }},
	{name: "erofs-lz4hc", make: func(t testing.TB, img, dir string) {
		run(t, "mkfs.erofs", "-zlz4hc", "-U"+testUUID, img, dir)
	}},
	{name: "ext4", make: mke2fs("mkfs.ext4", "8M", "-U", testUUID, "-L", "verinit root")},
	{name: "ext4-4k", make: mke2fs("mkfs.ext4", "16M", "-b", "4096", "-U", testUUID2, "-L", "0123456789abcdef")},
	{name: "ext4-nocsum", make: mke2fs("mkfs.ext4", "8M", "-O", "^metadata_csum,^64bit", "-U", testUUID, "-L", "x")},
	{name: "ext4-nojournal", make: mke2fs("mkfs.ext4", "8M", "-O", "^has_journal", "-U", testUUID)},
	{name: "ext3", make: mke2fs("mkfs.ext3", "8M", "-U", testUUID, "-L", "ext3 label  ")},
	{name: "ext2", make: mke2fs("mkfs.ext2", "8M", "-U", testUUID2, "-L", `we$ird"'<`)},
}

// mkfsEROFSLabel makes an EROFS image with a volume label. erofs-utils 1.5
// has no -L; then the label is written into the superblock and the
// checksum recomputed (blkid checks it independently).
func mkfsEROFSLabel(t testing.TB, img, dir, lbl string) {
	t.Helper()
	out, err := exec.Command(needTool(t, "mkfs.erofs"), "-U"+testUUID, "-L"+lbl, img, dir).CombinedOutput()
	if err == nil {
		return
	}
	if !strings.Contains(string(out), "invalid option") {
		t.Fatalf("mkfs.erofs -L: %v\n%s", err, out)
	}
	run(t, "mkfs.erofs", "-U"+testUUID, img, dir)
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	sb := b[1024:]
	copy(sb[64:80], make([]byte, 16))
	copy(sb[64:80], lbl)
	fixEROFSChecksum(b)
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fixEROFSChecksum(img []byte) {
	sb := img[1024:]
	n := 1 << sb[12]
	if n > 1024 {
		n -= 1024
	}
	binary.LittleEndian.PutUint32(sb[4:], 0)
	c := ^crc32.Update(0, crc32.MakeTable(crc32.Castagnoli), sb[:n])
	binary.LittleEndian.PutUint32(sb[4:], c)
}

func fixExtChecksum(img []byte) {
	sb := img[1024:2048]
	binary.LittleEndian.PutUint32(sb[0x3fc:], ^crc32.Update(0, crc32.MakeTable(crc32.Castagnoli), sb[:0x3fc]))
}

// blkid runs blkid -p -o export and returns its values; ok is false when
// blkid finds nothing (exit status 2). Other failures (such as an ambiguous
// result, status 8) are returned as status.
func blkid(t testing.TB, img string) (vals map[string]string, status int) {
	t.Helper()
	out, err := exec.Command(needTool(t, "blkid"), "-p", "-o", "export", img).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("blkid: %v", err)
	}
	vals = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vals[k] = unescapeExport(v)
	}
	return vals, 0
}

// unescapeExport undoes blkid's -o export quoting, which puts a backslash
// before shell-special characters.
func unescapeExport(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// buildImage makes one image and returns its bytes and path.
func buildImage(t testing.TB, im image) (string, []byte) {
	t.Helper()
	img := filepath.Join(t.TempDir(), im.name+".img")
	im.make(t, img, contentDir(t))
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return img, b
}

func probeBytes(b []byte) (Info, error) {
	return Probe(bytes.NewReader(b), int64(len(b)))
}

// TestProbeTools compares Probe with blkid on images made by mksquashfs,
// mkfs.erofs and mke2fs.
func TestProbeTools(t *testing.T) {
	want := map[string]Info{
		"squashfs":           {Type: Squashfs},
		"squashfs-1M-blocks": {Type: Squashfs},
		"erofs":              {Type: EROFS, UUID: testUUID2},
		"erofs-label":        {Type: EROFS, UUID: testUUID, Label: "verinit-root"},
		"erofs-lz4hc":        {Type: EROFS, UUID: testUUID},
		"ext4":               {Type: Ext4, UUID: testUUID, Label: "verinit root"},
		"ext4-4k":            {Type: Ext4, UUID: testUUID2, Label: "0123456789abcdef"},
		"ext4-nocsum":        {Type: Ext4, UUID: testUUID, Label: "x"},
		"ext4-nojournal":     {Type: Ext4, UUID: testUUID},
		"ext3":               {Type: Ext3, UUID: testUUID, Label: "ext3 label"},
		"ext2":               {Type: Ext2, UUID: testUUID2, Label: `we$ird"'<`},
	}
	for _, im := range images {
		t.Run(im.name, func(t *testing.T) {
			path, b := buildImage(t, im)
			got, err := probeBytes(b)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			// ext and erofs images fill their file; mksquashfs pads
			// bytes_used to 4 KiB.
			size := uint64(len(b))
			if got.Type == Squashfs {
				if got.SizeBytes == 0 || (got.SizeBytes+4095)/4096*4096 != size {
					t.Errorf("SizeBytes = %d for a %d-byte squashfs image", got.SizeBytes, size)
				}
			} else if got.SizeBytes != size {
				t.Errorf("SizeBytes = %d, want the image size %d", got.SizeBytes, size)
			}
			got.SizeBytes = 0
			if got != want[im.name] {
				t.Errorf("Probe = %+v, want %+v", got, want[im.name])
			}
			vals, status := blkid(t, path)
			if status != 0 {
				t.Fatalf("blkid exit status %d", status)
			}
			if bl := (Info{Type: Type(vals["TYPE"]), UUID: vals["UUID"], Label: vals["LABEL"]}); got != bl {
				t.Errorf("Probe = %+v, blkid = %+v", got, bl)
			}
			if got.Type.KernelName() == "" {
				t.Errorf("KernelName of %q is empty", got.Type)
			}
		})
	}
}

// TestProbeErrors damages real images and checks the exact error, and that
// blkid, too, finds nothing (or something ambiguous) where Probe fails.
func TestProbeErrors(t *testing.T) {
	base := map[string][]byte{}
	for _, im := range images {
		switch im.name {
		case "squashfs", "erofs", "ext4", "ext4-nocsum", "ext3":
			_, base[im.name] = buildImage(t, im)
		}
	}
	put16 := func(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
	put32 := func(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
	cases := []struct {
		name    string
		from    string // base image, or "" for 8 KiB of zeros
		mut     func(b []byte) []byte
		want    string // exact error
		is      error  // sentinel the error matches, if any
		blkidOK bool   // blkid still finds a file system
		// blkid status: 2 = nothing found, 8 = ambiguous; 0 means "do not
		// run blkid" unless blkidOK.
		blkidStatus int
		// blkidSince is the util-linux version from which blkid agrees
		// (status 2); older versions still report the file system.
		blkidSince [2]int
	}{
		{name: "zeros", want: ErrUnknown.Error(), is: ErrUnknown, blkidStatus: 2},
		{name: "empty", mut: func([]byte) []byte { return nil }, want: ErrUnknown.Error(), is: ErrUnknown},
		{name: "GPT disk", from: "", mut: func(b []byte) []byte { copy(b[512:], "EFI PART"); return b }, want: ErrUnknown.Error(), is: ErrUnknown},
		{name: "ext4 bad checksum", from: "ext4",
			mut:  func(b []byte) []byte { b[1024+0x78] = 'X'; return b },
			want: "fsdetect: ext superblock: bad checksum at byte 0x7fc: got 0x%x, want 0x%x", blkidSince: [2]int{2, 39}},
		{name: "ext log block size 7", from: "ext4-nocsum",
			mut:  func(b []byte) []byte { put32(b, 1024+0x18, 7); return b },
			want: "fsdetect: ext superblock: block size larger than 64 KiB at byte 0x418: got 7, want <= 6"},
		{name: "ext log block size 256 is not ext", from: "ext4-nocsum",
			mut:  func(b []byte) []byte { put32(b, 1024+0x18, 256); return b },
			want: ErrUnknown.Error(), is: ErrUnknown, blkidSince: [2]int{2, 42}},
		{name: "ext journal_dev", from: "ext4",
			mut: func(b []byte) []byte {
				put32(b, 1024+0x60, binary.LittleEndian.Uint32(b[1024+0x60:])|0x8)
				fixExtChecksum(b)
				return b
			},
			want: "fsdetect: ext superblock: external journal device (journal_dev), not a file system at byte 0x460: got 0x2ca"},
		{name: "ext needs_recovery without a journal", from: "ext3",
			mut: func(b []byte) []byte {
				put32(b, 1024+0x5c, binary.LittleEndian.Uint32(b[1024+0x5c:])&^0x4)
				put32(b, 1024+0x60, binary.LittleEndian.Uint32(b[1024+0x60:])|0x4)
				return b
			},
			want: "fsdetect: ext superblock: needs_recovery without a journal at byte 0x460: got 0x6", blkidStatus: 2},
		{name: "erofs bad checksum", from: "erofs",
			mut:  func(b []byte) []byte { b[1024+64] = 'X'; return b },
			want: "fsdetect: erofs superblock: bad checksum at byte 0x404: got 0x%x, want 0x%x", blkidSince: [2]int{2, 39}},
		{name: "erofs block size 256", from: "erofs",
			mut:  func(b []byte) []byte { b[1024+12] = 8; return b },
			want: "fsdetect: erofs superblock: unsupported block size at byte 0x40c: got 8, want 9..16"},
		{name: "erofs checksum area past the end", from: "erofs",
			mut:  func(b []byte) []byte { return b[:4000] },
			want: "fsdetect: erofs superblock: checksummed area past the end of the device at byte 0x404: got 3072 bytes, want <= 2976 bytes"},
		{name: "squashfs version 3", from: "squashfs",
			mut:  func(b []byte) []byte { put16(b, 28, 3); return b },
			want: "fsdetect: squashfs superblock: unsupported version at byte 0x1c: got 3.0, want 4.0", blkidOK: true},
		{name: "squashfs version 4.1", from: "squashfs",
			mut:  func(b []byte) []byte { put16(b, 30, 1); return b },
			want: "fsdetect: squashfs superblock: unsupported version at byte 0x1c: got 4.1, want 4.0", blkidOK: true},
		{name: "squashfs block size mismatch", from: "squashfs",
			mut:  func(b []byte) []byte { put16(b, 22, 16); return b },
			want: "fsdetect: squashfs superblock: block size does not match block_log at byte 0xc: got 131072, want 1<<block_log = 1<<16 (block_log <= 20)", blkidOK: true},
		{name: "squashfs truncated", from: "squashfs",
			mut:  func(b []byte) []byte { return b[:200] },
			want: "fsdetect: squashfs superblock: file system larger than the device at byte 0x28: got %d, want <= 200", blkidStatus: 2},
		{name: "squashfs and ext4", from: "squashfs",
			mut: func(b []byte) []byte {
				// 4 MiB: blkid returns the first match on "tiny" devices.
				b = append(b, make([]byte, 4<<20-len(b))...)
				copy(b[1024:2048], base["ext4"][1024:2048])
				return b
			},
			want: "fsdetect: superblocks of squashfs and ext4 found", is: ErrAmbiguous, blkidStatus: 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := make([]byte, 8192)
			if c.from != "" {
				b = bytes.Clone(base[c.from])
			}
			if c.mut != nil {
				b = c.mut(b)
			}
			want := c.want
			if strings.Contains(want, "%") {
				want = fillWant(t, c.name, b, want)
			}
			info, err := probeBytes(b)
			if err == nil || err.Error() != want {
				t.Fatalf("Probe = %+v, %v\nwant error %s", info, err, want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("errors.Is(err, %v) = false", c.is)
			}
			var fe *FormatError
			if isFormat := errors.As(err, &fe); isFormat != strings.Contains(want, " at byte 0x") {
				t.Errorf("errors.As(*FormatError) = %v", isFormat)
			}
			if c.blkidSince != [2]int{} {
				if blkidAtLeast(t, c.blkidSince) {
					c.blkidStatus = 2
				} else {
					c.blkidOK = true
				}
			}
			if c.blkidStatus != 0 || c.blkidOK {
				p := filepath.Join(t.TempDir(), "img")
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				vals, status := blkid(t, p)
				if c.blkidOK && (status != 0 || vals["TYPE"] == "") {
					t.Errorf("blkid status %d %v, want a file system", status, vals)
				}
				if c.blkidStatus != 0 && status != c.blkidStatus {
					t.Errorf("blkid status %d %v, want %d", status, vals, c.blkidStatus)
				}
			}
		})
	}
}

// blkidAtLeast reports whether blkid is util-linux v[0].v[1] or newer.
func blkidAtLeast(t *testing.T, v [2]int) bool {
	t.Helper()
	out, err := exec.Command(needTool(t, "blkid"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// "blkid from util-linux 2.38.1  (libblkid 2.38.1, 04-Aug-2022)"
	var major, minor int
	if _, err := fmt.Sscanf(string(out), "blkid from util-linux %d.%d", &major, &minor); err != nil {
		t.Fatalf("blkid --version %q: %v", out, err)
	}
	return major > v[0] || major == v[0] && minor >= v[1]
}

// fillWant computes the values in an expected error from the image, with
// code independent of the package.
func fillWant(t *testing.T, name string, b []byte, format string) string {
	t.Helper()
	tab := crc32.MakeTable(crc32.Castagnoli)
	switch {
	case strings.HasPrefix(name, "ext4 bad checksum"):
		sb := b[1024:2048]
		return fmt.Sprintf(format, binary.LittleEndian.Uint32(sb[0x3fc:]), ^crc32.Update(0, tab, sb[:0x3fc]))
	case strings.HasPrefix(name, "erofs bad checksum"):
		sb := bytes.Clone(b[1024:4096])
		got := binary.LittleEndian.Uint32(sb[4:])
		binary.LittleEndian.PutUint32(sb[4:], 0)
		return fmt.Sprintf(format, got, ^crc32.Update(0, tab, sb))
	case strings.HasPrefix(name, "squashfs truncated"):
		return fmt.Sprintf(format, binary.LittleEndian.Uint64(b[40:]))
	}
	t.Fatalf("no values for %s", name)
	return ""
}

// TestProbeEROFSLargeBlocks checks the read of a checksummed area larger
// than the first 4 KiB. blkid refuses EROFS blocks above 4 KiB, the kernel
// allows up to the page size, so there is no blkid comparison here.
func TestProbeEROFSLargeBlocks(t *testing.T) {
	_, b := buildImage(t, images[2]) // erofs
	b = append(b, make([]byte, 64<<10)...)
	b[1024+12] = 16
	fixEROFSChecksum(b)
	got, err := probeBytes(b)
	got.SizeBytes = 0
	if err != nil || got != (Info{Type: EROFS, UUID: testUUID2}) {
		t.Fatalf("Probe = %+v, %v", got, err)
	}
	b[1024+60000] ^= 1
	if _, err := probeBytes(b); err == nil || !strings.Contains(err.Error(), "erofs superblock: bad checksum") {
		t.Fatalf("Probe after damage past 4 KiB: %v", err)
	}
	fr := &failingReader{r: bytes.NewReader(b), from: 8192, to: 8193}
	if _, err := Probe(fr, int64(len(b))); err == nil || err.Error() != "fsdetect: read 64512 bytes at byte 0x400: boom" || !errors.Is(err, errBoom) {
		t.Fatalf("Probe on a failing reader: %v", err)
	}
}

var errBoom = errors.New("boom")

type failingReader struct {
	r        io.ReaderAt
	from, to int64
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < f.to && off+int64(len(p)) > f.from {
		return 0, errBoom
	}
	return f.r.ReadAt(p, off)
}

func TestProbeIO(t *testing.T) {
	b := make([]byte, 8192)
	if _, err := Probe(&failingReader{r: bytes.NewReader(b), from: 0, to: 1}, 8192); err == nil ||
		err.Error() != "fsdetect: read 4096 bytes at byte 0x0: boom" || !errors.Is(err, errBoom) {
		t.Errorf("Probe on a failing reader: %v", err)
	}
	if _, err := Probe(bytes.NewReader(b), 9000); err == nil || !errors.Is(err, ErrUnknown) {
		t.Errorf("Probe with a size past the data: %v, want ErrUnknown (the first 4 KiB exist)", err)
	}
	if _, err := Probe(bytes.NewReader(b[:100]), 9000); err == nil ||
		err.Error() != "fsdetect: read 4096 bytes at byte 0x0: unexpected EOF" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Probe with a short reader: %v", err)
	}
	if _, err := Probe(bytes.NewReader(b), -1); err == nil || err.Error() != "fsdetect: invalid device size -1" {
		t.Errorf("Probe with size -1: %v", err)
	}
}

func TestKernelName(t *testing.T) {
	for typ, want := range map[Type]string{Ext2: "ext4", Ext3: "ext4", Ext4: "ext4", Squashfs: "squashfs", EROFS: "erofs", "": "", "vfat": ""} {
		if got := typ.KernelName(); got != want {
			t.Errorf("Type(%q).KernelName() = %q, want %q", typ, got, want)
		}
	}
}

func TestLabelAndUUID(t *testing.T) {
	for in, want := range map[string]string{
		"root\x00\x00":      "root",
		"a b  \t":           "a b",
		"ab\x00cd":          "ab",
		"":                  "",
		"0123456789abcdef":  "0123456789abcdef",
		"  lead":            "  lead",
		"\xff\xfe bytes   ": "\xff\xfe bytes",
	} {
		if got := label([]byte(in)); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
	if got := formatUUID(make([]byte, 16)); got != "" {
		t.Errorf("formatUUID(zero) = %q", got)
	}
	u := []byte{0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78, 0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9}
	if got := formatUUID(u); got != testUUID {
		t.Errorf("formatUUID = %q, want %q", got, testUUID)
	}
}
