package image

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
)

// createFile runs Create into a new file and returns its path and layout.
func createFile(t *testing.T, spec Spec) (string, *Layout) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := Create(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != l.SizeBytes {
		t.Fatalf("file is %d bytes, layout says %d", st.Size(), l.SizeBytes)
	}
	return out, l
}

func TestCreate(t *testing.T) {
	images := map[string]string{}
	for _, fs := range []string{FSSquashfs, FSErofs} {
		images[fs] = buildImage(t, fs)
	}
	for _, c := range []struct {
		fs   string
		ss   int
		arch dps.Arch
	}{
		{FSSquashfs, 512, dps.ArchX86_64},
		{FSSquashfs, 4096, dps.ArchARM64},
		{FSErofs, 512, dps.ArchRISCV64},
		{FSErofs, 4096, dps.ArchX86_64},
	} {
		t.Run(c.fs+"/"+strconv.Itoa(c.ss), func(t *testing.T) {
			img := images[c.fs]
			disk, l := createFile(t, Spec{Image: img, SectorSize: c.ss, Arch: c.arch})
			checkLayout(t, l, img, c.ss, c.arch)
			checkGPT(t, disk, l)
			if c.ss == 512 {
				checkTool(t, l, sfdiskJSON(t, disk))
			} else {
				checkTool(t, l, fdiskDump(t, disk, c.ss))
			}
			checkContents(t, disk, l, img)
			checkDiscovery(t, disk, l)
		})
	}
}

// checkLayout checks l against the rules of Create.
func checkLayout(t *testing.T, l *Layout, img string, ss int, arch dps.Arch) {
	t.Helper()
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if l.SectorSize != ss || l.Arch != arch || len(l.Slots) != 2 {
		t.Fatalf("layout: sector size %d, arch %s, %d slots", l.SectorSize, l.Arch, len(l.Slots))
	}
	end := int64(AlignBytes)
	for i, s := range l.Slots {
		name := string(rune('a' + i))
		if s.Name != name || s.Bootname != strings.ToUpper(name) {
			t.Errorf("slot %d named %q/%q", i, s.Name, s.Bootname)
		}
		for j, p := range []Partition{s.Data, s.Verity} {
			role := []dps.Role{dps.Root, dps.RootVerity}[j]
			label := []string{"root-" + name, "root-" + name + "-verity"}[j]
			if r, a, ok := dps.Identify(p.Type); !ok || r != role || a != arch {
				t.Errorf("%s: type %s is %v %s", label, p.Type, r, a)
			}
			if p.Label != label || p.Number != 2*i+j+1 {
				t.Errorf("partition %d labelled %q, want %d %q", p.Number, p.Label, 2*i+j+1, label)
			}
			if p.OffsetBytes != end || p.OffsetBytes%AlignBytes != 0 || p.SizeBytes%AlignBytes != 0 || p.SizeBytes == 0 {
				t.Errorf("%s at %d, %d bytes: not aligned or not contiguous (want start %d)", label, p.OffsetBytes, p.SizeBytes, end)
			}
			if int64(p.FirstLBA)*int64(ss) != p.OffsetBytes || int64(p.LastLBA+1)*int64(ss) != p.OffsetBytes+p.SizeBytes {
				t.Errorf("%s: LBAs %d-%d do not match bytes %d+%d", label, p.FirstLBA, p.LastLBA, p.OffsetBytes, p.SizeBytes)
			}
			if p.Attributes != dps.FlagReadOnly {
				t.Errorf("%s: attributes %#x", label, p.Attributes)
			}
			end += p.SizeBytes
		}
		if s.Data.SizeBytes != roundUp(st.Size(), AlignBytes) {
			t.Errorf("slot %s: data partition %d bytes for an image of %d", name, s.Data.SizeBytes, st.Size())
		}
		d, v, err := dps.PairUUIDs(s.RootHash)
		if err != nil || d != s.Data.UUID || v != s.Verity.UUID {
			t.Errorf("slot %s: UUIDs %s %s do not pair with root hash %x", name, s.Data.UUID, s.Verity.UUID, s.RootHash)
		}
		if !bytes.Equal(dps.GuessRootHash(s.Data.UUID, s.Verity.UUID), s.RootHash) {
			t.Errorf("slot %s: GuessRootHash does not give the root hash back", name)
		}
		if p := s.Params; p.Algorithm != "sha256" || p.DataBlockSize != 4096 || p.HashBlockSize != 4096 || p.HashType != 1 ||
			len(p.Salt) != 32 || p.NoSuperblock || p.DataBlocks != uint64(s.Data.SizeBytes/4096) {
			t.Errorf("slot %s: tree parameters %+v", name, p)
		}
		want := "roothash=" + hex.EncodeToString(s.RootHash) + " systemd.verity_root_data=PARTUUID=" + s.Data.UUID.String() +
			" systemd.verity_root_hash=PARTUUID=" + s.Verity.UUID.String() + " rauc.slot=" + s.Bootname
		if got := s.Cmdline(); got != want {
			t.Errorf("Cmdline() = %q, want %q", got, want)
		}
	}
	if l.Slots[0].RootHash == nil || bytes.Equal(l.Slots[0].RootHash, l.Slots[1].RootHash) {
		t.Errorf("slots a and b have root hashes %x and %x: the salts must differ", l.Slots[0].RootHash, l.Slots[1].RootHash)
	}
	if l.SizeBytes != end+AlignBytes {
		t.Errorf("disk is %d bytes, want %d (partitions) + 1 MiB", l.SizeBytes, end)
	}
}

