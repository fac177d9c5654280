package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/efivar"
	"github.com/verinit/verinit/pkg/fsdetect"
	"github.com/verinit/verinit/pkg/klog"
	"github.com/verinit/verinit/pkg/kmod"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/mountfs"
	"github.com/verinit/verinit/pkg/pivot"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/status"
	"github.com/verinit/verinit/pkg/verity"
)

const newRoot = "/sysroot"

// boot holds what the stages hand each other.
type boot struct {
	log  *klog.Logger
	tl   *status.Timeline
	env  []string // the environment the kernel gave /init, for the real init
	cl   *cmdline.Cmdline
	cfg  config.Config
	st   status.Status
	mods *modLoader     // nil when no modules are packed
	undo []func() error // run on failure, newest first
	kmsg *kmsgLimit
}

// run is the boot sequence. Each stage logs one line when it ends and
// is timed in status.json; any error ends the boot, and main follows
// the failure policy.
func (b *boot) run() error {
	b.tl.Begin("mount")
	b.done("mounted /proc /sys /dev /run")
	if err := b.config(); err != nil {
		return err
	}
	// Subscribe before the drivers load so that no device is missed.
	w, err := blockdev.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	b.modules(w)
	found, err := b.device(w)
	if err != nil {
		return err
	}
	root := found.plain()
	if b.cfg.Verity != nil {
		if root, err = b.verity(found); err != nil {
			return err
		}
	}
	usr, err := b.usr(found)
	if err != nil {
		return err
	}
	init, err := b.mountRoot(root, usr)
	if err != nil {
		return err
	}
	if err := b.measure(); err != nil {
		return err
	}
	return b.switchRoot(init)
}

// stage is the name of the stage under way, for log lines.
func (b *boot) stage() string { return b.tl.Stage() }

// done ends the stage under way: it records the duration and logs one
// line.
func (b *boot) done(format string, args ...any) {
	d := b.tl.End()
	b.log.Infof(b.stage(), "%s (%dms)", fmt.Sprintf(format, args...), d.Milliseconds())
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

// config reads the command line and what the initramfs packs into the
// Config every later stage follows.
func (b *boot) config() error {
	b.tl.Begin("config")
	raw, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("read kernel command line: %w", err)
	}
	b.cl = cmdline.Parse(string(raw))
	b.st.Version, b.st.Cmdline = version, strings.TrimSpace(string(raw))
	packed, err := readPacked()
	if err != nil {
		return err
	}
	b.cfg, err = config.Parse(b.cl, packed)
	b.log.SetDebug(b.cfg.Debug)
	if err != nil {
		return fmt.Errorf("kernel command line: %w", err)
	}
	b.st.Policy = policyRecord(b.cfg.Policy)
	for _, s := range b.cfg.Slot {
		b.st.Slot = append(b.st.Slot, status.Slot{Key: s.Key, Value: s.Value})
	}
	b.done("%s%s, verity %s, signature %s, wait up to %s, on failure %s", describeRoot(b.cfg), describeUsr(b.cfg), b.cfg.Policy.Verity, b.cfg.Policy.Signature, b.cfg.Timeout, b.cfg.OnFailure)
	return nil
}

// modules starts loading the packed modules by need (modules.go).
func (b *boot) modules(w *blockdev.Watcher) {
	b.tl.Begin("modules")
	b.mods = b.startModules(b.cl, w)
}

// found is what the device stage decided, and what the verity stage
// still needs of the wait: the waiter (for a signature partition) and
// its last view of the devices.
type found struct {
	d    locate.Decision
	wt   *rootdev.Waiter
	view rootdev.View
}

