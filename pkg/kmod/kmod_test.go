package kmod

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/verinit/verinit/pkg/modalias"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

// recorder is a fake finit_module: it records calls and answers from errs.
type recorder struct {
	mu    sync.Mutex
	calls []string
	errs  map[string]error
}

func (r *recorder) sys(path, params string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, path+"|"+params)
	return r.errs[path]
}

func outcomes(res []Result) map[string]Outcome {
	got := map[string]Outcome{}
	for _, r := range res {
		got[r.Name] = r.Outcome
	}
	return got
}

func TestLoadAll(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "virtio", Path: "/m/virtio.ko"},
		{Name: "virtio_ring", Path: "/m/virtio_ring.ko", Deps: []string{"virtio"}},
		{Name: "virtio_blk", Path: "/m/virtio_blk.ko", Deps: []string{"virtio", "virtio_ring"}},
		{Name: "dm_mod", Path: "/m/dm-mod.ko"},
		{Name: "dm_verity", Path: "/m/dm-verity.ko", Deps: []string{"dm_mod"}},
		{Name: "squashfs", Path: "/m/squashfs.ko"},
		{Name: "crc32c_intel", Path: "/m/crc32c-intel.ko"},
		{Name: "libcrc32c", Path: "/m/libcrc32c.ko", Deps: []string{"crc32c_intel"}},
		{Name: "ext4", Path: "/m/ext4.ko"},
	}
	rec := &recorder{errs: map[string]error{
		"/m/dm-mod.ko":       errMissing,
		"/m/virtio.ko":       errExist,
		"/m/crc32c-intel.ko": errNoDevice,
		"/m/ext4.ko":         fmt.Errorf("finit_module: %w", errors.New("exec format error")),
	}}
	opts := Options{
		Params: func(m string) []string {
			if m == "virtio_blk" {
				return []string{"queue_depth=8", `x="a b"`}
			}
			return nil
		},
		Blacklisted: func(m string) bool { return m == "squashfs" },
	}
	l := newLoader(mods, nil, opts, rec.sys)
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
	}
	l.Start(ByStart, names...)
	res := l.Results()
	want := map[string]Outcome{
		"virtio": Present, "virtio_ring": Loaded, "virtio_blk": Loaded,
		"dm_mod": Missing, "dm_verity": DepFailed, "squashfs": Blacklisted, "ext4": Failed,
		"crc32c_intel": NoDevice, "libcrc32c": Loaded,
	}
	if got := outcomes(res); !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	// Order between independent modules is free; each dependency comes
	// before its dependents.
	slices.Sort(rec.calls)
	wantCalls := []string{"/m/crc32c-intel.ko|", "/m/dm-mod.ko|", "/m/ext4.ko|", "/m/libcrc32c.ko|", "/m/virtio.ko|", `/m/virtio_blk.ko|queue_depth=8 x="a b"`, "/m/virtio_ring.ko|"}
	if !reflect.DeepEqual(rec.calls, wantCalls) {
		t.Errorf("calls = %q, want %q", rec.calls, wantCalls)
	}
	if len(res) != len(mods) || res[4].Name != "dm_verity" {
		t.Fatalf("results not in list order: %+v", res)
	}
	if res[4].Err == nil || res[4].Err.Error() != "kmod: dm_verity: dependency not loaded: dm_mod" {
		t.Errorf("dm_verity error = %v", res[4].Err)
	}
}

// TestOrder checks that a module's call comes after its dependencies'
// calls, over many runs of the parallel loader.
func TestOrder(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "a", Path: "/a.ko"}, {Name: "b", Path: "/b.ko", Deps: []string{"a"}},
		{Name: "c", Path: "/c.ko"}, {Name: "d", Path: "/d.ko", Deps: []string{"b", "c"}},
	}
	for range 200 {
		rec := &recorder{}
		l := newLoader(mods, nil, Options{}, rec.sys)
		l.Start(ByStart, "d")
		l.Wait("d")
		pos := map[string]int{}
		for i, c := range rec.calls {
			pos[c] = i
		}
		if len(rec.calls) != 4 || pos["/a.ko|"] > pos["/b.ko|"] || pos["/b.ko|"] > pos["/d.ko|"] || pos["/c.ko|"] > pos["/d.ko|"] {
			t.Fatalf("calls %q", rec.calls)
		}
	}
}

