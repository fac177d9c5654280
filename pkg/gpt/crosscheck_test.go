package gpt

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dgpt "github.com/diskfs/go-diskfs/partition/gpt"
)

// This file checks Read against util-linux (sfdisk, and fdisk for 4096-byte
// sectors, which sfdisk 2.38 cannot set for image files) and against
// go-diskfs. The tools must be installed: a missing tool fails the test.

// ref is a partition as described by an external tool.
type ref struct {
	Number      int
	Start, End  uint64
	Type, UUID  string // lowercase canonical text
	Name        string
	Attributes  uint64
	KernelLabel string // only checked when set
}

// refTable is a partition table as described by an external tool.
type refTable struct {
	DiskGUID                string
	FirstUsable, LastUsable uint64
	SectorSize              int
	Parts                   []ref
	FromBackup              *bool // only checked when set
}

const crossScript = `label: gpt
label-id: 1B5E2C3A-4D6F-4E7A-9B8C-0D1E2F3A4B5C
%TABLELEN%
%P1% : start=%S1%, size=%N1%, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=01234567-89AB-CDEF-0123-456789ABCDEF, name="root-a", attrs="GUID:60"
%P2% : size=%N2%, type=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5, uuid=fedcba98-7654-3210-fedc-ba9876543210, name="verity é", attrs="GUID:60,63"
%P5% : size=%N5%, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d, name="ESP", attrs="RequiredPartition NoBlockIOProtocol LegacyBIOSBootable"
%P7% : size=%N7%, type=0fc63daf-8483-4772-8e79-3d69d8477de4, uuid=0d8e1c2b-3a4f-4e5d-9c6b-7a8f9e0d1c2b, name="a name of exactly thirty-six chars!!"
`

// wantParts is what the script above describes, with start and end filled
// in from the tool's dump.
var wantParts = []ref{
	{Number: 1, Type: "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", UUID: "01234567-89ab-cdef-0123-456789abcdef", Name: "root-a", Attributes: 1 << 60, KernelLabel: "root-a"},
	{Number: 2, Type: "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", UUID: "fedcba98-7654-3210-fedc-ba9876543210", Name: "verity é", Attributes: 1<<60 | 1<<63, KernelLabel: "verity i"},
	{Number: 5, Type: "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", UUID: "5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d", Name: "ESP", Attributes: 7, KernelLabel: "ESP"},
	{Number: 7, Type: "0fc63daf-8483-4772-8e79-3d69d8477de4", UUID: "0d8e1c2b-3a4f-4e5d-9c6b-7a8f9e0d1c2b", Name: "a name of exactly thirty-six chars!!", KernelLabel: "a name of exactly thirty-six chars!!"},
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// Fail, do not skip: the cross-check is the point of this test.
		t.Fatalf("%s is required for this test: %v", name, err)
	}
	return p
}

func script(img string, ss int, tableLen int) string {
	start, unit := "2048", uint64(1)
	if ss == 4096 {
		start, unit = "256", 8
	}
	r := strings.NewReplacer(
		"%TABLELEN%", map[bool]string{true: "table-length: " + strconv.Itoa(tableLen), false: ""}[tableLen > 0],
		"%P1%", img+"1", "%P2%", img+"2", "%P5%", img+"5", "%P7%", img+"7",
		"%S1%", start,
		"%N1%", strconv.FormatUint(20480/unit, 10),
		"%N2%", strconv.FormatUint(4096/unit, 10),
		"%N5%", strconv.FormatUint(2048/unit, 10),
		"%N7%", strconv.FormatUint(2048/unit, 10),
	)
	return r.Replace(crossScript)
}

// makeImage partitions a new sparse image file of size bytes with sfdisk
// (512-byte sectors) or fdisk -b 4096.
func makeImage(t *testing.T, ss int, size int64, tableLen int) string {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	sc := script(img, ss, tableLen)
	switch ss {
	case 512:
		cmd := exec.Command(needTool(t, "sfdisk"), "--no-reread", "--no-tell-kernel", "-q", img)
		cmd.Stdin = strings.NewReader(sc)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sfdisk: %v\n%s", err, out)
		}
	case 4096:
		scriptFile := filepath.Join(dir, "layout.sfdisk")
		if err := os.WriteFile(scriptFile, []byte(sc), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(needTool(t, "fdisk"), "-b", "4096", img)
		cmd.Stdin = strings.NewReader("I\n" + scriptFile + "\nw\n")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Script successfully applied") {
			t.Fatalf("fdisk: %v\n%s", err, out)
		}
	}
	return img
}