// device waits until the devices the configuration names are there
// (locate.Decide says which) and activates the logical volumes among
// them.
func (b *boot) device(w *blockdev.Watcher) (f found, err error) {
	b.tl.Begin("device")
	f.wt = rootdev.NewWaiter(w, b.cfg.Timeout, func(f string, a ...any) { b.log.Debugf(b.stage(), f, a...) })
	in := locate.Input{Config: &b.cfg, Arch: dps.NativeArch()}
	if b.cfg.AutoRoot || (b.cfg.Verity != nil && b.cfg.Verity.Source == config.FromDPS) {
		in.Loader = b.loader().PartUUID
	}
	if f.d, f.view, err = locate.Wait(f.wt, in); err != nil {
		return f, err
	}
	b.tl.Part("discovery", f.wt.Scanning())
	if err := b.activateLVs(&f.d.Root, &f.d.Data, &f.d.Hash, &f.d.FEC, &f.d.UsrData, &f.d.UsrHash, &f.d.UsrFEC); err != nil {
		return f, err
	}
	var found []string
	switch v := b.cfg.Verity; {
	case v != nil:
		if f.d.HashPartition != nil {
			v.UseHashPartition(*f.d.HashPartition)
		}
		found = append(found, verityFound("verity", v, f.d.Data, f.d.Hash, f.d.FEC))
	case b.cfg.TmpfsRoot:
		found = append(found, "root is a tmpfs")
	default:
		b.st.Root = plainRootRecord(b.cfg, f.d)
		found = append(found, fmt.Sprintf("root %s is %s (%s)", b.st.Root.Spec, b.st.Root.Device, b.st.Root.DevNum))
	}
	switch u := b.cfg.Usr; {
	case u.Verified():
		found = append(found, verityFound("usr verity", u.Verity, f.d.UsrData, f.d.UsrHash, f.d.UsrFEC))
	case u != nil:
		found = append(found, fmt.Sprintf("usr %s is %s (unverified)", u.Device.Raw, f.d.UsrData.Device.Path()))
	}
	b.done("%s", strings.Join(found, "; "))
	return f, nil
}

// verityFound says which devices a verity volume's specs found.
func verityFound(what string, v *config.Verity, data, hash, fec rootdev.Match) string {
	s := fmt.Sprintf("%s data %s is %s, hash %s is %s", what, v.Data.Raw, data.Device.Path(), v.Hash.Raw, hash.Device.Path())
	if v.FEC != nil {
		s += fmt.Sprintf(", FEC %s is %s", v.FEC.Device.Raw, fec.Device.Path())
	}
	return s
}

// loader reads which partition the boot loader started from
// (LoaderDevicePartUUID): auto-discovery takes the root from its disk,
// and a DPS pairing that disk lacks fails fast. On EFI firmware it loads
// and mounts efivarfs read-only for the read, and unmounts it after.
func (b *boot) loader() efivar.Loader {
	if _, err := os.Stat(efivar.FirmwareDir); err == nil {
		b.mods.need(b.stage(), kmod.ByFS, "fs-efivarfs")
		unmount, err := mountfs.EFIVars(efivar.VarsDir)
		if err != nil {
			b.log.Logf(klog.Warn, b.stage(), "%v", err)
		} else {
			defer unmount()
		}
	}
	l := efivar.ReadLoader("/")
	b.st.Loader = loaderRecord(l)
	switch l.State {
	case efivar.Unreadable:
		b.log.Logf(klog.Warn, b.stage(), "%v; the boot loader's disk is not known, looking on every disk", l.Err)
	case efivar.Set:
		b.log.Infof(b.stage(), "the boot loader started from the partition with PARTUUID %s (LoaderDevicePartUUID)", l.PartUUID)
	}
	return l
}

// plain is the root to mount when it is not verified: the device itself.
func (f found) plain() rootDevice {
	return rootDevice{path: f.d.Root.Device.Path(), size: f.d.Root.Device.SizeBytes}
}

