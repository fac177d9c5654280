package lvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file checks the package against lvm2 itself: it makes PVs on loop
// devices over sparse files with lvm2's commands (with --driverloaded n,
// so no device-mapper is needed), then compares what ScanPV, Assemble and
// Plan make of the bytes with what lvm2 reports (vgs, pvs, lvs --segments,
// pvck --dump) and with the dm tables that follow from that report by
// lvm2's rules (lib/activate/dev_manager.c add_areas_line,
// lib/striped/striped.c). It needs root; without root it skips, and a
// missing lvm or losetup fails it.

// requireLVM skips without root and fails without the tools.
func requireLVM(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root to create loop devices and run lvm2 (CI runs as root)")
	}
	for _, tool := range []string{"lvm", "losetup"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s is required for this test: %v", tool, err)
		}
	}
}

// lvmEnv is a set of loop devices and a private lvm.conf that lets lvm2
// see those devices and nothing else.
type lvmEnv struct {
	tb    testing.TB
	dir   string   // holds the images and the configuration
	files []string // backing files
	loops []string // /dev/loopN, in the order of files
	undo  []func()
}

// newLVMEnv makes one sparse file and loop device per size (MiB) in dir.
// The caller must call close, which detaches the loop devices.
func newLVMEnv(tb testing.TB, dir string, sizesMiB ...int) *lvmEnv {
	tb.Helper()
	e := &lvmEnv{tb: tb, dir: dir}
	for i, mib := range sizesMiB {
		file := filepath.Join(dir, "pv"+strconv.Itoa(i)+".img")
		f, err := os.Create(file)
		if err == nil {
			err = f.Truncate(int64(mib) << 20)
			f.Close()
		}
		if err != nil {
			e.close()
			tb.Fatal(err)
		}
		out, err := exec.Command("losetup", "--find", "--show", file).Output()
		if err != nil {
			e.close()
			tb.Fatalf("losetup %s: %v", file, err)
		}
		loop := strings.TrimSpace(string(out))
		e.undo = append(e.undo, func() {
			if out, err := exec.Command("losetup", "-d", loop).CombinedOutput(); err != nil {
				tb.Errorf("losetup -d %s: %v: %s", loop, err, out)
			}
		})
		e.files = append(e.files, file)
		e.loops = append(e.loops, loop)
	}
	var accept []string
	for _, l := range e.loops {
		accept = append(accept, `"a|^`+l+`$|"`)
	}
	filter := "[" + strings.Join(append(accept, `"r|.*|"`), ", ") + "]"
	conf := `devices {
	filter = ` + filter + `
	global_filter = ` + filter + `
	use_devicesfile = 0
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	hints = "none"
}
global {
	locking_dir = "` + filepath.Join(dir, "lock") + `"
	system_id_source = "none"
}
backup {
	backup = 0
	archive = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
`
	if err := os.MkdirAll(filepath.Join(dir, "lock"), 0o755); err != nil {
		e.close()
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lvm.conf"), []byte(conf), 0o644); err != nil {
		e.close()
		tb.Fatal(err)
	}
	return e
}

func (e *lvmEnv) close() {
	for i := len(e.undo) - 1; i >= 0; i-- {
		e.undo[i]()
	}
	e.undo = nil
}