// TestParallel shows that independent modules do not wait for each
// other: b loads while a's load is still blocked.
func TestParallel(t *testing.T) {
	release := make(chan struct{})
	bDone := make(chan struct{})
	sys := func(path, params string) error {
		switch path {
		case "/a.ko":
			<-release
		case "/b.ko":
			close(bDone)
		}
		return nil
	}
	l := newLoader([]loadlist.Entry{{Name: "a", Path: "/a.ko"}, {Name: "b", Path: "/b.ko"}, {Name: "c", Path: "/c.ko", Deps: []string{"a"}}}, nil, Options{}, sys)
	l.Start(ByStart, "a", "b", "c")
	<-bDone // would hang if b waited for a
	l.Wait("b")
	if got := l.Finished(); len(got) != 1 || got[0].Name != "b" {
		t.Errorf("Finished while a loads = %+v, want b only", got)
	}
	close(release)
	if got := outcomes(l.Results()); got["a"] != Loaded || got["b"] != Loaded || got["c"] != Loaded {
		t.Errorf("outcomes %v", got)
	}
}

func TestByNeed(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "virtio", Class: loadlist.Dep, Path: "/m/virtio.ko"},
		{Name: "virtio_pci", Class: loadlist.Storage, Path: "/m/virtio_pci.ko", Deps: []string{"virtio"}},
		{Name: "virtio_blk", Class: loadlist.Storage, Path: "/m/virtio_blk.ko", Deps: []string{"virtio"}},
		{Name: "ahci", Class: loadlist.Storage, Path: "/m/ahci.ko"},
		{Name: "loop", Class: loadlist.Start, Path: "/m/loop.ko"},
		{Name: "dm_mod", Class: loadlist.DM, Path: "/m/dm-mod.ko"},
		{Name: "sha256_ssse3", Class: loadlist.DM, Path: "/m/sha256-ssse3.ko"},
		{Name: "ext4", Class: loadlist.FS, Path: "/m/ext4.ko"},
	}
	aliases := []modalias.Alias{
		{Pattern: "pci:v00001AF4d*sv*sd*bc*sc*i*", Module: "virtio_pci"},
		{Pattern: "virtio:d00000002v*", Module: "virtio_blk"},
		{Pattern: "pci:v*d*sv*sd*bc01sc06i01*", Module: "ahci"},
		{Pattern: "crypto_sha256", Module: "sha256_ssse3"},
		{Pattern: "cpu:type:x86,ven*fam*mod*:feature:*0089*", Module: "sha256_ssse3"},
		{Pattern: "fs_ext4", Module: "ext4"},
	}
	rec := &recorder{}
	l := newLoader(mods, aliases, Options{}, rec.sys)
	if got, every := l.Buses(); !reflect.DeepEqual(got, []string{"pci", "virtio"}) || every {
		t.Errorf("Buses = %q, %v; want [pci virtio], false", got, every)
	}
	if got := l.Class(loadlist.Start, ByStart); !reflect.DeepEqual(got, []string{"loop"}) {
		t.Errorf("Class(start) = %q", got)
	}
	if got := l.Modalias("pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"); !reflect.DeepEqual(got, []string{"virtio_pci"}) {
		t.Errorf("Modalias(virtio pci) = %q", got)
	}
	if got := l.Modalias("pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"); got != nil {
		t.Errorf("second Modalias(virtio pci) started %q", got)
	}
	// Only storage drivers match devices: a CPU's modalias loads no hash.
	if got := l.Modalias("cpu:type:x86,ven0000fam0006mod003F:feature:,0089"); got != nil {
		t.Errorf("Modalias(cpu) = %q", got)
	}
	l.Modalias("virtio:d00000002v00001AF4")
	if got := l.Need(ByDM, "dm-mod", "crypto-sha256", "crypto-sha1"); !reflect.DeepEqual(got, []string{"dm_mod", "sha256_ssse3"}) {
		t.Errorf("Need(dm) = %q", got)
	}
	l.Wait("dm_mod", "sha256_ssse3", "nosuch")
	l.Need(ByFS, "fs-ext4")
	res := l.Results()
	want := map[string]Outcome{"virtio": Loaded, "virtio_pci": Loaded, "virtio_blk": Loaded, "ahci": Unused, "loop": Loaded,
		"dm_mod": Loaded, "sha256_ssse3": Loaded, "ext4": Loaded}
	if got := outcomes(res); !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
	triggers := map[string]string{}
	for _, r := range res {
		triggers[r.Name] = r.Trigger.String()
	}
	wantTriggers := map[string]string{"virtio": "modalias", "virtio_pci": "modalias", "virtio_blk": "modalias", "ahci": "", "loop": "start",
		"dm_mod": "dm", "sha256_ssse3": "dm", "ext4": "fs"}
	if !reflect.DeepEqual(triggers, wantTriggers) {
		t.Errorf("triggers = %v, want %v", triggers, wantTriggers)
	}
	if got := Summary(res); got != "8 modules: 7 loaded, 0 present, 0 without device, 0 blacklisted, 0 missing, 0 failed, 1 unused" {
		t.Errorf("Summary = %q", got)
	}
}