// activateLVs activates the logical volumes among the matches (each
// once), so that they have a device from then on.
func (b *boot) activateLVs(ms ...*rootdev.Match) error {
	start := b.tl.Since()
	done := map[string]blockdev.Device{}
	for _, m := range ms {
		if m.LV == nil {
			continue
		}
		if dev, ok := done[m.LV.Name]; ok {
			m.Device = dev
			continue
		}
		if !feature.LVM { // rootdev never plans one then; pkg/lvm is not linked
			return feature.ErrNoLVM
		}
		b.mods.need(b.stage(), kmod.ByDM, "dm-mod")
		dev, dmDev, table, err := activate.LV(m.LV, m.PVs)
		if err != nil {
			return err
		}
		b.undo = append(b.undo, func() error { return dm.Remove(dmDev) })
		m.Device, done[m.LV.Name] = dev, dev
		b.st.LVs = append(b.st.LVs, lvRecord(m, table))
		b.log.Infof(b.stage(), "activated %s/%s as %s: %s", m.LV.VG, m.LV.LV, dev.Path(), strings.Join(table, "; "))
	}
	if len(done) > 0 {
		b.tl.Part("lvm", b.tl.Since()-start)
	}
	return nil
}

// verity checks the root hash (and its signature) against the tree on
// the hash device and makes the read-only dm-verity device over the
// data device: that is the root.
func (b *boot) verity(f found) (rootDevice, error) {
	b.tl.Begin("verity")
	v := b.cfg.Verity
	res, sigFrom, check, err := b.makeVerity(activate.RootName, v, f.d.Data, f.d.Hash, f.d.FEC, f.d.Sig, f)
	if err != nil {
		return rootDevice{}, err
	}
	b.tl.Part("root-hash", check)
	b.st.Signature = signatureRecord(res, sigFrom, v.KernelSig)
	vr, root := verityRecords(b.cfg, f.d, res)
	b.st.Verity, b.st.Root = &vr, root
	b.cfg.ReadOnly = true // dm-verity devices are read-only
	b.done("%s: root hash %s matches the tree on %s; %s", res.Device.Node(), v.RootHash, f.d.Hash.Device.Path(), res.Table)
	return verityDevice(res), nil
}

// usr sets up a separate /usr: the dm-verity device over its data and
// hash devices, checked and signed as the root's would be, or the plain
// device mount.usr= names. It returns the zero rootDevice without one.
func (b *boot) usr(f found) (rootDevice, error) {
	u := b.cfg.Usr
	if u == nil {
		return rootDevice{}, nil
	}
	b.tl.Begin("usr")
	rec := &status.Usr{Spec: "mount.usr=" + u.Device.Raw, Options: u.Flags}
	b.st.Usr = rec
	if !u.Verified() {
		dev := f.d.UsrData.Device
		rec.Device, rec.DevNum = dev.Path(), dev.DevNum()
		b.done("/usr is %s, unverified", dev.Path())
		return rootDevice{path: dev.Path(), size: dev.SizeBytes}, nil
	}
	v := u.Verity
	res, sigFrom, _, err := b.makeVerity(activate.UsrName, v, f.d.UsrData, f.d.UsrHash, f.d.UsrFEC, rootdev.Match{}, f)
	if err != nil {
		return rootDevice{}, fmt.Errorf("usr: %w", err)
	}
	vr := verityRecord(v, f.d.UsrData, f.d.UsrHash, f.d.UsrFEC, res)
	rec.Spec, rec.Device, rec.DevNum, rec.Verity = "usrhash="+v.RootHash, res.Device.Node(), res.Device.DevNum(), &vr
	rec.Signature = signatureRecord(res, sigFrom, v.KernelSig)
	b.done("%s: usr hash %s matches the tree on %s; %s", res.Device.Node(), v.RootHash, f.d.UsrHash.Device.Path(), res.Table)
	return verityDevice(res), nil
}

// verityDevice is the dm-verity device res made, to mount.
func verityDevice(res *activate.Result) rootDevice {
	return rootDevice{path: res.Device.Node(), size: int64(res.Params.DataBlocks) * int64(res.Params.DataBlockSize), verified: true}
}