// command runs lvm with the private configuration; --driverloaded n goes
// after the command name.
func (e *lvmEnv) command(args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append([]string{args[0], "--driverloaded", "n"}, args[1:]...)
	cmd := exec.CommandContext(ctx, "lvm", full...)
	cmd.Env = append(os.Environ(), "LVM_SYSTEM_DIR="+e.dir, "LVM_SUPPRESS_FD_WARNINGS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// lvm runs a command that must succeed and returns its output.
func (e *lvmEnv) lvm(args ...string) []byte {
	e.tb.Helper()
	out, stderr, err := e.command(args...)
	if err != nil {
		e.tb.Fatalf("lvm %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// expand replaces {vg} and {pvN} in a command line and splits it.
func (e *lvmEnv) expand(line, vg string) []string {
	r := []string{"{vg}", vg}
	for i, l := range e.loops {
		r = append(r, "{pv"+strconv.Itoa(i)+"}", l)
	}
	return strings.Fields(strings.NewReplacer(r...).Replace(line))
}

// rows runs a JSON report command and returns its rows.
func (e *lvmEnv) rows(args ...string) []map[string]string {
	e.tb.Helper()
	out := e.lvm(append(args, "--reportformat", "json", "--units", "s", "--nosuffix", "--foreign")...)
	var r struct {
		Report []map[string][]map[string]string `json:"report"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		e.tb.Fatalf("lvm %s: %v\n%s", args[0], err, out)
	}
	var rows []map[string]string
	for _, part := range r.Report {
		for _, rs := range part {
			rows = append(rows, rs...)
		}
	}
	return rows
}

// lvmReport is what lvm2 says about the devices.
type lvmReport struct {
	vgs, pvs, segs []map[string]string
}

func (e *lvmEnv) report() lvmReport {
	return lvmReport{
		vgs:  e.rows("vgs", "-o", "vg_name,vg_uuid,vg_seqno,vg_extent_size,vg_attr,vg_lock_type,vg_systemid"),
		pvs:  e.rows("pvs", "-o", "pv_name,pv_uuid,pe_start,pv_pe_count,dev_size,vg_name,pv_mda_count,pv_major,pv_minor"),
		segs: e.rows("lvs", "-a", "--segments", "-o", "vg_name,lv_name,lv_uuid,lv_attr,segtype,seg_start_pe,seg_size_pe,stripes,stripe_size,devices"),
	}
}

// pvck returns the fields of pvck --dump headers, e.g.
// "mda_header_1.raw_locn[0].checksum" -> "0x1234".
func (e *lvmEnv) pvck(dev string) map[string]string {
	e.tb.Helper()
	out := e.lvm("pvck", "--dump", "headers", dev)
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && !strings.HasPrefix(v, "at ") {
			m[k] = strings.TrimSpace(strings.SplitN(v, "#", 2)[0])
		}
	}
	return m
}

// pvckText returns the metadata text pvck --dump metadata writes for mda
// num of dev.
func (e *lvmEnv) pvckText(dev string, num int) []byte {
	e.tb.Helper()
	file := filepath.Join(e.dir, "pvck-metadata")
	e.lvm("pvck", "--dump", "metadata", "--settings", "mda_num="+strconv.Itoa(num), "-f", file, dev)
	b, err := os.ReadFile(file)
	if err != nil {
		e.tb.Fatal(err)
	}
	return b
}

// scanFile runs ScanPV on a backing file (the loop device's page cache
// may be stale after lvm2's direct writes; the file is not).
func scanFile(tb testing.TB, file string) *PV {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	pv, err := scanLabel(f, st.Size(), true)
	if err != nil {
		tb.Fatalf("ScanPV(%s): %v", file, err)
	}
	return pv
}

// textWraps reports whether the committed metadata of mda at start wraps
// around the end of its area.
func textWraps(tb testing.TB, file string, start int64) bool {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h := make([]byte, 64)
	if _, err := f.ReadAt(h, start); err != nil {
		tb.Fatal(err)
	}
	return binary.LittleEndian.Uint64(h[40:])+binary.LittleEndian.Uint64(h[48:]) > binary.LittleEndian.Uint64(h[32:])
}

// An oracleLayout is one set of PVs, a VG and the commands that shape it.
type oracleLayout struct {
	name     string
	sizes    []int      // MiB per PV
	pvcreate [][]string // extra pvcreate arguments per PV
	vg       string
	vgcreate string   // extra vgcreate arguments
	cmds     []string // lvm command lines with {vg} and {pvN}
	// wrapPV, if >= 0, keeps renaming an LV until the committed metadata
	// of that PV's first area wraps around the end of the area.
	wrapPV int
	// scan lists the PVs to scan (the others play missing); nil means all.
	scan []int
	// check makes extra assertions after the comparison with lvm2.
	check func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport)
}

// fragmentCmds makes many small LVs, removes every third one and fills
// the holes, so that LVs end up in many segments on several PVs.
func fragmentCmds() []string {
	var cmds []string
	for i := range 24 {
		cmds = append(cmds, "lvcreate -an -Zn -n f"+strconv.Itoa(i)+" -l "+strconv.Itoa(1+i%3)+" {vg} {pv"+strconv.Itoa(i%3)+"}")
	}
	for i := 0; i < 24; i += 3 {
		cmds = append(cmds, "lvremove -y {vg}/f"+strconv.Itoa(i))
	}
	cmds = append(cmds,
		"lvcreate -an -Zn -n filler -l 20 {vg} {pv0} {pv1}",
		"lvextend -l +7 {vg}/f4",
		"lvreduce -y -l -1 {vg}/f5",
		"lvextend -l +1 {vg}/f5 {pv2}",
		"lvcreate -an -Zn -i2 -I32k -n fstripe -l 4 {vg} {pv1} {pv2}",
		"lvreduce -y -l -2 {vg}/fstripe",
		"lvrename {vg} f7 f7-renamed",
	)
	return cmds
}

var oracleLayouts = []oracleLayout{
	{
		name: "note-example", sizes: []int{64, 64}, vg: "vgtest", vgcreate: "-s 4m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n root -l 10 {vg} {pv0}",
			"lvextend -l +5 {vg}/root {pv1}",
			"lvcreate -an -Zn -i2 -I64 -n my-data -l 8 {vg}",
		},
	},
	{
		name: "extent-1m-multisegment", sizes: []int{64, 64, 64}, vg: "vg1m", vgcreate: "-s 1m", wrapPV: -1,
		pvcreate: [][]string{nil, {"--bootloaderareasize", "1m"}, {"--labelsector", "2"}},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			if pvs[0].LabelSector != 1 || pvs[2].LabelSector != 2 {
				t.Errorf("label sectors %d and %d, want 1 and 2", pvs[0].LabelSector, pvs[2].LabelSector)
			}
			if len(pvs[1].BootloaderAreas) != 1 || pvs[1].BootloaderAreas[0].SizeBytes != 1<<20 {
				t.Errorf("bootloader areas %v", pvs[1].BootloaderAreas)
			}
			if len(vg.LVs[2].Segments) != 1 || vg.LVs[2].Name != "lin" {
				t.Errorf("lin: %d segments, want 1 after merging", len(vg.LVs[2].Segments))
			}
		},
		cmds: []string{
			"lvcreate -an -Zn -n a -l 7 {vg} {pv0}",
			"lvcreate -an -Zn -n b -l 3 {vg} {pv1}",
			"lvextend -l +4 {vg}/a {pv2}",
			"lvextend -l +2 {vg}/a {pv0}",
			"lvextend -l +3 {vg}/a {pv2}:20-40",
			"lvcreate -an -Zn --type linear -n lin -l 5 {vg} {pv1}",
			"lvextend -l +5 {vg}/lin {pv1}", // continues on pv1: merged into one segment
			"lvextend -l +30 {vg}/b",
			"lvcreate -an -Zn -n whole -l 100%FREE {vg}",
		},
	},
	{
		name: "extent-64k", sizes: []int{32, 32}, vg: "vg64k", vgcreate: "-s 64k", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n small -L 3m {vg} {pv0}",
			"lvcreate -an -Zn -i2 -I16k -n str -L 2m {vg}",
			"lvcreate -an -Zn -i2 -I64k -n str64 -L 1m {vg}",
			"lvextend -L +1m {vg}/small {pv1}",
			"lvextend -L +512k {vg}/str",
		},
	},
	{
		name: "striped-2-3-4", sizes: []int{128, 128, 128, 128}, vg: "vgstripe", vgcreate: "-s 4m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -i3 -I4k -n s3 -l 9 {vg}",
			"lvcreate -an -Zn -i4 -I256k -n s4 -l 8 {vg}",
			"lvcreate -an -Zn -i2 -I128k -n s2 -l 6 {vg} {pv2} {pv3}",
			"lvcreate -an -Zn -i4 -I4m -n s4big -l 4 {vg}",
			"lvcreate -an -Zn -i2 -I512k -n s2x -l 2 {vg} {pv0} {pv1}",
			"lvextend -l +6 {vg}/s3",
			"lvextend -i2 -I64k -l +4 {vg}/s2x {pv2} {pv3}",
			"lvcreate -an -Zn -n lin -l 20 {vg}",
		},
	},
	{
		name: "names-with-dashes", sizes: []int{64, 64}, vg: "my-vg--1", vgcreate: "-s 2m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n a-b -l 3 {vg}",
			"lvcreate -an -Zn -n x--y -l 2 {vg}",
			"lvcreate -an -Zn -n lv+plus -l 1 {vg}",
			"lvcreate -an -Zn -n lv.dot_us -l 1 {vg}",
			"lvcreate -an -Zn -i2 -I8k -n stripe-d- -l 4 {vg}",
		},
	},
	{
		name: "odd-pe-start", sizes: []int{96, 96}, vg: "vgodd", vgcreate: "-s 8m", wrapPV: -1,
		pvcreate: [][]string{{"--dataalignment", "64k", "--dataalignmentoffset", "7s"}, {"--dataalignment", "3m"}},
		cmds: []string{
			"lvcreate -an -Zn -n lin -l 3 {vg} {pv0}",
			"lvcreate -an -Zn -i2 -I1m -n str -l 4 {vg}",
			"lvextend -l +2 {vg}/lin {pv1}",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			if vg.Members[0].PEStartSectors%128 == 0 {
				t.Errorf("pe_start %d: want one off the 64 KiB alignment", vg.Members[0].PEStartSectors)
			}
		},
	},
	{
		name: "fragmented", sizes: []int{32, 32, 32}, vg: "vgfrag", vgcreate: "-s 1m", wrapPV: -1,
		cmds: fragmentCmds(),
	},
	{
		name: "wrapped-metadata", sizes: []int{64, 64}, vg: "wrapvg", vgcreate: "-s 4m", wrapPV: 0,
		pvcreate: [][]string{{"--dataalignment", "32k", "--metadatasize", "32k"}, {"--dataalignment", "32k", "--metadatasize", "32k"}},
		cmds: []string{
			"lvcreate -an -Zn -n w0 -l 1 {vg}", "lvcreate -an -Zn -n l1 -l 1 {vg}", "lvcreate -an -Zn -n l2 -l 1 {vg}",
			"lvcreate -an -Zn -n l3 -l 1 {vg}", "lvcreate -an -Zn -n l4 -l 1 {vg}", "lvcreate -an -Zn -n l5 -l 1 {vg}",
			"lvcreate -an -Zn -i2 -n l6 -l 2 {vg}", "lvremove -y {vg}/l2",
		},
	},
	{
		name: "two-metadata-copies", sizes: []int{64, 64, 64}, vg: "vgmda2", vgcreate: "-s 4m", wrapPV: -1,
		pvcreate: [][]string{{"--pvmetadatacopies", "2"}, {"--pvmetadatacopies", "2"}, {"--pvmetadatacopies", "2"}},
		cmds: []string{
			"lvcreate -an -Zn -n a -l 12 {vg}",
			"lvcreate -an -Zn -i3 -I32k -n b -l 6 {vg}",
			"lvrename {vg} a aa",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			for _, pv := range pvs {
				if len(pv.MetadataAreas) != 2 || len(pv.Metadata) != 2 || pv.Metadata[0].Digest != pv.Metadata[1].Digest {
					t.Errorf("PV %s: %d areas, %d copies; want two equal copies", pv.UUID, len(pv.MetadataAreas), len(pv.Metadata))
				}
			}
		},
	},
	{
		name: "no-mda-and-ignored-mda", sizes: []int{64, 64, 64}, vg: "vgmixed", vgcreate: "-s 4m", wrapPV: -1,
		pvcreate: [][]string{{"--metadatacopies", "0"}, nil, nil},
		cmds: []string{
			"pvchange --metadataignore y {pv2}",
			"lvcreate -an -Zn -n span -l 20 {vg} {pv1} {pv2}",
			"lvextend -l +3 {vg}/span {pv0}",
			"lvextend -l +1 {vg}/span {pv0}",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			if n := len(pvs[0].MetadataAreas) + len(pvs[0].Metadata); n != 0 {
				t.Errorf("PV without mda: %d areas and copies", n)
			}
			if len(pvs[1].Metadata) != 1 || len(pvs[2].MetadataAreas) != 1 || len(pvs[2].Metadata) != 0 || len(pvs[2].MetadataErrors) != 0 {
				t.Errorf("copies: %d on pv1, %d areas and %d copies on pv2 (ignored)", len(pvs[1].Metadata), len(pvs[2].MetadataAreas), len(pvs[2].Metadata))
			}
			for _, m := range vg.Members {
				if !m.Present {
					t.Errorf("member %s not present", m.UUID)
				}
			}
		},
	},
	{
		name: "refused-and-flagged-lvs", sizes: []int{64, 64}, vg: "vgflags", vgcreate: "-s 4m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n skip -l 2 {vg}",
			"lvchange --setactivationskip y {vg}/skip",
			"lvcreate -an -Zn -n ro -l 2 {vg}",
			"lvchange -p r {vg}/ro",
			"lvcreate -an -Zn --type raid0 -i2 -n r0 -l 2 {vg}",
			"lvcreate -an --type zero -n z -L 8m {vg}",
			"lvcreate -an --type error -n err -L 8m {vg}",
			"lvcreate -an -Zn -n plain -l 3 {vg}",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			p, err := vg.Plan("skip", PlanOptions{IgnoreActivationSkip: true})
			if err != nil {
				t.Errorf("skip with IgnoreActivationSkip: %v", err)
			} else {
				want, _ := expectedTable(t, vg.Name, "skip", rep, expectOpts{plan: PlanOptions{IgnoreActivationSkip: true}})
				checkTable(t, p, want, rep)
			}
			if p, err := vg.Plan("ro", PlanOptions{}); err != nil || !p.ReadOnly {
				t.Errorf("read-only LV: %+v, %v", p, err)
			}
			if p, err := vg.Plan("plain", PlanOptions{}); err != nil || p.ReadOnly {
				t.Errorf("plain LV: %+v, %v", p, err)
			}
			for _, lv := range []string{"r0", "r0_rimage_0", "z", "err"} {
				if _, err := vg.Plan(lv, PlanOptions{}); !errors.Is(err, ErrRefused) {
					t.Errorf("Plan(%s): %v; want ErrRefused", lv, err)
				}
			}
		},
	},
	{
		name: "foreign-system-id", sizes: []int{64}, vg: "vgforeign", vgcreate: "-s 4m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n a -l 5 {vg}",
			"vgchange -y --systemid otherhost {vg}",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			if vg.SystemID != "otherhost" {
				t.Errorf("system ID %q", vg.SystemID)
			}
			if _, err := vg.Plan("a", PlanOptions{}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `system ID "otherhost"`) {
				t.Errorf("foreign VG: %v", err)
			}
			p, err := vg.Plan("a", PlanOptions{SystemID: "otherhost"})
			if err != nil || p.ReadOnly {
				t.Fatalf("own system ID: %+v, %v", p, err)
			}
			want, _ := expectedTable(t, vg.Name, "a", rep, expectOpts{plan: PlanOptions{SystemID: "otherhost"}})
			checkTable(t, p, want, rep)
		},
	},
	{
		name: "exported", sizes: []int{64}, vg: "vgexp", vgcreate: "-s 4m", wrapPV: -1,
		cmds: []string{
			"lvcreate -an -Zn -n a -l 5 {vg}",
		},
		check: func(t *testing.T, e *lvmEnv, pvs []*PV, vg *VG, rep lvmReport) {
			// lvs does not report the LVs of an exported VG, so the
			// comparison above ran before the export.
			e.lvm("vgexport", vg.Name)
			vgs, err := Assemble([]*PV{scanFile(t, e.files[0])})
			if err != nil || len(vgs) != 1 {
				t.Fatalf("Assemble: %v", err)
			}
			vg = vgs[0]
			if attr := e.rows("vgs", "-o", "vg_attr", vg.Name)[0]["vg_attr"]; attr[2] != 'x' {
				t.Errorf("lvm2 says attr %s", attr)
			}
			if vg.Flags&FlagExported == 0 || vg.Members[0].Flags&FlagExported == 0 {
				t.Errorf("flags %s, PV flags %s", vg.Flags, vg.Members[0].Flags)
			}
			if _, err := vg.Plan("a", PlanOptions{}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "exported") {
				t.Errorf("exported VG: %v", err)
			}
		},
	},
	{
		name: "missing-pv", sizes: []int{64, 64, 64}, vg: "vgmiss", vgcreate: "-s 4m", wrapPV: -1, scan: []int{0, 2},
		cmds: []string{
			"lvcreate -an -Zn -n here -l 5 {vg} {pv0}",
			"lvcreate -an -Zn -n there -l 5 {vg} {pv1}",
			"lvcreate -an -Zn -n both -l 8 {vg} {pv0}",
			"lvextend -l +3 {vg}/both {pv1}",
			"lvcreate -an -Zn -i2 -n str -l 2 {vg} {pv1} {pv2}",
		},
	},
}

func TestOracleLVM2(t *testing.T) {
	requireLVM(t)
	if out, err := exec.Command("lvm", "version").Output(); err == nil {
		t.Logf("%s", bytes.SplitN(out, []byte("\n"), 2)[0])
	}
	var layouts, lvs, segs int
	for _, l := range oracleLayouts {
		t.Run(l.name, func(t *testing.T) {
			e := newLVMEnv(t, t.TempDir(), l.sizes...)
			defer e.close()
			buildLayout(t, e, l)
			n, s := checkAgainstLVM(t, e, l)
			layouts++
			lvs += n
			segs += s
		})
	}
	t.Logf("compared %d layouts, %d LVs, %d segments with lvm2", layouts, lvs, segs)
}

// buildLayout runs the layout's lvm2 commands.
func buildLayout(tb testing.TB, e *lvmEnv, l oracleLayout) {
	tb.Helper()
	for i, loop := range e.loops {
		var extra []string
		if i < len(l.pvcreate) {
			extra = l.pvcreate[i]
		}
		e.lvm(append(append([]string{"pvcreate"}, extra...), loop)...)
	}
	e.lvm(append(append([]string{"vgcreate"}, strings.Fields(l.vgcreate)...), append([]string{l.vg}, e.loops...)...)...)
	for _, c := range l.cmds {
		e.lvm(e.expand(c, l.vg)...)
	}
	if l.wrapPV >= 0 {
		const mdaStart = 4096
		names := [2]string{"w0", "w1"}
		for i := 0; ; i++ {
			if i == 300 {
				tb.Fatal("the metadata never wrapped")
			}
			e.lvm("lvrename", l.vg, names[i%2], names[(i+1)%2])
			if textWraps(tb, e.files[l.wrapPV], mdaStart) {
				break
			}
		}
	}
}

// checkAgainstLVM scans the layout's PVs and compares everything with
// lvm2's report. It returns the numbers of LVs and segments compared.
func checkAgainstLVM(t *testing.T, e *lvmEnv, l oracleLayout) (nLV, nSeg int) {
	rep := e.report()
	scan := l.scan
	if scan == nil {
		for i := range e.files {
			scan = append(scan, i)
		}
	}
	var missing []string
	for i, loop := range e.loops {
		if !slices.Contains(scan, i) {
			missing = append(missing, loop)
		}
	}
	var pvs []*PV
	for _, i := range scan {
		pv := scanFile(t, e.files[i])
		if len(pv.MetadataErrors) != 0 {
			t.Errorf("%s: metadata errors %v", e.loops[i], pv.MetadataErrors)
		}
		checkHeaders(t, e, e.loops[i], pv)
		pvs = append(pvs, pv)
	}
	vgs, err := Assemble(pvs)
	if err != nil {
		t.Fatalf("Assemble: %v", err)
	}
	var vg *VG
	for _, v := range vgs {
		if v.Name == l.vg {
			vg = v
		}
	}
	if vg == nil {
		t.Fatalf("no VG %s among %d", l.vg, len(vgs))
	}
	// The VG.
	var vgRow map[string]string
	for _, r := range rep.vgs {
		if r["vg_name"] == l.vg {
			vgRow = r
		}
	}
	if vgRow == nil {
		t.Fatalf("lvm2 reports no VG %s", l.vg)
	}
	attr := vgRow["vg_attr"]
	if vg.UUID != vgRow["vg_uuid"] || u64s(uint64(vg.Seqno)) != vgRow["vg_seqno"] || u64s(vg.ExtentSectors) != vgRow["vg_extent_size"] ||
		vg.SystemID != vgRow["vg_systemid"] || vg.LockType != vgRow["vg_lock_type"] ||
		(vg.Flags&FlagExported != 0) != (attr[2] == 'x') || (vg.Flags&FlagResizeable != 0) != (attr[1] == 'z') ||
		(vg.Flags&FlagClustered != 0) != (attr[5] == 'c') {
		t.Errorf("VG: ours %s\nlvm2 %v", dumpVG(vg), vgRow)
	}
	// Its PVs.
	inVG := 0
	for _, r := range rep.pvs {
		if r["vg_name"] != l.vg {
			continue
		}
		inVG++
		var m *Member
		for _, mm := range vg.Members {
			if mm.UUID == r["pv_uuid"] {
				m = mm
			}
		}
		if m == nil || u64s(m.PEStartSectors) != r["pe_start"] || u64s(m.PECount) != r["pv_pe_count"] {
			t.Errorf("PV %v: ours %+v", r, m)
		}
	}
	if inVG != len(vg.Members) {
		t.Errorf("lvm2 lists %d PVs in the VG, the metadata %d", inVG, len(vg.Members))
	}
	for _, m := range vg.Members {
		scanned := false
		for _, pv := range pvs {
			scanned = scanned || pv.UUID == m.UUID
		}
		if m.Present != scanned {
			t.Errorf("member %s: Present %v, scanned %v", m.UUID, m.Present, scanned)
		}
	}
	// Its LVs and their segments, then the plans.
	lvUUIDs := map[string]bool{}
	for _, r := range rep.segs {
		if r["vg_name"] == l.vg {
			lvUUIDs[r["lv_uuid"]] = true
		}
	}
	if len(lvUUIDs) != len(vg.LVs) {
		t.Errorf("lvm2 reports %d LVs, we have %d", len(lvUUIDs), len(vg.LVs))
	}
	for _, lv := range vg.LVs {
		nLV++
		nSeg += checkLV(t, vg, lv, rep)
		want, wantErr := expectedTable(t, vg.Name, lv.Name, rep, expectOpts{missing: missing})
		p, err := vg.Plan(lv.Name, PlanOptions{})
		switch {
		case wantErr != nil && !errors.Is(err, wantErr):
			t.Errorf("Plan(%s): %v; want %v", lv.Name, err, wantErr)
		case wantErr == nil && err != nil:
			t.Errorf("Plan(%s): %v", lv.Name, err)
		case wantErr == nil:
			checkTable(t, p, want, rep)
		}
	}
	if l.check != nil {
		l.check(t, e, pvs, vg, rep)
	}
	return nLV, nSeg
}

// checkHeaders compares the PV with pvck --dump headers and the text of
// its first metadata copy with pvck --dump metadata.
func checkHeaders(t *testing.T, e *lvmEnv, dev string, pv *PV) {
	t.Helper()
	if pv.LabelSector != 1 {
		// pvck --dump looks for the label in sector 1 only.
		t.Logf("%s: label in sector %d, not compared with pvck", dev, pv.LabelSector)
		return
	}
	h := e.pvck(dev)
	same := func(what, got, key string) {
		t.Helper()
		if h[key] != got {
			t.Errorf("%s %s: ours %s, pvck %s = %q", dev, what, got, key, h[key])
		}
	}
	same("UUID", rawID(pv.UUID), "pv_header.pv_uuid")
	same("device size", u64s(pv.DeviceSizeBytes), "pv_header.device_size")
	i := 0
	for _, list := range [][]DiskArea{pv.DataAreas, pv.MetadataAreas} {
		for _, a := range list {
			k := "pv_header.disk_locn[" + strconv.Itoa(i) + "]"
			same("area offset", u64s(a.OffsetBytes), k+".offset")
			same("area size", u64s(a.SizeBytes), k+".size")
			i++
		}
		same("list end", "0", "pv_header.disk_locn["+strconv.Itoa(i)+"].offset")
		i++
	}
	same("extension version", u64s(uint64(pv.ExtensionVersion)), "pv_header_extension.version")
	same("extension flags", u64s(uint64(pv.ExtensionFlags)), "pv_header_extension.flags")
	for j, a := range pv.BootloaderAreas {
		k := "pv_header_extension.disk_locn[" + strconv.Itoa(j) + "]"
		same("bootloader offset", u64s(a.OffsetBytes), k+".offset")
		same("bootloader size", u64s(a.SizeBytes), k+".size")
	}
	for _, md := range pv.Metadata {
		k := "mda_header_" + strconv.Itoa(md.Area+1) + ".raw_locn[0]"
		same("checksum", "0x"+strconv.FormatUint(uint64(md.Checksum), 16), k+".checksum")
		text := e.pvckText(dev, md.Area+1)
		if !bytes.Equal(bytes.TrimRight(text, "\x00\n"), bytes.TrimRight(md.text, "\n")) {
			t.Errorf("%s mda %d: our text (%d bytes) differs from pvck's (%d bytes)", dev, md.Area+1, len(md.text), len(text))
		}
	}
}

// lvRows returns lvm2's segment rows of one LV, by LV name.
func lvRows(vgName, lvName string, rep lvmReport) []map[string]string {
	var rows []map[string]string
	for _, r := range rep.segs {
		if r["vg_name"] == vgName && strings.Trim(r["lv_name"], "[]") == lvName {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b map[string]string) int {
		x, _ := strconv.ParseUint(a["seg_start_pe"], 10, 64)
		y, _ := strconv.ParseUint(b["seg_start_pe"], 10, 64)
		return int(int64(x) - int64(y))
	})
	return rows
}

// area is a device and start extent from lvs' devices field, "name(pe)".
type area struct {
	name  string
	start string
}

func parseDevices(s string) []area {
	var out []area
	for _, d := range strings.Split(s, ",") {
		name, rest, _ := strings.Cut(d, "(")
		out = append(out, area{name, strings.TrimSuffix(rest, ")")})
	}
	return out
}

// uuidOfPath maps a PV path in lvm2's report to its UUID.
func uuidOfPath(rep lvmReport, path string) string {
	for _, r := range rep.pvs {
		if r["pv_name"] == path {
			return r["pv_uuid"]
		}
	}
	return ""
}

// checkLV compares one LV with lvm2's segment rows and returns the number
// of segments compared.
func checkLV(t *testing.T, vg *VG, lv *LV, rep lvmReport) int {
	t.Helper()
	rows := lvRows(vg.Name, lv.Name, rep)
	if len(rows) == 0 {
		t.Errorf("LV %s: lvm2 reports no segments", lv.Name)
		return 0
	}
	attr := rows[0]["lv_attr"]
	hidden := strings.HasPrefix(rows[0]["lv_name"], "[")
	if rows[0]["lv_uuid"] != lv.UUID || hidden != (lv.Flags&FlagVisible == 0) || (attr[1] == 'w') != (lv.Flags&FlagWrite != 0) ||
		(attr[9] == 'k') != (lv.Flags&FlagActivationSkip != 0) {
		t.Errorf("LV %s: ours %s %s; lvm2 %s %s %s", lv.Name, lv.UUID, lv.Flags, rows[0]["lv_name"], rows[0]["lv_uuid"], attr)
	}
	if len(rows) != len(lv.Segments) {
		t.Errorf("LV %s: %d segments, lvm2 reports %d", lv.Name, len(lv.Segments), len(rows))
		return 0
	}
	for i, seg := range lv.Segments {
		r := rows[i]
		typ := seg.Type
		if seg.Stripes != nil {
			if len(seg.Stripes) == 1 {
				typ = "linear" // lvm2 names one-stripe striped segments linear (_striped_name)
			} else {
				typ = "striped"
			}
		}
		stripeSize := seg.StripeSizeSectors
		if typ != r["segtype"] || u64s(seg.StartExtent) != r["seg_start_pe"] || u64s(seg.ExtentCount) != r["seg_size_pe"] {
			t.Errorf("LV %s segment %d: ours %+v (%s); lvm2 %v", lv.Name, i, seg, typ, r)
			continue
		}
		if seg.Stripes == nil {
			continue
		}
		devs := parseDevices(r["devices"])
		if u64s(uint64(len(seg.Stripes))) != r["stripes"] || u64s(stripeSize) != r["stripe_size"] || len(devs) != len(seg.Stripes) {
			t.Errorf("LV %s segment %d: ours %+v; lvm2 %v", lv.Name, i, seg, r)
			continue
		}
		for j, st := range seg.Stripes {
			d := devs[j]
			name := st.LV
			if st.PVUUID != "" {
				name = st.PVUUID
				d.name = uuidOfPath(rep, d.name)
			}
			if d.name != name || d.start != u64s(st.StartExtent) {
				t.Errorf("LV %s segment %d stripe %d: ours %s(%d); lvm2 %s", lv.Name, i, j, name, st.StartExtent, r["devices"])
			}
		}
	}
	return len(rows)
}

// expectedTable derives the dm table of an LV from lvm2's report by
// lvm2's rules, with devices as "MAJOR:MINOR" of the loop devices. It
// returns the error Plan must give instead (ErrRefused for a hidden,
// activation-skip or non-linear, non-striped LV, ErrMissingPV for one on a
// PV that the layout does not scan).
// expectOpts adjusts expectedTable: the PVs not scanned, and the options
// given to Plan.
type expectOpts struct {
	missing []string
	plan    PlanOptions
}

func expectedTable(t *testing.T, vgName, lvName string, rep lvmReport, o expectOpts) ([]string, error) {
	t.Helper()
	rows := lvRows(vgName, lvName, rep)
	var ext uint64
	var vgRow map[string]string
	for _, r := range rep.vgs {
		if r["vg_name"] == vgName {
			vgRow = r
			ext, _ = strconv.ParseUint(r["vg_extent_size"], 10, 64)
		}
	}
	if len(rows) == 0 || ext == 0 {
		t.Fatalf("no report for %s/%s", vgName, lvName)
	}
	if id := vgRow["vg_systemid"]; id != "" && id != o.plan.SystemID || vgRow["vg_attr"][2] == 'x' {
		return nil, ErrRefused // foreign or exported
	}
	if strings.HasPrefix(rows[0]["lv_name"], "[") || rows[0]["lv_attr"][9] == 'k' && !o.plan.IgnoreActivationSkip {
		return nil, ErrRefused
	}
	var lines []string
	var isMissing bool
	for _, r := range rows {
		typ := r["segtype"]
		if typ != "linear" && typ != "striped" {
			return nil, ErrRefused
		}
		start, _ := strconv.ParseUint(r["seg_start_pe"], 10, 64)
		count, _ := strconv.ParseUint(r["seg_size_pe"], 10, 64)
		line := u64s(start*ext) + " " + u64s(count*ext) + " " + typ
		if typ == "striped" {
			line += " " + r["stripes"] + " " + r["stripe_size"]
		}
		for _, d := range parseDevices(r["devices"]) {
			var pv map[string]string
			for _, p := range rep.pvs {
				if p["pv_name"] == d.name {
					pv = p
				}
			}
			if pv == nil {
				return nil, ErrRefused // stacked on an LV
			}
			isMissing = isMissing || slices.Contains(o.missing, d.name)
			peStart, _ := strconv.ParseUint(pv["pe_start"], 10, 64)
			pe, _ := strconv.ParseUint(d.start, 10, 64)
			line += " " + pv["pv_major"] + ":" + pv["pv_minor"] + " " + u64s(peStart+pe*ext)
		}
		lines = append(lines, line)
	}
	if isMissing {
		return nil, ErrMissingPV
	}
	return lines, nil
}

// checkTable compares a plan's table, with the loop devices' numbers, with
// the expected lines, and checks its name and UUID.
func checkTable(t *testing.T, p *Plan, want []string, rep lvmReport) {
	t.Helper()
	devs := map[string]string{}
	for _, r := range rep.pvs {
		devs[r["pv_uuid"]] = r["pv_major"] + ":" + r["pv_minor"]
	}
	got, err := p.Table(devs)
	if err != nil {
		t.Errorf("Table(%s): %v", p.LV, err)
		return
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table of %s:\n got %q\nwant %q", p.Name, got, want)
	}
	if p.Name != strings.ReplaceAll(p.VG, "-", "--")+"-"+strings.ReplaceAll(p.LV, "-", "--") || len(p.UUID) != 68 || !strings.HasPrefix(p.UUID, "LVM-") {
		t.Errorf("name %q, UUID %q", p.Name, p.UUID)
	}
	var lvUUID, vgUUID string
	for _, r := range rep.segs {
		if strings.Trim(r["lv_name"], "[]") == p.LV && r["vg_name"] == p.VG {
			lvUUID = r["lv_uuid"]
		}
	}
	for _, r := range rep.vgs {
		if r["vg_name"] == p.VG {
			vgUUID = r["vg_uuid"]
		}
	}
	if p.UUID != "LVM-"+rawID(vgUUID)+rawID(lvUUID) {
		t.Errorf("UUID %s, want LVM-%s%s", p.UUID, rawID(vgUUID), rawID(lvUUID))
	}
}