// checkGPT reads the disk with package gpt, from the primary and, with the
// primary header hidden, from the backup.
func checkGPT(t *testing.T, disk string, l *Layout) {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ss, err := gpt.ProbeSectorSize(f, l.SizeBytes)
	if err != nil || ss != l.SectorSize {
		t.Errorf("ProbeSectorSize = %d, %v; want %d", ss, err, l.SectorSize)
	}
	arrayBlocks := uint64(16384 / l.SectorSize)
	lastLBA := uint64(l.SizeBytes/int64(l.SectorSize)) - 1
	for _, fromBackup := range []bool{false, true} {
		var r io.ReaderAt = f
		if fromBackup {
			r = overlay{r: f, off: int64(l.SectorSize), b: make([]byte, l.SectorSize)}
		}
		tab, err := gpt.Read(r, l.SizeBytes, l.SectorSize)
		if err != nil {
			t.Fatalf("from backup %v: %v", fromBackup, err)
		}
		if tab.FromBackup != fromBackup || !tab.ProtectiveMBR || tab.DiskGUID != l.DiskGUID {
			t.Errorf("table: from backup %v, protective MBR %v, disk GUID %s (want %s)", tab.FromBackup, tab.ProtectiveMBR, tab.DiskGUID, l.DiskGUID)
		}
		// 128 entries of 128 bytes after the header: LBA 2 to 33 (512)
		// or 2 to 5 (4096), and the same before the backup header.
		if tab.FirstUsableLBA != 2+arrayBlocks || tab.LastUsableLBA != lastLBA-1-arrayBlocks {
			t.Errorf("usable LBAs %d-%d, want %d-%d", tab.FirstUsableLBA, tab.LastUsableLBA, 2+arrayBlocks, lastLBA-1-arrayBlocks)
		}
		want := l.Partitions()
		if len(tab.Partitions) != len(want) {
			t.Fatalf("%d partitions, want %d", len(tab.Partitions), len(want))
		}
		for i, p := range tab.Partitions {
			w := want[i]
			if p.Number != w.Number || p.Type != w.Type || p.UUID != w.UUID || p.FirstLBA != w.FirstLBA ||
				p.LastLBA != w.LastLBA || p.Attributes != w.Attributes || p.Name != w.Label || p.KernelLabel() != w.Label {
				t.Errorf("partition %d: %+v, want %+v", p.Number, p, w)
			}
		}
	}
	// The protective MBR record as UEFI describes it.
	mbr := make([]byte, 512)
	if _, err := f.ReadAt(mbr, 0); err != nil {
		t.Fatal(err)
	}
	wantRec := []byte{0, 0, 2, 0, 0xee, 0xff, 0xff, 0xff, 1, 0, 0, 0, byte(lastLBA), byte(lastLBA >> 8), byte(lastLBA >> 16), byte(lastLBA >> 24)}
	if !bytes.Equal(mbr[446:462], wantRec) || mbr[510] != 0x55 || mbr[511] != 0xaa || !bytes.Equal(mbr[462:510], make([]byte, 48)) {
		t.Errorf("protective MBR % x", mbr[446:])
	}
}

// toolPart is a partition as sfdisk or fdisk shows it.
type toolPart struct {
	start, size uint64
	typ, uuid   string
	name, attrs string
}