// makeVerity gathers what v's root hash is checked against (the packed
// certificates, a signature), checks it and makes the dm-verity device
// name over data and hash (and fec). It returns where the signature came
// from and how long gathering and checking took.
func (b *boot) makeVerity(name string, v *config.Verity, data, hash, fec, sigPart rootdev.Match, f found) (*activate.Result, string, time.Duration, error) {
	start := b.tl.Since()
	trust, err := activate.GatherTrust(v, b.cfg.Policy, data, sigPart, activate.DeviceSources{Waiter: f.wt, View: f.view})
	if err != nil {
		return nil, "", 0, err
	}
	if trust.RootHash != "" { // verinit.roothash_sig=: checked with the signature
		v.RootHash = trust.RootHash
	}
	gathered := b.tl.Since() - start
	b.mods.need(b.stage(), kmod.ByDM, verity.KernelModules(v.Options.Algorithm, v.RootHash)...)
	var opened func()
	if b.cfg.Debug {
		opened = b.logOpenDevices
	}
	var fecDev *blockdev.Device
	if v.FEC != nil {
		fecDev = &fec.Device
	}
	res, err := activate.Verity(name, v, data.Device, hash.Device, fecDev, trust, opened)
	if err != nil {
		return nil, "", 0, err
	}
	b.undo = append(b.undo, func() error { return dm.Remove(res.Device) })
	if res.Signer != nil {
		b.log.Infof(b.stage(), "%s hash signed by %s (sha256 %s), from %s", name, res.Signer.Subject, res.Signer.FingerprintSHA256, trust.SigFrom)
	}
	return res, trust.SigFrom, gathered + res.Check, nil
}

// logOpenDevices is verinit.debug's record of every block device the
// init holds open and how: the VM suite checks that none is writable.
func (b *boot) logOpenDevices() {
	files, err := blockdev.OpenFiles()
	if err != nil {
		b.log.Logf(klog.Warn, b.stage(), "%v", err)
	}
	for _, f := range files {
		b.log.Debugf(b.stage(), "open block device: %s", f)
	}
}

// rootDevice is what gets mounted.
type rootDevice struct {
	path     string
	size     int64
	verified bool // a dm-verity device: decides, for /usr, where the real init may come from
}

// mountRoot mounts the root on newRoot (a tmpfs for root=tmpfs), a
// separate /usr on its /usr, and finds the real init. Beside a verified
// /usr a root that is not verified may hold anything, so the real init
// must then come from /usr.
func (b *boot) mountRoot(root, usr rootDevice) (init string, err error) {
	b.tl.Begin("mount-root")
	var mounted []string
	if b.cfg.TmpfsRoot {
		if err := mountfs.TmpfsRoot(newRoot, b.cfg.RootFlags); err != nil {
			return "", fmt.Errorf("root: %w", err)
		}
		b.undo = append(b.undo, func() error { return mountfs.Unmount(newRoot) })
		b.st.Root = status.Root{Spec: config.RootTmpfs, Device: "tmpfs", FSType: "tmpfs", Options: b.cfg.RootFlags}
		mounted = append(mounted, "an empty tmpfs (rw)")
	} else {
		fstype, err := b.mount("root", root, b.cfg.FSType, "rootfstype=", newRoot, b.cfg.ReadOnly, b.cfg.RootFlags)
		if err != nil {
			return "", err
		}
		b.st.Root.FSType = fstype
		mounted = append(mounted, fmt.Sprintf("%s (%s, %s)", root.path, fstype, map[bool]string{true: "ro", false: "rw"}[b.cfg.ReadOnly]))
	}
	if usr.path != "" {
		u := b.cfg.Usr
		fstype, err := b.mount("usr", usr, u.FSType, "mount.usrfstype=", newRoot+"/usr", true, u.Flags)
		if err != nil {
			return "", err
		}
		b.st.Usr.FSType = fstype
		mounted = append(mounted, fmt.Sprintf("/usr %s (%s, ro)", usr.path, fstype))
		if b.cfg.TmpfsRoot {
			links, err := mountfs.UsrLinks(newRoot)
			if err != nil {
				return "", err
			}
			mounted = append(mounted, "links "+strings.Join(links, " ")+" into usr/")
		}
	}
	init, err = pivot.FindInit(newRoot, b.cfg.Inits)
	if err != nil {
		return "", fmt.Errorf("root %s: %w", root.path, err)
	}
	if usr.verified && b.cfg.Verity == nil {
		onUsr, err := pivot.OnMountOf(newRoot, init, "/usr")
		if err != nil {
			return "", err
		}
		if !onUsr {
			return "", fmt.Errorf("init %s is not in the verified /usr, and the root beside it is not verified: refusing to run it (point /sbin/init into /usr, or give init=/usr/...)", init)
		}
	}
	b.done("mounted %s on %s; init %s", strings.Join(mounted, ", "), newRoot, init)
	return init, nil
}

