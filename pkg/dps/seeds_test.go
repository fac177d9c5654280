package dps

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/gpt"
)

var genSeeds = flag.Bool("genseeds", false, "regenerate testdata/fuzz/FuzzDiscover with sfdisk")

// seedHash is the root hash the sfdisk seeds pair by.
const seedHash = "0123456789abcdef0123456789abcdef" + "fedcba9876543210fedcba9876543210"

// TestGenerateFuzzSeeds writes FuzzDiscover seeds made by sfdisk: 16-sector
// disks (the size fuzzDisk frames) with 4-entry tables holding DPS layouts.
// Each seed holds the header block and the entry array sfdisk wrote, the
// root hash, boot and fixCRC. Run it with
//
//	go test ./pkg/dps -run TestGenerateFuzzSeeds -genseeds
func TestGenerateFuzzSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("generator; run with -genseeds to rewrite the sfdisk seeds of testdata/fuzz/FuzzDiscover")
	}
	x, a := ArchX86_64, ArchARM64
	d, v, err := PairUUIDs(unhexT(t, seedHash))
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		start, size int
		typ, uuid   gpt.GUID
		attrs       string
		name        string
	}
	for _, s := range []struct {
		name  string
		parts []part
	}{
		{"sfdisk-ab-paired-ok", []part{
			{3, 3, typ(t, Root, x), d, "GUID:60", "root-a"},
			{6, 1, typ(t, RootVerity, x), v, "GUID:60", "root-a-verity"},
			{7, 3, typ(t, Root, x), uid(3), "", "root-b"},
			{10, 1, typ(t, RootVerity, x), uid(4), "", "root-b-verity"},
		}},
		{"sfdisk-noauto-versions-sig-ok", []part{
			{3, 2, typ(t, ESP, ""), uid(1), "LegacyBIOSBootable", "esp"},
			{5, 4, typ(t, Root, x), d, "GUID:63", "os_1.2"},
			{9, 1, typ(t, RootVerity, x), v, "", "os_1.2_verity"},
			{10, 1, typ(t, RootVeritySig, x), uid(4), "", "os_1.2_verity_sig"},
		}},
		{"sfdisk-usr-arm64-ok", []part{
			{3, 3, typ(t, Usr, a), d, "", "usr"},
			{6, 1, typ(t, UsrVerity, a), v, "", "usr-verity"},
			{7, 3, typ(t, Root, x), uid(3), "", "PRT#root"},
			{10, 1, typ(t, Root, a), uid(5), "", "root-arm64"},
		}},
	} {
		var sc strings.Builder
		sc.WriteString("label: gpt\nlabel-id: 4D0BE3E3-CDE8-4DB1-96E7-FBCAF984B709\ntable-length: 4\nfirst-lba: 3\nlast-lba: 13\nsector-size: 512\n")
		for _, p := range s.parts {
			fmt.Fprintf(&sc, "start=%d, size=%d, type=%s, uuid=%s, name=%q", p.start, p.size, p.typ, p.uuid, p.name)
			if p.attrs != "" {
				fmt.Fprintf(&sc, ", attrs=%q", p.attrs)
			}
			sc.WriteString("\n")
		}
		img := filepath.Join(t.TempDir(), "disk.img")
		if err := os.WriteFile(img, make([]byte, seedSectors*512), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sfdisk", "--no-reread", "--no-tell-kernel", "-q", img)
		cmd.Stdin = strings.NewReader(sc.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sfdisk: %v\n%s\n%s", err, out, sc.String())
		}
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := gpt.Read(bytes.NewReader(b), int64(len(b)), 512)
		if err != nil || len(tab.Partitions) != len(s.parts) {
			t.Fatalf("%s: gpt.Read: %v", s.name, err)
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\nbool(false)\nbool(true)\n", b[512:3*512], seedHash)
		dir := filepath.Join("testdata", "fuzz", "FuzzDiscover")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSfdiskSeeds checks that the committed sfdisk seeds frame into valid
// GPTs (as FuzzDiscover frames them) that reach the discovery code.
func TestSfdiskSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDiscover", "sfdisk-*-ok"))
	if err != nil || len(files) < 3 {
		t.Fatalf("%d sfdisk seeds: %v", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 5 || !strings.HasPrefix(lines[1], "[]byte(") {
				t.Fatalf("not a FuzzDiscover corpus file")
			}
			in, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
			if err != nil {
				t.Fatal(err)
			}
			for _, fix := range []bool{false, true} {
				disk := fuzzDisk([]byte(in), fix)
				tab, err := gpt.Read(bytes.NewReader(disk), int64(len(disk)), 512)
				if err != nil || len(tab.Partitions) != 4 {
					t.Fatalf("fixCRC %v: gpt.Read = %v, %v", fix, tab, err)
				}
				// The root SelectRoot picks on x86-64: the newer of two; none
				// when the only one is no-auto or a PRT# placeholder.
				want := map[string]string{"sfdisk-ab-paired-ok": "root-b", "sfdisk-noauto-versions-sig-ok": "", "sfdisk-usr-arm64-ok": ""}[filepath.Base(file)]
				c, err := SelectRoot([]Disk{{Name: "seed", Table: tab}}, ArchX86_64)
				if (want == "") != errors.Is(err, ErrNotFound) || (want != "" && c.Partition.Name != want) {
					t.Errorf("SelectRoot = %v, %v; want %q", c, err, want)
				}
			}
		})
	}
}
