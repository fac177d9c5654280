package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/efivar"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/mountfs"
	"github.com/verinit/verinit/pkg/pivot"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/status"
)

const (
	newRoot = "/sysroot"
	devkmsg = "/proc/sys/kernel/printk_devkmsg"
)

// boot holds what the stages hand each other.
type boot struct {
	log   *klog.Logger
	start time.Time
	env   []string // the environment the kernel gave /init, for the real init
	stage string
	last  time.Time
	cfg   config.Config
	st    status.Status
	mods  *modLoader     // nil when no modules are packed
	undo  []func() error // run on failure, newest first
	parts []status.Stage // carved out of the current stage, see part
}

// cleanup undoes what the stages made, so that a failure leaves no
// device behind for the failure action (a shell) to trip over.
func (b *boot) cleanup() {
	for i := len(b.undo) - 1; i >= 0; i-- {
		if err := b.undo[i](); err != nil {
			b.log.Logf(klog.Warn, "cleanup", "%v", err)
		}
	}
}

// done closes a stage: it records the duration and logs one line.
func (b *boot) done(format string, args ...any) {
	d := b.close()
	b.log.Infof(b.stage, "%s (%dms)", fmt.Sprintf(format, args...), d.Milliseconds())
}

// close records the current stage, less the parts carved out of it,
// followed by those parts, and returns the whole stage's duration.
func (b *boot) close() time.Duration {
	now := time.Now()
	if b.last.IsZero() {
		b.last = b.start
	}
	d := now.Sub(b.last)
	b.last = now
	own := d
	for _, p := range b.parts {
		own -= p.Duration
	}
	b.st.Stages = append(b.st.Stages, status.Stage{Name: b.stage, Duration: own})
	b.st.Stages = append(b.st.Stages, b.parts...)
	b.parts = nil
	return d
}

// part records that d of the current stage went to the named piece of
// work, so that status.json shows it apart: the device stage's
// discovery, which happens between waits, and the LVM and root-hash
// work that the device and verity stages do.
func (b *boot) part(name string, d time.Duration) {
	if d > 0 {
		b.parts = append(b.parts, status.Stage{Name: name, Duration: d})
	}
}

// kmsgLimit lifts the kernel's rate limit on /dev/kmsg writers (a burst
// of 10 lines per 5 s) once the logger is about to exceed it, and puts
// the setting back before the switch. The logger calls lift from
// whichever goroutine logs.
type kmsgLimit struct {
	mu  sync.Mutex
	old []byte // the setting before; nil while not lifted
}

func (k *kmsgLimit) lift() {
	k.mu.Lock()
	defer k.mu.Unlock()
	old, err := os.ReadFile(devkmsg)
	// The newline is required: the kernel refuses "on" without one.
	if err == nil && len(old) > 0 && os.WriteFile(devkmsg, []byte("on\n"), 0) == nil {
		k.old = old
	}
}

func (k *kmsgLimit) restore() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.old != nil {
		os.WriteFile(devkmsg, k.old, 0)
		k.old = nil
	}
}

