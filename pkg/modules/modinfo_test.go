package modules

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/fuzzseed"
	"github.com/verinit/verinit/internal/testkernel"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzParseModinfo from Debian's amd64 and arm64 modules")

func TestParseModinfo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    Modinfo
		wantErr string
	}{
		{
			name: "virtio_blk as modpost writes it",
			in: "\x00\x00license=GPL\x00description=Virtio block driver\x00parmtype=queue_depth:uint\x00" +
				"alias=virtio:d00000002v*\x00depends=\x00retpoline=Y\x00intree=Y\x00name=virtio_blk\x00vermagic=6.1.0 SMP mod_unload\x00\x00\x00",
			want: Modinfo{Aliases: []string{"virtio:d00000002v*"}},
		},
		{
			name: "softdeps, depends, aliases in order",
			in:   "softdep=pre: crypto-crc32c\x00depends=mbcache,jbd2\x00alias=fs-ext4\x00alias=ext3\x00softdep=post: a pre: b c\x00",
			want: Modinfo{Aliases: []string{"fs-ext4", "ext3"},
				Softdeps: []Softdep{{Pre: []string{"crypto_crc32c"}}, {Pre: []string{"b", "c"}, Post: []string{"a"}}},
				Depends:  []string{"mbcache", "jbd2"}},
		},
		{
			name: "depends with dashes, a key without value, UTF-8 and no final NUL",
			in:   "author=Ren\xc3\xa9\x00intree\x00depends=dm-bufio,,dm-mod",
			want: Modinfo{Depends: []string{"dm_bufio", "dm_mod"}},
		},
		{name: "empty", in: "", want: Modinfo{}},
		{name: "only padding", in: "\x00\x00\x00", want: Modinfo{}},
		{name: "alias with a space", in: "license=GPL\x00alias=pci:v* d*\x00", wantErr: `.modinfo line 2: alias "pci:v* d*": not printable ASCII without spaces`},
		{name: "empty alias", in: "alias=\x00", wantErr: `line 1: alias: not printable`},
		{name: "unclosed bracket", in: "alias=usb:v1234p[0-\x00", wantErr: "malformed glob"},
		{name: "bad softdep name", in: "softdep=pre: a\x01b\x00", wantErr: `softdep "a\x01b": not printable ASCII`},
		{name: "bad depends", in: "depends=a/b\x00", wantErr: `depends "a/b": not a module name`},
		{name: "too large", in: strings.Repeat("x", maxModinfoBytes+1), wantErr: "at most 1048576 allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseModinfo([]byte(tc.in))
			if tc.wantErr != "" {
				var fe *FormatError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("ParseModinfo: %v, want a FormatError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseModinfo = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// formatModinfo writes mi as a .modinfo section: the records ParseModinfo
// reads, one per alias, softdep and depends list.
func formatModinfo(mi Modinfo) []byte {
	var b bytes.Buffer
	for _, a := range mi.Aliases {
		b.WriteString("alias=" + a + "\x00")
	}
	for _, sd := range mi.Softdeps {
		b.WriteString("softdep=")
		if sd.Pre != nil {
			b.WriteString("pre: " + strings.Join(sd.Pre, " ") + " ")
		}
		if sd.Post != nil {
			b.WriteString("post: " + strings.Join(sd.Post, " "))
		}
		b.WriteByte(0)
	}
	if mi.Depends != nil {
		b.WriteString("depends=" + strings.Join(mi.Depends, ",") + "\x00")
	}
	return b.Bytes()
}

// FuzzParseModinfo: any section gives a Modinfo or a one-line
// *FormatError, and what parses is written back and parsed to the same.
func FuzzParseModinfo(f *testing.F) {
	f.Add([]byte("alias=of:N*T*Carasan,sdhci-5.1C*\x00alias=of:N*T*Carasan,sdhci-5.1\x00depends=sdhci-pltfm,cqhci,sdhci\x00"))
	f.Add([]byte("softdep=pre: crypto-crc32c\x00name=ext4\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mi, err := ParseModinfo(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		again, err := ParseModinfo(formatModinfo(mi))
		if err != nil {
			t.Fatalf("%#v written back does not parse: %v", mi, err)
		}
		if !reflect.DeepEqual(normModinfo(again), normModinfo(mi)) {
			t.Fatalf("round trip: %#v, want %#v", again, mi)
		}
	})
}

// normModinfo makes empty lists nil, as formatModinfo cannot tell them
// apart.
func normModinfo(mi Modinfo) Modinfo {
	for i, sd := range mi.Softdeps {
		if len(sd.Pre) == 0 {
			mi.Softdeps[i].Pre = nil
		}
		if len(sd.Post) == 0 {
			mi.Softdeps[i].Post = nil
		}
	}
	if len(mi.Depends) == 0 {
		mi.Depends = nil
	}
	return mi
}

// TestModinfoSeeds runs every committed FuzzParseModinfo seed as a
// regression case: a name ending in -ok must parse, -bad must fail.
func TestModinfoSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseModinfo", "*"))
	if err != nil || len(files) < 8 {
		t.Fatalf("%d seeds in testdata/fuzz/FuzzParseModinfo, %v; want at least 8", len(files), err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			mi, err := ParseModinfo(fuzzseed.Read(t, file))
			switch {
			case strings.HasSuffix(name, "-ok"):
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(name, "debian-") && len(mi.Aliases) == 0 {
					t.Errorf("no aliases in a Debian driver's .modinfo")
				}
			case strings.HasSuffix(name, "-bad"):
				if err == nil {
					t.Fatalf("ParseModinfo = %#v; want an error", mi)
				}
			default:
				t.Fatalf("seed name %q must end in -ok or -bad", name)
			}
		})
	}
}

// TestGenerateModinfoSeeds regenerates testdata/fuzz/FuzzParseModinfo
// from the .modinfo sections of Debian's modules; see testdata/README.md.
// It runs only with -genseeds.
func TestGenerateModinfoSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("regenerates testdata; run with -genseeds")
	}
	write := func(name string, b []byte) { fuzzseed.Write(t, "FuzzParseModinfo", name, b) }
	for _, src := range []struct {
		dir     string
		name    string // seed name
		modules []string
	}{
		{kernelModulesDir(t), "debian-amd64-", []string{"kernel/drivers/block/virtio_blk.ko", "kernel/fs/ext4/ext4.ko", "kernel/drivers/usb/storage/uas.ko"}},
		{testkernel.Foreign(t, "arm64"), "debian-arm64-", []string{"kernel/drivers/mmc/host/sdhci-of-arasan.ko", "kernel/drivers/virtio/virtio_mmio.ko", "kernel/drivers/nvme/host/nvme.ko"}},
	} {
		for _, p := range src.modules {
			data, err := os.ReadFile(filepath.Join(src.dir, p))
			if err != nil {
				t.Fatal(err)
			}
			o, err := readObject(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			write(src.name+Name(p)+"-ok", o.modinfo)
		}
	}
	write("padding-no-final-nul-ok", []byte("\x00\x00alias=a\x00\x00\x00intree\x00depends=x-y,,z"))
	write("softdep-post-before-pre-ok", []byte("softdep=post: a pre: b post: c\x00softdep=gcm\x00"))
	write("utf8-description-ok", []byte("description=Ren\xc3\xa9's \xff driver\x00alias=x\x00"))
	write("alias-space-bad", []byte("alias=pci:v* d*\x00"))
	write("alias-bracket-bad", []byte("alias=usb:v1234p[0-\x00"))
	write("depends-path-bad", []byte("depends=../x\x00"))
}