// mount mounts d (what: "root", "usr") on dir as fstype, else the type
// of the file system it holds.
func (b *boot) mount(what string, d rootDevice, fstype, typeKey, dir string, readOnly bool, flags string) (string, error) {
	// Held open until mounted: the kernel drops a block device's page
	// cache at its last close, and the mount reads what the probe read.
	f, err := os.Open(d.path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, d.path, err)
	}
	defer f.Close()
	if fstype == "" {
		if fstype, err = detectFSType(what, d, f, typeKey); err != nil {
			return "", err
		}
	}
	b.mods.need(b.stage(), kmod.ByFS, "fs-"+fstype)
	if err := mountfs.Root(d.path, dir, fstype, readOnly, flags); err != nil {
		return "", fmt.Errorf("%s %s: %w", what, d.path, err)
	}
	b.undo = append(b.undo, func() error { return mountfs.Unmount(dir) })
	return fstype, nil
}

// detectFSType is the type of the file system on d, opened as f.
func detectFSType(what string, d rootDevice, f *os.File, typeKey string) (string, error) {
	info, err := fsdetect.Probe(f, d.size)
	var fe *fsdetect.FormatError
	if errors.Is(err, fsdetect.ErrUnknown) || errors.Is(err, fsdetect.ErrAmbiguous) || errors.As(err, &fe) {
		return "", fmt.Errorf("%s %s: %w; give %s to mount it anyway", what, d.path, err, typeKey)
	}
	if err != nil { // an I/O error: no file system type would help
		return "", fmt.Errorf("%s %s: %w", what, d.path, err)
	}
	return info.Type.KernelName(), nil
}

// switchRoot moves the API file systems into the new root, frees the
// initramfs and executes the real init with the argument vector and
// environment the kernel gave /init. The status record is written from
// the new root, where /run now is, so that it can say how long the
// switch took.
func (b *boot) switchRoot(init string) error {
	b.tl.Begin("switch")
	b.mods.record(&b.st)
	b.st.Init, b.st.InitArgs = init, os.Args[1:]
	b.log.Infof(b.stage(), "switching to %s after %dms", init, b.tl.Since().Milliseconds())
	b.kmsg.restore()
	return pivot.Switch(pivot.Options{NewRoot: newRoot, Init: init, Argv: os.Args[1:], Env: b.env,
		Moves: []string{"/dev", "/proc", "/sys", "/run"},
		Log:   func(f string, a ...any) { b.log.Debugf("switch", f, a...) },
		BeforeExec: func() {
			b.tl.End()
			b.st.Stages, b.st.Total = b.tl.Stages(), b.tl.Total()
			if err := status.Write(&b.st); err != nil {
				b.log.Logf(klog.Warn, b.stage(), "%v", err)
			}
		}})
}

// readPacked reads what the initramfs carries besides the modules. A
// file that is there but cannot be read is an error: a policy must not
// be lost quietly.
func readPacked() (config.Packed, error) {
	var p config.Packed
	for path, dst := range map[string]*[]byte{config.PolicyPath: &p.Policy, config.VerityEnvPath: &p.VerityEnv, config.VeritytabPath: &p.Veritytab} {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return p, err
		}
		*dst = b
	}
	return p, nil
}