// TestBuses: coldplug reads only the buses the storage aliases name,
// unless an alias can match a device on any bus.
func TestBuses(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "sdhci_acpi", Class: loadlist.Storage, Path: "/m/sdhci-acpi.ko"},
		{Name: "nvme", Class: loadlist.Storage, Path: "/m/nvme.ko"},
		{Name: "ext4", Class: loadlist.FS, Path: "/m/ext4.ko"},
	}
	for _, tc := range []struct {
		pattern string // for sdhci_acpi
		want    []string
		every   bool
	}{
		{"mmc:block", []string{"pci", "mmc"}, false},
		{"acpi*:80860F14:*", []string{"pci"}, true}, // a pattern for the bus
		{"acpi:80860F14:*", []string{"pci"}, true},  // firmware-described: on the platform bus
		{"of:N*T*Csdhci", []string{"pci"}, true},
		{"sdhci", []string{"pci"}, true}, // no bus at all
	} {
		aliases := []modalias.Alias{
			{Pattern: "pci:v*d*sv*sd*bc01sc08i02*", Module: "nvme"},
			{Pattern: tc.pattern, Module: "sdhci_acpi"},
			{Pattern: "ext:fs", Module: "ext4"}, // not a storage driver: no bus
		}
		l := newLoader(mods, aliases, Options{}, (&recorder{}).sys)
		if got, every := l.Buses(); !reflect.DeepEqual(got, tc.want) || every != tc.every {
			t.Errorf("%s: Buses = %q, %v; want %q, %v", tc.pattern, got, every, tc.want, tc.every)
		}
	}
}