// sfdiskJSON reads the table with sfdisk --json (512-byte sectors only).
func sfdiskJSON(t *testing.T, img string) refTable {
	t.Helper()
	out, err := exec.Command(needTool(t, "sfdisk"), "--json", img).Output()
	if err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	var j struct {
		PT struct {
			Label      string `json:"label"`
			ID         string `json:"id"`
			FirstLBA   uint64 `json:"firstlba"`
			LastLBA    uint64 `json:"lastlba"`
			SectorSize int    `json:"sectorsize"`
			Partitions []struct {
				Node  string `json:"node"`
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
	if j.PT.Label != "gpt" {
		t.Fatalf("sfdisk label %q", j.PT.Label)
	}
	rt := refTable{DiskGUID: strings.ToLower(j.PT.ID), FirstUsable: j.PT.FirstLBA, LastUsable: j.PT.LastLBA, SectorSize: j.PT.SectorSize}
	for _, p := range j.PT.Partitions {
		rt.Parts = append(rt.Parts, ref{
			Number: nodeNumber(t, img, p.Node), Start: p.Start, End: p.Start + p.Size - 1,
			Type: strings.ToLower(p.Type), UUID: strings.ToLower(p.UUID), Name: p.Name, Attributes: parseAttrs(t, p.Attrs),
		})
	}
	return rt
}

// fdiskDump reads the table with fdisk -b ss and its "O" command, which
// writes an sfdisk script.
func fdiskDump(t *testing.T, img string, ss int) refTable {
	t.Helper()
	out := filepath.Join(t.TempDir(), "dump.sfdisk")
	cmd := exec.Command(needTool(t, "fdisk"), "-b", strconv.Itoa(ss), img)
	cmd.Stdin = strings.NewReader("O\n" + out + "\nq\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fdisk O: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rt refTable
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key = strings.TrimSpace(key); key {
		case "label-id":
			rt.DiskGUID = strings.ToLower(val)
		case "first-lba":
			rt.FirstUsable = atou(t, val)
		case "last-lba":
			rt.LastUsable = atou(t, val)
		case "sector-size":
			rt.SectorSize = int(atou(t, val))
		case "label", "device", "unit", "table-length", "grain":
		default:
			f := scriptFields(t, val)
			start, size := atou(t, f["start"]), atou(t, f["size"])
			rt.Parts = append(rt.Parts, ref{
				Number: nodeNumber(t, img, key), Start: start, End: start + size - 1,
				Type: strings.ToLower(f["type"]), UUID: strings.ToLower(f["uuid"]), Name: f["name"], Attributes: parseAttrs(t, f["attrs"]),
			})
		}
	}
	return rt
}

// scriptFields splits `start=  1, size=2, name="a, b"` into its fields and
// undoes libfdisk's \xNN escapes in quoted values.
func scriptFields(t *testing.T, s string) map[string]string {
	t.Helper()
	f := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, ", ") {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			t.Fatalf("bad script field %q", s)
		}
		rest = strings.TrimLeft(rest, " ")
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			v, s = unescape(t, rest[1:1+end]), rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
		}
		f[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return f
}

func unescape(t *testing.T, s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b = append(b, byte(v))
			i += 3
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func atou(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func nodeNumber(t *testing.T, img, node string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(node, img))
	if err != nil {
		t.Fatalf("partition node %q: %v", node, err)
	}
	return n
}

// parseAttrs turns libfdisk's attribute text into bits.
func parseAttrs(t *testing.T, s string) uint64 {
	t.Helper()
	var a uint64
	for _, f := range strings.Fields(s) {
		switch {
		case f == "RequiredPartition":
			a |= 1 << 0
		case f == "NoBlockIOProtocol":
			a |= 1 << 1
		case f == "LegacyBIOSBootable":
			a |= 1 << 2
		case strings.HasPrefix(f, "GUID:"):
			for _, bit := range strings.Split(strings.TrimPrefix(f, "GUID:"), ",") {
				a |= 1 << atou(t, bit)
			}
		default:
			t.Fatalf("unknown attribute %q", f)
		}
	}
	return a
}

// readOurs runs gpt.Read on the image file. If probe is set, it also checks
// that ProbeSectorSize finds ss.
func readOurs(t *testing.T, img string, ss int, probe bool) *Table {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if probe {
		probed, err := ProbeSectorSize(f, st.Size())
		if err != nil || probed != ss {
			t.Errorf("ProbeSectorSize = %d, %v; want %d", probed, err, ss)
		}
	}
	tbl, err := Read(f, st.Size(), ss)
	if err != nil {
		t.Fatalf("gpt.Read: %v", err)
	}
	return tbl
}

// readDiskfs runs go-diskfs's gpt.Read on the image file.
func readDiskfs(t *testing.T, img string, ss int) refTable {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dt, err := dgpt.Read(f, ss, ss)
	if err != nil {
		t.Fatalf("go-diskfs gpt.Read: %v", err)
	}
	rt := refTable{DiskGUID: strings.ToLower(dt.GUID), SectorSize: dt.LogicalSectorSize, FromBackup: &dt.RecoveredFromBackup}
	for _, p := range dt.Partitions {
		rt.Parts = append(rt.Parts, ref{
			Number: p.Index, Start: p.Start, End: p.End,
			Type: strings.ToLower(string(p.Type)), UUID: strings.ToLower(p.GUID), Name: p.Name, Attributes: p.Attributes,
		})
	}
	return rt
}

// compare checks our table against a reference. Usable LBAs are compared
// only when the reference has them.
func compare(t *testing.T, who string, tbl *Table, rt refTable) {
	t.Helper()
	if got := tbl.DiskGUID.String(); got != rt.DiskGUID {
		t.Errorf("%s: DiskGUID %s, want %s", who, got, rt.DiskGUID)
	}
	if tbl.SectorSize != rt.SectorSize {
		t.Errorf("%s: SectorSize %d, want %d", who, tbl.SectorSize, rt.SectorSize)
	}
	if rt.LastUsable != 0 && (tbl.FirstUsableLBA != rt.FirstUsable || tbl.LastUsableLBA != rt.LastUsable) {
		t.Errorf("%s: usable %d..%d, want %d..%d", who, tbl.FirstUsableLBA, tbl.LastUsableLBA, rt.FirstUsable, rt.LastUsable)
	}
	if rt.FromBackup != nil && tbl.FromBackup != *rt.FromBackup {
		t.Errorf("%s: FromBackup %v, want %v", who, tbl.FromBackup, *rt.FromBackup)
	}
	if len(tbl.Partitions) != len(rt.Parts) {
		t.Fatalf("%s: %d partitions, want %d: %+v", who, len(tbl.Partitions), len(rt.Parts), rt.Parts)
	}
	for i, want := range rt.Parts {
		p := tbl.Partitions[i]
		got := ref{Number: p.Number, Start: p.FirstLBA, End: p.LastLBA, Type: p.Type.String(), UUID: p.UUID.String(), Name: p.Name, Attributes: p.Attributes}
		if want.KernelLabel != "" {
			got.KernelLabel = p.KernelLabel()
		}
		if got != want {
			t.Errorf("%s: partition %d:\n got %+v\nwant %+v", who, i, got, want)
		}
	}
}

// withExpected fills wantParts with the extents the tool chose.
func withExpected(t *testing.T, tool refTable) refTable {
	t.Helper()
	want := tool
	want.Parts = nil
	if len(tool.Parts) != len(wantParts) {
		t.Fatalf("tool reports %d partitions, want %d", len(tool.Parts), len(wantParts))
	}
	for i, w := range wantParts {
		w.Start, w.End = tool.Parts[i].Start, tool.Parts[i].End
		want.Parts = append(want.Parts, w)
	}
	return want
}

func TestCrossCheck(t *testing.T) {
	for _, c := range []struct {
		name     string
		ss       int
		size     int64
		tableLen int
	}{
		{name: "512", ss: 512, size: 64 << 20},
		{name: "512 table-length 8", ss: 512, size: 64 << 20, tableLen: 8},
		{name: "4096", ss: 4096, size: 64 << 20},
		{name: "4096 table-length 8", ss: 4096, size: 64 << 20, tableLen: 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := makeImage(t, c.ss, c.size, c.tableLen)
			var tool refTable
			if c.ss == 512 {
				tool = sfdiskJSON(t, img)
				compare(t, "fdisk dump", readOurs(t, img, c.ss, true), fdiskDump(t, img, c.ss))
			} else {
				tool = fdiskDump(t, img, c.ss)
			}
			if tool.SectorSize != c.ss {
				t.Fatalf("tool sector size %d", tool.SectorSize)
			}
			tbl := readOurs(t, img, c.ss, true)
			if !tbl.ProtectiveMBR || tbl.FromBackup {
				t.Errorf("ProtectiveMBR %v FromBackup %v", tbl.ProtectiveMBR, tbl.FromBackup)
			}
			compare(t, "expected", tbl, withExpected(t, tool))
			compare(t, "util-linux", tbl, tool)
			compare(t, "go-diskfs", tbl, readDiskfs(t, img, c.ss))

			// Destroy the primary header: all three fall back to the backup.
			f, err := os.OpenFile(img, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(make([]byte, c.ss), int64(c.ss)); err != nil {
				t.Fatal(err)
			}
			f.Close()
			// ProbeSectorSize finds no header now and would answer 512.
			tbl = readOurs(t, img, c.ss, false)
			if !tbl.FromBackup || tbl.PrimaryErr == nil {
				t.Fatalf("FromBackup %v PrimaryErr %v after zeroing the primary header", tbl.FromBackup, tbl.PrimaryErr)
			}
			if c.ss == 512 {
				compare(t, "sfdisk --json, backup", tbl, sfdiskJSON(t, img))
			} else {
				compare(t, "fdisk, backup", tbl, fdiskDump(t, img, c.ss))
			}
			compare(t, "go-diskfs, backup", tbl, readDiskfs(t, img, c.ss))
		})
	}
}