func (b *boot) run(kmsgLimit *kmsgLimit) error {
	b.stage = "mount"
	b.done("mounted /proc /sys /dev /run")

	b.stage = "config"
	raw, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("read kernel command line: %w", err)
	}
	cl := cmdline.Parse(string(raw))
	b.st.Version, b.st.Cmdline = version, strings.TrimSpace(string(raw))
	packed, err := readPacked()
	if err != nil {
		return err
	}
	b.cfg, err = config.Parse(cl, packed)
	b.log.SetDebug(b.cfg.Debug)
	if err != nil {
		return fmt.Errorf("kernel command line: %w", err)
	}
	pol := b.cfg.Policy
	b.st.Policy = status.Policy{Verity: pol.Verity.String(), Signature: pol.Signature.String(), SHA1: pol.SHA1.String(),
		Shell: pol.Shell.String(), RootHashes: pol.RootHashes, MinVersion: pol.MinVersion}
	for _, s := range b.cfg.Slot {
		b.st.Slot = append(b.st.Slot, status.Slot{Key: s.Key, Value: s.Value})
	}
	what := "root=" + b.cfg.Root.Raw
	if b.cfg.AutoRoot {
		what = "no root=: Discoverable Partitions auto-discovery for " + string(dps.NativeArch())
	}
	if v := b.cfg.Verity; v != nil {
		what = fmt.Sprintf("verified root (%s): data %s, hash %s, roothash=%s", v.Source, v.Data.Raw, v.Hash.Raw, v.RootHash)
	}
	b.done("%s, verity %s, signature %s, wait up to %s, on failure %s", what, b.cfg.Policy.Verity, b.cfg.Policy.Signature, b.cfg.Timeout, b.cfg.OnFailure)

	// Subscribe before the drivers load so that no device is missed.
	watcher, err := blockdev.NewWatcher()
	if err != nil {
		return err
	}
	defer watcher.Close()

	b.stage = "modules"
	b.mods = b.startModules(cl, watcher)

	b.stage = "device"
	root, err := b.findRoot(watcher)
	if err != nil {
		return err
	}

	b.stage = "mount-root"
	// Held open until mounted: the kernel drops a block device's page
	// cache at its last close, and the mount reads what the probe read.
	f, err := os.Open(root.Path())
	if err != nil {
		return fmt.Errorf("root %s: %w", root.Path(), err)
	}
	defer f.Close()
	fstype, err := b.fsType(root, f)
	if err != nil {
		return err
	}
	b.st.Root.FSType = fstype
	b.mods.need(b.stage, "fs", "fs-"+fstype)
	if err := mountfs.Root(root.Path(), newRoot, fstype, b.cfg.ReadOnly, b.cfg.RootFlags); err != nil {
		return fmt.Errorf("root %s: %w", root.Path(), err)
	}
	f.Close()
	b.undo = append(b.undo, func() error { return mountfs.Unmount(newRoot) })
	init, err := pivot.FindInit(newRoot, b.cfg.Inits)
	if err != nil {
		return fmt.Errorf("root %s: %w", root.Path(), err)
	}
	b.done("mounted %s (%s, %s) on %s; init %s", root.Path(), fstype, map[bool]string{true: "ro", false: "rw"}[b.cfg.ReadOnly], newRoot, init)

	b.stage = "switch"
	b.mods.record(&b.st)
	b.st.Init, b.st.InitArgs = init, os.Args[1:]
	b.log.Infof(b.stage, "switching to %s after %dms", init, time.Since(b.start).Milliseconds())
	kmsgLimit.restore()
	return pivot.Switch(pivot.Options{NewRoot: newRoot, Init: init, Argv: os.Args[1:], Env: b.env,
		Moves: []string{"/dev", "/proc", "/sys", "/run"},
		Log:   func(f string, a ...any) { b.log.Debugf("switch", f, a...) },
		// The record is written from the new root, where /run now is,
		// so that it can say how long the switch took.
		BeforeExec: func() {
			b.close()
			b.st.Total = b.last.Sub(b.start)
			if err := status.Write(&b.st); err != nil {
				b.log.Logf(klog.Warn, b.stage, "%v", err)
			}
		}})
}