func TestReadList(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/verinit.load"
	if err := os.WriteFile(p, []byte("verinit-load 2\nmodule virtio dep /m/virtio.ko\nmodule virtio_blk storage /m/virtio_blk.ko virtio\nalias virtio:d00000002v* virtio_blk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mods, aliases, err := ReadList(p)
	if err != nil || len(mods) != 2 || mods[1].Name != "virtio_blk" || mods[1].Class != loadlist.Storage || !reflect.DeepEqual(mods[1].Deps, []string{"virtio"}) ||
		!reflect.DeepEqual(aliases, []modalias.Alias{{Pattern: "virtio:d00000002v*", Module: "virtio_blk"}}) {
		t.Fatalf("ReadList = %+v, %+v, %v", mods, aliases, err)
	}
	if _, _, err := ReadList(dir + "/none"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing list: %v", err)
	}
	os.WriteFile(p, []byte("virtio /m/virtio.ko\n"), 0o644)
	if _, _, err := ReadList(p); err == nil {
		t.Error("a version 1 list was accepted")
	}
}

// TestRunning: Running is nil when idle, and otherwise a channel that
// closes only once every load running at the call has ended.
func TestRunning(t *testing.T) {
	release := map[string]chan struct{}{"/m/a.ko": make(chan struct{}), "/m/b.ko": make(chan struct{})}
	sys := func(path, _ string) error { <-release[path]; return nil }
	l := newLoader([]loadlist.Entry{{Name: "a", Path: "/m/a.ko"}, {Name: "b", Path: "/m/b.ko"}}, nil, Options{}, sys)
	if l.Running() != nil {
		t.Fatal("Running before any load: want nil")
	}
	l.Start(ByDevice, "a", "b")
	running := l.Running()
	if running == nil {
		t.Fatal("Running while a and b load: got nil")
	}
	close(release["/m/a.ko"])
	l.Wait("a")
	select {
	case <-running:
		t.Fatal("Running ended while b still loads")
	default:
	}
	close(release["/m/b.ko"])
	<-running
	if l.Running() != nil {
		t.Fatal("Running after every load ended: want nil")
	}
}

// TestDeviceTree: the storage drivers of boards whose devices the device
// tree describes load from the "of:", "platform:" and "amba:" modaliases
// of their devices (aliases as Debian's arm64 and armhf kernels have
// them, normalised as the packer writes them), and coldplug reads every
// bus for them, the platform and AMBA buses first.
func TestDeviceTree(t *testing.T) {
	mods := []loadlist.Entry{
		{Name: "sdhci", Class: loadlist.Dep, Path: "/m/sdhci.ko"},
		{Name: "sdhci_pltfm", Class: loadlist.Dep, Path: "/m/sdhci-pltfm.ko", Deps: []string{"sdhci"}},
		{Name: "sdhci_iproc", Class: loadlist.Storage, Path: "/m/sdhci-iproc.ko", Deps: []string{"sdhci_pltfm"}},
		{Name: "sdhci_of_arasan", Class: loadlist.Storage, Path: "/m/sdhci-of-arasan.ko", Deps: []string{"sdhci_pltfm"}},
		{Name: "virtio_mmio", Class: loadlist.Storage, Path: "/m/virtio_mmio.ko"},
		{Name: "xhci_plat_hcd", Class: loadlist.Storage, Path: "/m/xhci-plat-hcd.ko"},
		{Name: "armmmci", Class: loadlist.Storage, Path: "/m/armmmci.ko"},
		{Name: "ext4", Class: loadlist.FS, Path: "/m/ext4.ko"},
	}
	var aliases []modalias.Alias
	for _, a := range []struct{ pattern, module string }{
		{"of:N*T*Cbrcm,bcm2711-emmc2", "sdhci_iproc"},
		{"of:N*T*Cbrcm,bcm2711-emmc2C*", "sdhci_iproc"},
		{"of:N*T*Carasan,sdhci-5.1", "sdhci_of_arasan"},
		{"of:N*T*Carasan,sdhci-5.1C*", "sdhci_of_arasan"},
		{"of:N*T*Cvirtio,mmio", "virtio_mmio"},
		{"acpi*:LNRO0005:*", "virtio_mmio"},
		{"platform:xhci-hcd", "xhci_plat_hcd"},
		{"amba:d???41181", "armmmci"},
		{"fs-ext4", "ext4"},
	} {
		aliases = append(aliases, modalias.Alias{Pattern: modalias.Normalize(a.pattern), Module: a.module})
	}
	modalias.Sort(aliases)
	rec := &recorder{}
	l := newLoader(mods, aliases, Options{}, rec.sys)
	if named, every := l.Buses(); !reflect.DeepEqual(named, []string{"amba", "platform"}) || !every {
		t.Errorf("Buses = %q, %v; want [amba platform], every bus", named, every)
	}
	for dev, want := range map[string]string{
		"of:NmmcT(null)Cbrcm,bcm2711-emmc2":                         "sdhci_iproc",     // Raspberry Pi 4
		"of:NmmcT(null)Crockchip,rk3399-sdhci-5.1Carasan,sdhci-5.1": "sdhci_of_arasan", // the last compatible matches
		"of:Nvirtio_mmioT(null)Cvirtio,mmio":                        "virtio_mmio",     // QEMU virt
		"acpi:LNRO0005:":                                            "virtio_mmio",
		"platform:xhci-hcd":                                         "xhci_plat_hcd", // made by dwc3
		"amba:d00041181":                                            "armmmci",
	} {
		if got := l.devices.Lookup(dev); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("Lookup(%s) = %q, want %s", dev, got, want)
		}
	}
	if got := l.Modalias("of:NmmcT(null)Crockchip,rk3399-sdhci-5.1Carasan,sdhci-5.1"); !reflect.DeepEqual(got, []string{"sdhci_of_arasan"}) {
		t.Errorf("Modalias(rk3399 eMMC) started %q, want sdhci_of_arasan", got)
	}
	// A compatible only some other driver claims loads nothing.
	if got := l.Modalias("of:NmmcT(null)Cfsl,imx8mm-usdhc"); got != nil {
		t.Errorf("Modalias(i.MX8) started %q", got)
	}
	l.Results()
	want := []string{"/m/sdhci.ko|", "/m/sdhci-pltfm.ko|", "/m/sdhci-of-arasan.ko|"} // dependencies first
	if !reflect.DeepEqual(rec.calls, want) {
		t.Errorf("loaded %q, want %q", rec.calls, want)
	}
}
