package initramfs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/u-root/u-root/pkg/cpio"
	"github.com/verinit/verinit/internal/alloctest"
	"github.com/verinit/verinit/internal/fuzzseed"
	"golang.org/x/sys/unix"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzList with verinit's writer and GNU cpio")

// newcRecord returns one newc record with the given header fields (by
// field name) and name, padded as the format wants, followed by data.
func newcRecord(fields map[string]uint64, name string, data []byte) []byte {
	order := []string{"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"}
	vals := map[string]uint64{"mode": cpio.S_IFREG | 0o644, "nlink": 1, "filesize": uint64(len(data)), "namesize": uint64(len(name) + 1)}
	for k, v := range fields {
		vals[k] = v
	}
	b := []byte("070701")
	for _, k := range order {
		b = fmt.Appendf(b, "%08X", vals[k])
	}
	b = append(append(b, name...), 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func trailer() []byte { return newcRecord(nil, cpio.Trailer, nil) }

func TestList(t *testing.T) {
	in := slices.Concat(
		newcRecord(map[string]uint64{"mode": cpio.S_IFDIR | 0o755, "nlink": 2}, "etc", nil),
		newcRecord(nil, "/etc/hostname", []byte("box\n")),
		newcRecord(map[string]uint64{"mode": cpio.S_IFLNK | 0o777}, "sbin", []byte("bin")),
		trailer(),
		[]byte("garbage after the trailer is not read"),
	)
	ents, err := List(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, fmt.Sprintf("%s %o %q", e.Name, e.Mode, in[e.DataOffset:e.DataOffset+int64(e.FileSize)]))
	}
	want := []string{`etc 40755 ""`, `etc/hostname 100644 "box\n"`, `sbin 120777 "bin"`}
	if !slices.Equal(got, want) {
		t.Fatalf("List =\n%q\nwant\n%q", got, want)
	}
}

func TestListErrors(t *testing.T) {
	file := newcRecord(nil, "a", []byte("hello"))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "initramfs: no trailer: archive ends before the next header at byte 0"},
		{"no trailer", file, "initramfs: no trailer: archive ends before the next header at byte 120"},
		{"cut in the name", slices.Concat(file, trailer()[:112]), "initramfs: no trailer: archive ends inside a record at byte 120"},
		{"bad magic", slices.Concat([]byte("070702"), file[6:], trailer()), `initramfs: bad record: reader: magic got "070702", want "070701" at byte 0`},
		{"bad hex", slices.Concat(file[:20], []byte("x"), file[21:], trailer()), "initramfs: bad record: reader: error decoding hex: encoding/hex: invalid byte: U+0078 'x' at byte 0"},
		{"name size 0", slices.Concat(newcRecord(map[string]uint64{"namesize": 0}, "", nil), trailer()), "initramfs: bad record: name field of length zero at byte 0"},
		{"name size 2^32-1", slices.Concat(newcRecord(map[string]uint64{"namesize": 1<<32 - 1}, "a", nil), trailer()), "initramfs: name longer than 4096 bytes at byte 94: c_namesize 4294967295"},
		{"name size 4097", slices.Concat(newcRecord(map[string]uint64{"namesize": 4097}, "a", nil), trailer()), "initramfs: name longer than 4096 bytes at byte 94: c_namesize 4097"},
		{"file size 2^32-1", slices.Concat(newcRecord(map[string]uint64{"filesize": 1<<32 - 1}, "a", nil), trailer()), "initramfs: \"a\": contents past the end of the archive (236 bytes) at byte 0: c_filesize 4294967295"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ents, err := List(bytes.NewReader(tc.in), int64(len(tc.in)))
			if err == nil || err.Error() != tc.want || ents != nil {
				t.Fatalf("List = %v, %v; want %s", ents, err, tc.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %T does not match *FormatError and ErrMalformed", err)
			}
		})
	}
	// The longest name the kernel accepts is fine.
	long := strings.Repeat("d/", 2047) + "f"
	in := slices.Concat(newcRecord(nil, long, nil), trailer())
	if ents, err := List(bytes.NewReader(in), int64(len(in))); err != nil || len(ents) != 1 || ents[0].Name != long {
		t.Fatalf("List of a %d-byte name: %v", len(long)+1, err)
	}
	// An I/O error is not a FormatError.
	boom := errors.New("boom")
	if _, err := List(failReader{boom}, 1<<20); !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
		t.Fatalf("List on a failing device: %v", err)
	}
}

type failReader struct{ err error }

