package lvm

import (
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestMain detaches the benchmarks' loop devices when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	benchFix.close()
	os.Exit(code)
}

// benchFixture is the striped-2-3-4 oracle layout, built by lvm2 once for
// both benchmarks: its loop devices for lvm2, and the bytes ScanPV reads
// from them (everything before the first extent) in memory for this
// package.
type benchFixture struct {
	once   sync.Once
	dir    string
	env    *lvmEnv
	vg     string
	images []*extentImage
}

var benchFix benchFixture

func (f *benchFixture) get(b *testing.B) *benchFixture {
	b.Helper()
	requireLVM(b)
	f.once.Do(func() {
		var l oracleLayout
		for _, x := range oracleLayouts {
			if x.name == "striped-2-3-4" {
				l = x
			}
		}
		dir, err := os.MkdirTemp("", "lvm-bench-")
		if err != nil {
			b.Fatal(err)
		}
		f.dir = dir
		env := newLVMEnv(b, dir, l.sizes...)
		f.env = env
		buildLayout(b, env, l)
		f.vg = l.vg
		for _, file := range env.files {
			pv := scanFile(b, file)
			st, err := os.Stat(file)
			if err != nil {
				b.Fatal(err)
			}
			// Everything before pe_start: the label and the metadata area.
			data := make([]byte, pv.DataAreas[0].OffsetBytes)
			fd, err := os.Open(file)
			if err == nil {
				_, err = fd.ReadAt(data, 0)
				fd.Close()
			}
			if err != nil {
				b.Fatal(err)
			}
			f.images = append(f.images, &extentImage{Size: st.Size(), Extents: []extent{{Off: 0, Data: data}}})
		}
	})
	if f.images == nil {
		b.Fatal("building the benchmark layout failed earlier")
	}
	return f
}

func (f *benchFixture) close() {
	if f.env != nil {
		f.env.close()
	}
	if f.dir != "" {
		os.RemoveAll(f.dir)
	}
}

// scanAndPlan does what the init does: scan every PV, assemble, and plan
// every LV of the VG with its table rendered.
func (f *benchFixture) scanAndPlan(tb testing.TB) int {
	var pvs []*PV
	for _, img := range f.images {
		pv, err := ScanPV(img, img.Size)
		if err != nil {
			tb.Fatal(err)
		}
		pvs = append(pvs, pv)
	}
	vgs, err := Assemble(pvs)
	if err != nil || len(vgs) != 1 {
		tb.Fatalf("Assemble: %d VGs, %v", len(vgs), err)
	}
	devs := map[string]string{}
	for i, pv := range pvs {
		devs[pv.UUID] = "7:" + strconv.Itoa(i)
	}
	n := 0
	for _, lv := range vgs[0].LVs {
		p, err := vgs[0].Plan(lv.Name, PlanOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := p.Table(devs); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	return n
}

// BenchmarkScanAndPlan scans four real PVs (their label and metadata
// bytes in memory), assembles the VG and plans all its LVs.
func BenchmarkScanAndPlan(b *testing.B) {
	f := benchFix.get(b)
	b.ReportAllocs()
	b.ResetTimer()
	lvs := 0
	for range b.N {
		lvs = f.scanAndPlan(b)
	}
	b.ReportMetric(float64(lvs), "LVs")
}

// BenchmarkLvs times what an lvm2-based initramfs runs on the same loop
// devices: lvs (a report of the VG) and vgchange --test -ay (activation
// without the kernel). It reports each command's time and their ratio to
// BenchmarkScanAndPlan's work, measured here too.
func BenchmarkLvs(b *testing.B) {
	f := benchFix.get(b)
	const reps = 200
	start := time.Now()
	for range reps {
		f.scanAndPlan(b)
	}
	scan := float64(time.Since(start).Nanoseconds()) / reps
	b.ResetTimer()
	var lvsNs, vgchangeNs int64
	for range b.N {
		t0 := time.Now()
		f.env.lvm("lvs", "--reportformat", "json", f.vg)
		t1 := time.Now()
		f.env.lvm("vgchange", "--test", "-ay", f.vg)
		vgchangeNs += time.Since(t1).Nanoseconds()
		lvsNs += t1.Sub(t0).Nanoseconds()
	}
	n := float64(b.N)
	b.ReportMetric(float64(lvsNs)/n, "lvs-ns/op")
	b.ReportMetric(float64(vgchangeNs)/n, "vgchange-test-ns/op")
	b.ReportMetric(scan, "scanplan-ns/op")
	b.ReportMetric(float64(lvsNs)/n/scan, "lvs/scanplan")
	b.ReportMetric(float64(vgchangeNs)/n/scan, "vgchange/scanplan")
}