// checkTool compares the partitions an external tool shows with l.
func checkTool(t *testing.T, l *Layout, got []toolPart) {
	t.Helper()
	want := l.Partitions()
	if len(got) != len(want) {
		t.Fatalf("tool shows %d partitions, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		attrs := "GUID:60" // the DPS read-only flag
		if w.Attributes == ESPAttributes {
			attrs = "LegacyBIOSBootable"
		}
		if g.start != w.FirstLBA || g.size != w.LastLBA-w.FirstLBA+1 || strings.ToLower(g.typ) != w.Type.String() ||
			strings.ToLower(g.uuid) != w.UUID.String() || g.name != w.Label || g.attrs != attrs {
			t.Errorf("tool shows partition %d as %+v, want %+v", i+1, g, w)
		}
	}
}

// sfdiskJSON reads the table with sfdisk --json (512-byte sectors).
func sfdiskJSON(t *testing.T, disk string) []toolPart {
	t.Helper()
	out, err := exec.Command(needTool(t, "sfdisk"), "--json", disk).Output()
	if err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	var j struct {
		PT struct {
			Label      string `json:"label"`
			SectorSize int    `json:"sectorsize"`
			Partitions []struct {
				Start uint64 `json:"start"`
				Size  uint64 `json:"size"`
				Type  string `json:"type"`
				UUID  string `json:"uuid"`
				Name  string `json:"name"`
				Attrs string `json:"attrs"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &j); err != nil {
		t.Fatalf("sfdisk --json: %v\n%s", err, out)
	}
	if j.PT.Label != "gpt" || j.PT.SectorSize != 512 {
		t.Fatalf("sfdisk: label %q, sector size %d", j.PT.Label, j.PT.SectorSize)
	}
	var ps []toolPart
	for _, p := range j.PT.Partitions {
		ps = append(ps, toolPart{start: p.Start, size: p.Size, typ: p.Type, uuid: p.UUID, name: p.Name, attrs: p.Attrs})
	}
	return ps
}

// fdiskDump reads the table with fdisk -b SS and its O command, which
// writes an sfdisk script (sfdisk 2.38 cannot set the sector size of an
// image file).
func fdiskDump(t *testing.T, disk string, ss int) []toolPart {
	t.Helper()
	script := filepath.Join(t.TempDir(), "dump.sfdisk")
	cmd := exec.Command(needTool(t, "fdisk"), "-b", strconv.Itoa(ss), disk)
	cmd.Stdin = strings.NewReader("O\n" + script + "\nq\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fdisk O: %v\n%s", err, out)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	var ps []toolPart
	sectorSize := 0
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		if key == "sector-size" {
			sectorSize, _ = strconv.Atoi(strings.TrimSpace(val))
		}
		if !strings.HasPrefix(key, disk) {
			continue
		}
		fields := map[string]string{}
		for _, f := range strings.Split(val, ", ") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			fields[k] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		start, err1 := strconv.ParseUint(fields["start"], 10, 64)
		size, err2 := strconv.ParseUint(fields["size"], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("fdisk dump line %q", line)
		}
		ps = append(ps, toolPart{start: start, size: size, typ: fields["type"], uuid: fields["uuid"], name: fields["name"], attrs: fields["attrs"]})
	}
	if sectorSize != ss {
		t.Fatalf("fdisk dump: sector size %d, want %d\n%s", sectorSize, ss, b)
	}
	return ps
}

// checkContents extracts each slot's partitions, checks that the data
// partition is the image followed by zeros, and runs veritysetup verify on
// the pair with the slot's root hash (and, expecting a failure, with the
// other slot's).
func checkContents(t *testing.T, disk string, l *Layout, img string) {
	t.Helper()
	veritysetup := needTool(t, "veritysetup")
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	extract := func(p Partition) string {
		path := filepath.Join(dir, p.Label)
		b := make([]byte, p.SizeBytes)
		if _, err := f.ReadAt(b, p.OffsetBytes); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for i, s := range l.Slots {
		data, hash := extract(s.Data), extract(s.Verity)
		b, err := os.ReadFile(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:len(want)], want) || !bytes.Equal(b[len(want):], make([]byte, len(b)-len(want))) {
			t.Errorf("slot %s: the root partition is not the image followed by zeros", s.Name)
		}
		out, err := exec.Command(veritysetup, "verify", data, hash, hex.EncodeToString(s.RootHash)).CombinedOutput()
		if err != nil {
			t.Errorf("slot %s: veritysetup verify: %v\n%s", s.Name, err, out)
		}
		other := l.Slots[1-i].RootHash
		if out, err := exec.Command(veritysetup, "verify", data, hash, hex.EncodeToString(other)).CombinedOutput(); err == nil {
			t.Errorf("slot %s: veritysetup verify accepted the other slot's root hash\n%s", s.Name, out)
		}
		out, err = exec.Command(veritysetup, "dump", hash).CombinedOutput()
		if err != nil {
			t.Fatalf("veritysetup dump: %v\n%s", err, out)
		}
		dump := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				dump[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		for k, v := range map[string]string{"Data blocks": strconv.FormatUint(s.Params.DataBlocks, 10), "Hash algorithm": "sha256",
			"Salt": hex.EncodeToString(s.Params.Salt), "Hash type": "1", "Data block size": "4096", "Hash block size": "4096"} {
			if dump[k] != v {
				t.Errorf("slot %s: veritysetup dump: %s is %q, want %q", s.Name, k, dump[k], v)
			}
		}
	}
}

// checkDiscovery runs the DPS discovery of package dps on the disk: without
// a root hash the newest label (root-b) wins; with slot A's root hash its
// verity partition is found.
func checkDiscovery(t *testing.T, disk string, l *Layout) {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := gpt.Read(f, l.SizeBytes, l.SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	d := dps.Disk{Name: disk, Table: tab}
	c, err := dps.SelectRoot([]dps.Disk{d}, l.Arch)
	if err != nil || c.Partition.Name != "root-b" {
		t.Errorf("SelectRoot = %v, %v; want root-b", c, err)
	}
	v, h, err := dps.FindVerity(d, c.Partition, nil)
	if err != nil || v.Name != "root-b-verity" || !bytes.Equal(h, l.Slots[1].RootHash) {
		t.Errorf("FindVerity(root-b) = %s, %x, %v", v.Name, h, err)
	}
	v, _, err = dps.FindVerity(d, tab.Partitions[0], l.Slots[0].RootHash)
	if err != nil || v.Name != "root-a-verity" {
		t.Errorf("FindVerity(root-a, hash a) = %s, %v", v.Name, err)
	}
}

func TestCreateErrors(t *testing.T) {
	img := filepath.Join(t.TempDir(), "root.img")
	if err := os.WriteFile(img, bytes.Repeat([]byte{1}, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.img")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Two slots of a 5000-byte image: 1 MiB + 2 × (1 MiB + 1 MiB) = 5 MiB,
	// plus the backup GPT.
	for _, c := range []struct {
		name string
		spec Spec
		want string
	}{
		{"too many slots", Spec{Image: img, Slots: 27}, "27 slots: want 1 to 26"},
		{"negative slots", Spec{Image: img, Slots: -1}, "-1 slots"},
		{"sector size", Spec{Image: img, SectorSize: 1024}, "sector size 1024"},
		{"negative size", Spec{Image: img, SizeBytes: -1}, "negative size"},
		{"size not a multiple of the sector size", Spec{Image: img, SizeBytes: 6<<20 + 512, SectorSize: 4096}, "not a multiple of the 4096-byte sector size"},
		{"too small", Spec{Image: img, SizeBytes: 5 << 20}, "too small"},
		{"too small for the backup GPT", Spec{Image: img, SizeBytes: 5<<20 + 16384}, "too small"},
		{"unknown architecture", Spec{Image: img, Arch: "sparc"}, `architecture "sparc"`},
		{"missing image", Spec{Image: img + ".missing"}, "no such file"},
		{"empty image", Spec{Image: empty}, "is empty"},
		{"directory", Spec{Image: t.TempDir()}, "not a regular file"},
		{"repeating random source", Spec{Image: img, Rand: zeros{}}, "random source repeated itself"},
		{"short random source", Spec{Image: img, Rand: bytes.NewReader(make([]byte, 40))}, "random"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Create(newMemDisk(), c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Create: %v, want an error containing %q", err, c.want)
			}
		})
	}
	// The smallest size that fits is accepted.
	if _, err := Create(newMemDisk(), Spec{Image: img, SizeBytes: 5<<20 + 16384 + 512}); err != nil {
		t.Errorf("smallest size: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestCreateReproducible checks that a fixed random source gives the same
// image byte for byte, and that Create works on a destination it cannot
// read back.
func TestCreateReproducible(t *testing.T) {
	img := filepath.Join(t.TempDir(), "root.img")
	b := make([]byte, 3<<20+123)
	rand.NewChaCha8([32]byte{2}).Read(b)
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := func() Spec {
		return Spec{Image: img, Slots: 3, Arch: dps.ArchARM, Rand: rand.NewChaCha8([32]byte{3})}
	}
	d1, d2 := newMemDisk(), newMemDisk()
	l1, err := Create(d1, spec())
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Create(writeOnly{d2}, spec())
	if err != nil {
		t.Fatal(err)
	}
	if d1.size != l1.SizeBytes || d2.size != d1.size || len(d1.chunks) != len(d2.chunks) {
		t.Fatalf("sizes %d %d, layout %d", d1.size, d2.size, l1.SizeBytes)
	}
	for k, c := range d1.chunks {
		if !bytes.Equal(c, d2.chunks[k]) {
			t.Fatalf("images differ in chunk %d", k)
		}
	}
	if l1.DiskGUID != l2.DiskGUID || !bytes.Equal(l1.Slots[2].RootHash, l2.Slots[2].RootHash) || len(l1.Slots) != 3 {
		t.Errorf("layouts differ")
	}
	// The random bytes are the disk GUID's text form: a version 4 UUID.
	if g := l1.DiskGUID.String(); g[14] != '4' || !strings.ContainsRune("89ab", rune(g[19])) {
		t.Errorf("disk GUID %s is not a version 4 UUID", g)
	}
	if want := int64(1+3*(4+1)+1) << 20; l1.SizeBytes != want {
		t.Errorf("size %d, want %d", l1.SizeBytes, want)
	}
	if err := check(d2, l2); err != nil {
		t.Error(err)
	}
}

// TestCreateLargeDisk checks the protective MBR of a disk with more than
// 2^32 blocks, whose size field go-diskfs would truncate.
func TestCreateLargeDisk(t *testing.T) {
	img := filepath.Join(t.TempDir(), "root.img")
	if err := os.WriteFile(img, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		size int64
		want uint32
	}{
		{3 << 40, 0xffffffff},              // 3 TiB of 512-byte blocks
		{1<<41 - 512, 1<<32 - 2},           // last LBA 2^32-2
		{1 << 41, 0xffffffff},              // last LBA 2^32-1, the largest the field holds
		{64 << 20, uint32(64<<20/512 - 1)}, // a small disk: the last LBA
	} {
		d := newMemDisk()
		l, err := Create(d, Spec{Image: img, SizeBytes: c.size})
		if err != nil {
			t.Fatal(err)
		}
		rec := make([]byte, 16)
		if _, err := d.ReadAt(rec, 446); err != nil {
			t.Fatal(err)
		}
		if got := uint32(rec[12]) | uint32(rec[13])<<8 | uint32(rec[14])<<16 | uint32(rec[15])<<24; got != c.want || rec[4] != 0xee {
			t.Errorf("size %d: protective MBR record % x, size field %#x, want %#x", c.size, rec, got, c.want)
		}
		tab, err := gpt.Read(d, l.SizeBytes, 512)
		if err != nil || !tab.ProtectiveMBR || tab.LastUsableLBA != uint64(c.size/512)-34 {
			t.Errorf("size %d: %v", c.size, err)
		}
	}
}

func TestPadded(t *testing.T) {
	p := &padded{r: bytes.NewReader([]byte("abcdef")), n: 6, size: 10}
	for _, c := range []struct {
		off  int64
		n    int
		want string
		err  error
	}{
		{0, 4, "abcd", nil},
		{4, 4, "ef\x00\x00", nil},
		{6, 4, "\x00\x00\x00\x00", nil},
		{8, 4, "\x00\x00", io.EOF},
		{10, 1, "", io.EOF},
		{0, 10, "abcdef\x00\x00\x00\x00", nil},
	} {
		b := bytes.Repeat([]byte{0xff}, c.n)
		k, err := p.ReadAt(b, c.off)
		if string(b[:k]) != c.want || !errors.Is(err, c.err) && err != c.err {
			t.Errorf("ReadAt(%d, %d) = %q, %v; want %q, %v", c.n, c.off, b[:k], err, c.want, c.err)
		}
	}
	// A file that shrank is an error, not zeros.
	p = &padded{r: bytes.NewReader([]byte("abc")), n: 6, size: 10}
	if _, err := p.ReadAt(make([]byte, 6), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("shrunk file: %v", err)
	}
}