func (f failReader) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// TestListAllocation feeds List the worst headers: sizes and counts that
// u-root's reader would trust must not size an allocation, and many tiny
// records must cost memory in proportion to the input, up to MaxEntries.
func TestListAllocation(t *testing.T) {
	tiny := newcRecord(nil, "a", nil) // 116 bytes, the smallest record
	for _, tc := range []struct {
		name  string
		in    []byte
		limit uint64
	}{
		{"name size 2^32-1", slices.Concat(newcRecord(map[string]uint64{"namesize": 1<<32 - 1}, "a", nil), trailer()), 2 << 10},
		{"name size 2^32-1 after 4 KiB of records", slices.Concat(bytes.Repeat(tiny, 32), newcRecord(map[string]uint64{"namesize": 1<<32 - 1}, "a", nil), trailer()), 64 << 10},
		{"file size 2^32-1", slices.Concat(newcRecord(map[string]uint64{"filesize": 1<<32 - 1}, "a", nil), trailer()), 2 << 10},
		// u-root's reader costs about 1.1 KiB per record (reflection in
		// binary.Read), ten times the smallest record: MaxEntries caps it.
		{"MaxEntries+1 tiny records", slices.Concat(bytes.Repeat(tiny, MaxEntries+1), trailer()), 12 * 116 * (MaxEntries + 1)},
		{"64 KiB of zeros", make([]byte, 64<<10), 2 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := alloctest.Bytes(func() { _, err = List(bytes.NewReader(tc.in), int64(len(tc.in))) })
			if err == nil {
				t.Fatal("List accepted the input")
			}
			if got > tc.limit {
				t.Errorf("List allocated %d bytes for %d bytes of input (%v), limit %d", got, len(tc.in), err, tc.limit)
			}
		})
	}
}

// TestDecompressBound checks that a small file that decompresses to much
// more than maxBytes is refused after at most a few times maxBytes.
func TestDecompressBound(t *testing.T) {
	const maxBytes = 1 << 20
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	var err error
	got := alloctest.Bytes(func() { _, _, err = Decompress(bomb.Bytes(), maxBytes) })
	if want := "initramfs: gzip: more than 1048576 bytes uncompressed at byte 1048576"; err == nil || err.Error() != want {
		t.Fatalf("Decompress of a %d-byte gzip bomb: %v, want %s", bomb.Len(), err, want)
	}
	if got > 5*maxBytes {
		t.Errorf("Decompress allocated %d bytes for a %d-byte bomb with maxBytes %d, limit %d", got, bomb.Len(), maxBytes, 5*maxBytes)
	}
	for _, in := range [][]byte{nil, []byte("07070"), []byte("\x1f\x8b\x08"), []byte("\x28\xb5\x2f\xfd\x00"), []byte("\xfd7zXZ\x00\x00")} {
		if _, _, err := Decompress(in, maxBytes); err == nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("Decompress(%q) = %v, want a FormatError", in, err)
		}
	}
}

// FuzzList reads arbitrary bytes as an uncompressed archive. Nothing may
// panic; errors are one line and are FormatErrors (the input never fails a
// read); an archive List accepts must survive a write with u-root's
// writer (which drops repeated names) and a second List unchanged.
//
// Seeds: testdata/fuzz/FuzzList (archives written by verinit's Build and
// by GNU cpio, and hostile headers; see testdata/README.md).
func FuzzList(f *testing.F) {
	f.Add(slices.Concat(newcRecord(nil, "a", []byte("x")), trailer()))
	f.Fuzz(func(t *testing.T, in []byte) {
		ents, err := List(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || strings.ContainsAny(err.Error(), "\r\n") || fe.Offset < 0 || fe.Offset > int64(len(in)) {
				t.Fatalf("error %T %q: want a one-line *FormatError inside the input", err, err)
			}
			return
		}
		var out bytes.Buffer
		w := cpio.Newc.Writer(&out)
		var want []Entry
		seen := map[string]bool{}
		for _, e := range ents {
			if e.DataOffset < 0 || e.DataOffset+int64(e.FileSize) > int64(len(in)) {
				t.Fatalf("%s: contents at %d+%d outside %d bytes", e.Name, e.DataOffset, e.FileSize, len(in))
			}
			rec := cpio.Record{Info: e.Info, ReaderAt: bytes.NewReader(in[e.DataOffset : e.DataOffset+int64(e.FileSize)])}
			if err := w.WriteRecord(rec); err != nil {
				t.Fatalf("writing %s back: %v", e.Name, err)
			}
			if !seen[e.Name] {
				seen[e.Name] = true
				want = append(want, e)
			}
		}
		if err := cpio.WriteTrailer(w); err != nil {
			t.Fatal(err)
		}
		again, err := List(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("List of the rewritten archive: %v", err)
		}
		if len(again) != len(want) {
			t.Fatalf("rewritten archive has %d entries, want %d", len(again), len(want))
		}
		for i, e := range again {
			w := want[i]
			if e.Info != w.Info || !bytes.Equal(out.Bytes()[e.DataOffset:e.DataOffset+int64(e.FileSize)], in[w.DataOffset:w.DataOffset+int64(w.FileSize)]) {
				t.Fatalf("entry %d after a rewrite:\n got %v\nwant %v", i, e.Info, w.Info)
			}
		}
	})
}