// findRoot waits until the devices the configuration names are there
// (locate.Decide says which), then returns the root to mount: the device
// itself, or the dm-verity device built on the data and hash devices.
func (b *boot) findRoot(w *blockdev.Watcher) (rootDevice, error) {
	wt := rootdev.NewWaiter(w, b.cfg.Timeout, func(f string, a ...any) { b.log.Debugf(b.stage, f, a...) })
	in := locate.Input{Config: &b.cfg, Arch: dps.NativeArch()}
	if b.cfg.AutoRoot {
		loader, _, err := efivar.LoaderDevicePartUUID()
		if err != nil {
			b.log.Logf(klog.Warn, b.stage, "%v; looking on every disk", err)
		}
		in.Loader = loader
	}
	var d locate.Decision
	view, err := wt.Watch(in.Needs(), func(v rootdev.View) (bool, error) {
		var done bool
		var err error
		d, done, err = locate.Decide(in, v)
		return done, err
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return rootDevice{}, fmt.Errorf("%s after %s; %s", strings.Join(d.Missing, "; "), wt.Timeout(), rootdev.Explain(view))
	}
	if err != nil {
		return rootDevice{}, err
	}
	b.part("discovery", wt.Scanning())
	t := time.Now()
	if err := b.activateLVs(&d.Root, &d.Data, &d.Hash); err != nil {
		return rootDevice{}, err
	}
	if len(b.st.LVs) > 0 {
		b.part("lvm", time.Since(t))
	}
	v := b.cfg.Verity
	if v == nil {
		m := d.Root
		spec := b.cfg.Root.Raw
		if d.Discovered != nil {
			spec = "(Discoverable Partitions) " + d.Discovered.String()
		}
		b.st.Root = status.Root{Spec: spec, Key: m.Key, Value: m.Value, Device: m.Device.Path(),
			DevNum: m.Device.DevNum(), Disk: m.Device.Disk, Partition: m.Device.Partition,
			ReadOnly: b.cfg.ReadOnly, Options: b.cfg.RootFlags}
		b.done("root %s is %s (%s)", spec, m.Device.Path(), m.Device.DevNum())
		return rootDevice{path: m.Device.Path(), size: m.Device.SizeBytes}, nil
	}
	if d.HashPartition != nil {
		v.UseHashPartition(*d.HashPartition)
	}
	b.done("verity data %s is %s, hash %s is %s", v.Data.Raw, d.Data.Device.Path(), v.Hash.Raw, d.Hash.Device.Path())

	b.stage = "verity"
	b.mods.need(b.stage, "dm", verityModules(v.Options.Algorithm, v.RootHash)...)
	t = time.Now()
	trust, err := b.trust(wt, view, d, v)
	if err != nil {
		return rootDevice{}, err
	}
	gathered := time.Since(t)
	var opened func()
	if b.cfg.Debug {
		opened = b.logOpenDevices
	}
	res, err := activate.Verity(v, d.Data.Device, d.Hash.Device, trust, opened)
	if err != nil {
		return rootDevice{}, err
	}
	b.part("root-hash", gathered+res.Check)
	if res.Signer != nil {
		b.st.Signature = &status.Signature{From: trust.SigFrom, Subject: res.Signer.Subject, Issuer: res.Signer.Issuer,
			Fingerprint: res.Signer.FingerprintSHA256, Kernel: v.KernelSig}
		if res.Signer.HasVersion {
			b.st.Signature.Version = &res.Signer.Version
		}
		b.log.Infof(b.stage, "root hash signed by %s (sha256 %s), from %s", res.Signer.Subject, res.Signer.FingerprintSHA256, trust.SigFrom)
	}
	b.undo = append(b.undo, func() error { return dm.Remove(res.Device) })
	b.st.Verity = &status.Verity{Source: v.Source, Device: res.Device.Node(), DevNum: res.Device.DevNum(),
		DataDevice: d.Data.Device.Path(), HashDevice: d.Hash.Device.Path(), HashOffset: res.HashOffset,
		RootHash: v.RootHash, Algorithm: res.Params.Algorithm, Options: res.Options, Table: res.Table}
	b.st.Root = status.Root{Spec: v.Data.Raw, Key: d.Data.Key, Value: d.Data.Value, Device: res.Device.Node(),
		DevNum: res.Device.DevNum(), Disk: d.Data.Device.Disk, Partition: d.Data.Device.Partition,
		ReadOnly: true, Options: b.cfg.RootFlags}
	b.cfg.ReadOnly = true // dm-verity devices are read-only
	b.done("%s: root hash %s matches the tree on %s; %s", res.Device.Node(), v.RootHash, d.Hash.Device.Path(), res.Table)
	return rootDevice{path: res.Device.Node(), size: int64(res.Params.DataBlocks) * int64(res.Params.DataBlockSize)}, nil
}

// activateLVs activates the logical volumes among the matches (each
// once), so that they have a device from then on.
func (b *boot) activateLVs(ms ...*rootdev.Match) error {
	done := map[string]blockdev.Device{}
	for _, m := range ms {
		if m.LV == nil {
			continue
		}
		if dev, ok := done[m.LV.Name]; ok {
			m.Device = dev
			continue
		}
		b.mods.need(b.stage, "dm", "dm-mod")
		dev, dmDev, table, err := activate.LV(m.LV, m.PVs)
		if err != nil {
			return err
		}
		b.undo = append(b.undo, func() error { return dm.Remove(dmDev) })
		m.Device, done[m.LV.Name] = dev, dev
		b.st.LVs = append(b.st.LVs, status.LV{VG: m.LV.VG, LV: m.LV.LV, Device: dev.Path(), DevNum: dev.DevNum(), Table: table})
		b.log.Infof(b.stage, "activated %s/%s as %s: %s", m.LV.VG, m.LV.LV, dev.Path(), strings.Join(table, "; "))
	}
	return nil
}

// logOpenDevices is verinit.debug's record of every block device the
// init holds open and how: the VM suite checks that none is writable.
func (b *boot) logOpenDevices() {
	files, err := blockdev.OpenFiles()
	if err != nil {
		b.log.Logf(klog.Warn, b.stage, "%v", err)
	}
	for _, f := range files {
		b.log.Debugf(b.stage, "open block device: %s", f)
	}
}

// rootDevice is what gets mounted.
type rootDevice struct {
	path string
	size int64
}

func (r rootDevice) Path() string { return r.path }

func (b *boot) fsType(d rootDevice, f *os.File) (string, error) {
	if b.cfg.FSType != "" {
		return b.cfg.FSType, nil
	}
	info, err := fsdetect.Probe(f, d.size)
	var fe *fsdetect.FormatError
	if errors.Is(err, fsdetect.ErrUnknown) || errors.Is(err, fsdetect.ErrAmbiguous) || errors.As(err, &fe) {
		return "", fmt.Errorf("root %s: %w; give rootfstype= to mount it anyway", d.Path(), err)
	}
	if err != nil { // an I/O error: no file system type would help
		return "", fmt.Errorf("root %s: %w", d.Path(), err)
	}
	return info.Type.KernelName(), nil
}

// readPacked reads what the initramfs carries besides the modules. A
// file that is there but cannot be read is an error: a policy must not
// be lost quietly.
func readPacked() (config.Packed, error) {
	var p config.Packed
	for path, dst := range map[string]*[]byte{config.PolicyPath: &p.Policy, config.VerityEnvPath: &p.VerityEnv} {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return p, err
		}
		*dst = b
	}
	return p, nil
}