// TestFuzzSeeds runs every committed FuzzList seed as a regression case:
// a name ending in -ok must list (with at least one entry), -bad must fail.
func TestFuzzSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzList", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found %d seeds in testdata/fuzz/FuzzList, want at least 6", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			in := fuzzseed.Read(t, file)
			ents, err := List(bytes.NewReader(in), int64(len(in)))
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil || len(ents) == 0 {
					t.Fatalf("List = %d entries, %v; want entries", len(ents), err)
				}
			case strings.HasSuffix(name, "-bad"):
				if err == nil {
					t.Fatalf("List = %d entries; want an error", len(ents))
				}
			default:
				t.Fatalf("seed name %q must end in -ok or -bad", name)
			}
		})
	}
}

// TestGenerateFuzzSeeds regenerates testdata/fuzz/FuzzList; see
// testdata/README.md. It runs only with -genseeds.
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("regenerates testdata; run with -genseeds")
	}
	// Crashers committed beside these seeds are kept.
	write := func(name string, b []byte) { fuzzseed.Write(t, "FuzzList", name, b) }
	// What verinit initramfs writes without modules: a small init, a
	// Yocto dm-verity.env, a policy and a certificate.
	src := t.TempDir()
	env := writeFile(t, filepath.Join(src, "dm-verity.env"), []byte("VERITY_HEADER_INFORMATION=\nUUID=8a678132-d493-401d-a0f6-903006c0a5d8\nHASH_TYPE=1\nDATA_BLOCKS=2048\n"), 0o644)
	verinit, _ := build(t, Spec{
		Init: writeFile(t, filepath.Join(src, "init"), []byte("#!/bin/sh\nexec /sbin/init\n"), 0o755), KernelRelease: "6.1.0-56-amd64",
		Files:       []FileMap{{Src: env, Dst: "/usr/share/misc/dm-verity.env"}},
		Contents:    map[string][]byte{"/etc/verinit/policy": []byte("verity=required\n")},
		Compression: CompressionNone, MTime: testMTime,
	})
	write("verinit-initramfs-ok", verinit)
	// GNU cpio -o -H newc: a directory, files, a symbolic link and a hard
	// link (GNU cpio stores the data once, with the last link).
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "etc", "hostname"), []byte("box\n"), 0o644)
	writeFile(t, filepath.Join(tree, "bin", "sh"), []byte("#!fake\n"), 0o755)
	if err := os.Symlink("bin", filepath.Join(tree, "sbin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(tree, "bin", "sh"), filepath.Join(tree, "bin", "ash")); err != nil {
		t.Fatal(err)
	}
	// Lutimes: os.Chtimes would follow sbin to bin and leave the link
	// with today's time, so that no two runs wrote the same seed.
	tv := unix.NsecToTimeval(testMTime.UnixNano())
	for _, p := range []string{"", "etc", "etc/hostname", "bin", "bin/sh", "bin/ash", "sbin"} {
		if err := unix.Lutimes(filepath.Join(tree, p), []unix.Timeval{tv, tv}); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(needTool(t, "cpio"), "-o", "-H", "newc", "--quiet", "--owner=0:0", "--reproducible")
	cmd.Dir = tree
	cmd.Stdin = strings.NewReader(".\netc\netc/hostname\nbin\nbin/sh\nbin/ash\nsbin\n")
	gnu, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -o: %v", err)
	}
	end := bytes.Index(gnu, []byte(cpio.Trailer+"\x00")) + len(cpio.Trailer) + 1
	write("gnu-cpio-ok", gnu[:(end+3)&^3]) // without the padding to 512-byte blocks
	// Hostile headers around a real record.
	write("namesize-max-bad", slices.Concat(newcRecord(map[string]uint64{"namesize": 1<<32 - 1}, "init", nil), trailer()))
	write("filesize-max-bad", slices.Concat(newcRecord(map[string]uint64{"filesize": 1<<32 - 1}, "init", nil), trailer()))
	write("truncated-bad", verinit[:len(verinit)/2])
	write("no-trailer-bad", verinit[:len(verinit)-len(trailer())])
}
