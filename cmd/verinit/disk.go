package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/image"
	"github.com/verinit/verinit/pkg/progress"
	"github.com/verinit/verinit/pkg/sig/sign"
)

// diskFlags are the flags of disk create.
type diskFlags struct {
	rootfs, size, fs, arch, print *string
	linux, initrd, fit, entries   *string
	signKey, signCert             *string
	esp, espSize, options         *string
	slots, sectorSize, version    *int
	jsonOut, usr                  *bool
}

func runDiskCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("disk create", stderr)
	f := diskFlags{
		rootfs:     fs.String("rootfs", "", "the root file system: a `DIR` to pack (see --fs) or a prebuilt file system IMAGE"),
		slots:      fs.Int("slots", 2, "number of `slots` (A, B, ...; 1 to 26)"),
		size:       fs.String("size", "", "disk size in `bytes`, or with a K, M, G or T suffix (powers of 1024); default: just large enough"),
		sectorSize: fs.Int("sector-size", 512, "logical sector `size` of the target disk: 512 or 4096"),
		fs:         fs.String("fs", image.FSSquashfs, "`type` of file system made from a DIR: squashfs or erofs"),
		arch:       fs.String("arch", "", "`architecture` of the DPS partition types: x86-64, arm64, arm, riscv64, ... (default: that of the programs in a DIR, such as sbin/init; required with an IMAGE)"),
		print:      fs.String("print", "", "also print the configuration of a boot `loader`: barebox (blspec entries and bootchooser settings) systemd-boot (loader.conf and a Type #1 entry per slot, for boot counting) grub (grub.cfg and grubenv for RAUC's GRUB backend) or u-boot (boot.cmd, compiled to boot.scr with mkimage, and uboot.env, for RAUC's U-Boot backend); the last three need --sign-key and go into the ESP too with --esp"),
		linux:      fs.String("linux", "/linux", "with --print: the kernel's `path` in the entries, on the partition that holds them"),
		initrd:     fs.String("initrd", "/initrd", "with --print: the initramfs's `path` in the entries"),
		fit:        fs.String("fit", "", "with --print u-boot: boot the signed FIT image at this `path` (configuration \"verinit\", as contrib/u-boot/verinit.its makes it) with bootm, instead of --linux and --initrd with booti"),
		entries:    fs.String("entries", "/boot/loader/entries", "with --print barebox: the `directory` where barebox reads the entries, for bootchooser.<slot>.boot"),
		options:    fs.String("options", "", "with --print: more kernel command line `options` for every entry, such as console=ttyS0"),
		signKey:    fs.String("sign-key", "", "sign each slot's root hash with this PEM private `key` (with --sign-cert) into a root-verity-sig partition per slot, root-a-verity-sig, ...; the printed entries then name the slots by partition label and take the root hash from it (verinit.roothash_sig=), so that updates need no new entries"),
		signCert:   fs.String("sign-cert", "", "the PEM `certificate` of --sign-key, then any intermediates"),
		version:    fs.Int("sign-version", 0, "with --sign-key: the release `number` signed with each root hash, for --policy min-version (0: none)"),
		esp:        fs.String("esp", "", "add an EFI system partition \"esp\" holding the files of this `DIR` (FAT32, with mkfs.fat and mcopy)"),
		espSize:    fs.String("esp-size", "", "size of the EFI system partition in `bytes`, or with a K, M, G or T suffix (default 128M)"),
		jsonOut:    fs.Bool("json", false, "print JSON"),
		usr:        fs.Bool("usr", false, "make /usr slots (usr-a, usr-a-verity, usr-a-verity-sig, ... of the DPS usr types) for systemd's layout of a verified /usr beside a writable or tmpfs root: --rootfs is then the /usr tree (its bin, sbin, lib, ...) or file system, and each slot boots with its usrhash= line and a root= of the boot loader's choosing"),
	}
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	out := pos[0]
	spec, err := f.spec(fs)
	if err != nil {
		return err
	}

	st, err := os.Stat(*f.rootfs)
	if err != nil {
		return fmt.Errorf("--rootfs: %w", err)
	}
	if !st.IsDir() && flagSet(fs, "fs") {
		return fmt.Errorf("--fs applies only when --rootfs is a directory: %w", errUsage)
	}
	// The partition types name the architecture the root runs on: the
	// host's would be a guess.
	if spec.Arch == "" {
		if !st.IsDir() {
			return fmt.Errorf("--rootfs %s is a file system image, whose programs verinit does not read: give --arch: %w", *f.rootfs, errUsage)
		}
		a, _, err := image.TreeArch(*f.rootfs)
		if err != nil {
			return fmt.Errorf("--rootfs %s: %w: give --arch", *f.rootfs, err)
		}
		spec.Arch = a
	}
	if st.IsDir() {
		tmp, err := os.MkdirTemp(filepath.Dir(out), ".verinit-rootfs-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		spec.Image = filepath.Join(tmp, "root."+*f.fs)
		if err := image.BuildFS(*f.rootfs, *f.fs, spec.Image); err != nil {
			return err
		}
	} else {
		spec.Image = *f.rootfs
	}

	var loaderFiles []bootFile
	switch *f.print {
	case "systemd-boot":
		loaderFiles = systemdBootConfig(spec.Slots, *f.linux, *f.initrd, *f.options)
	case "grub":
		loaderFiles = grubConfig(spec.Slots, *f.linux, *f.initrd, *f.options)
	case "u-boot":
		loaderFiles = ubootConfig(spec.Slots, ubootImages{Linux: *f.linux, Initrd: *f.initrd, FIT: *f.fit}, *f.options)
	}
	if loaderFiles != nil {
		// The entries name nothing that Create makes: they are known
		// before the disk, so they go into its ESP.
		if spec.ESP != "" {
			staged, err := os.MkdirTemp(filepath.Dir(out), ".verinit-esp-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(staged)
			if err := os.CopyFS(staged, os.DirFS(spec.ESP)); err != nil {
				return fmt.Errorf("--esp: %w", err)
			}
			for _, bf := range loaderFiles {
				p := filepath.Join(staged, bf.Path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(p, []byte(bf.Content), 0o644); err != nil {
					return err
				}
			}
			if *f.print == "u-boot" {
				if err := image.BootScript(filepath.Join(staged, "boot.cmd"), filepath.Join(staged, "boot.scr")); err != nil {
					return err
				}
			}
			spec.ESP = staged
		}
	}
	m := meter(stderr, "disk create, written", 0)
	l, err := writeDisk(out, spec, m)
	m.Done()
	if err != nil {
		return err
	}
	rep := diskReport(out, l)
	switch *f.print {
	case "barebox":
		rep.Barebox = bareboxConfig(l, *f.linux, *f.initrd, *f.entries, *f.options)
	case "systemd-boot":
		rep.SystemdBoot = loaderFiles
	case "grub":
		rep.Grub = &grubOut{Files: loaderFiles, Stub: grubStub}
	case "u-boot":
		rep.UBoot = loaderFiles
	}
	if *f.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printDisk(stdout, rep)
}

// spec checks the flags and turns them into an image.Spec without Image.
func (f diskFlags) spec(fs *flag.FlagSet) (image.Spec, error) {
	var spec image.Spec
	if *f.rootfs == "" {
		fs.Usage()
		return spec, fmt.Errorf("--rootfs is required: %w", errUsage)
	}
	if *f.slots < 1 || *f.slots > image.MaxSlots {
		return spec, fmt.Errorf("--slots %d: want 1 to %d: %w", *f.slots, image.MaxSlots, errUsage)
	}
	if *f.sectorSize != 512 && *f.sectorSize != 4096 {
		return spec, fmt.Errorf("--sector-size %d: want 512 or 4096: %w", *f.sectorSize, errUsage)
	}
	if *f.fs != image.FSSquashfs && *f.fs != image.FSErofs {
		return spec, fmt.Errorf("--fs %q: want squashfs or erofs: %w", *f.fs, errUsage)
	}
	switch *f.print {
	case "", "barebox":
	case "systemd-boot", "grub", "u-boot":
		// An entry holding a root hash goes stale with the first
		// update: these take it from the slot's signature instead.
		if *f.signKey == "" {
			return spec, fmt.Errorf("--print %s needs --sign-key: its entries take each slot's root hash from the slot's root-verity-sig partition, so that updates never rewrite them: %w", *f.print, errUsage)
		}
	default:
		return spec, fmt.Errorf("--print %q: want barebox, systemd-boot, grub or u-boot: %w", *f.print, errUsage)
	}
	if *f.usr && *f.print != "" {
		return spec, fmt.Errorf("--print with --usr: the printed boot entries are for root slots; boot a /usr slot with its printed usrhash= line and a root= (root=tmpfs, or a writable partition): %w", errUsage)
	}
	if *f.print == "" && flagSet(fs, "options") {
		return spec, fmt.Errorf("--options needs --print: %w", errUsage)
	}
	if *f.fit != "" && *f.print != "u-boot" {
		return spec, fmt.Errorf("--fit needs --print u-boot: %w", errUsage)
	}
	if *f.fit != "" && (flagSet(fs, "linux") || flagSet(fs, "initrd")) {
		return spec, fmt.Errorf("--fit holds the kernel and the initramfs: give it or --linux and --initrd: %w", errUsage)
	}
	var arch dps.Arch
	if *f.arch != "" {
		a, err := dps.ParseArch(*f.arch)
		if err != nil {
			return spec, fmt.Errorf("--arch: %v: %w", err, errUsage)
		}
		arch = a
	}
	size, err := parseSize(*f.size)
	if err != nil {
		return spec, fmt.Errorf("--size: %v: %w", err, errUsage)
	}
	espSize, err := parseSize(*f.espSize)
	if err != nil {
		return spec, fmt.Errorf("--esp-size: %v: %w", err, errUsage)
	}
	if espSize != 0 && *f.esp == "" {
		return spec, fmt.Errorf("--esp-size needs --esp: %w", errUsage)
	}
	spec = image.Spec{Slots: *f.slots, SizeBytes: size, SectorSize: *f.sectorSize, Arch: arch, ESP: *f.esp, ESPBytes: espSize, Usr: *f.usr}
	if (*f.signKey == "") != (*f.signCert == "") {
		return spec, fmt.Errorf("--sign-key and --sign-cert go together: %w", errUsage)
	}
	if *f.version < 0 || (*f.version != 0 && *f.signKey == "") {
		return spec, fmt.Errorf("--sign-version %d: want a positive number, with --sign-key: %w", *f.version, errUsage)
	}
	if *f.signKey != "" {
		key, cert := *f.signKey, *f.signCert
		opts := sign.Options{Version: uint64(*f.version), HasVersion: *f.version > 0}
		spec.Sign = func(root []byte) ([]byte, error) {
			return signRootHash(hex.EncodeToString(root), key, cert, true, opts)
		}
	}
	return spec, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseSize parses a size in bytes with an optional K, M, G or T suffix
// (powers of 1024, "KiB" etc. accepted too); "" is 0.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	num, shift := s, 0
	for i, suffix := range []string{"K", "M", "G", "T"} {
		for _, form := range []string{suffix + "iB", suffix, strings.ToLower(suffix)} {
			if n, ok := strings.CutSuffix(s, form); ok {
				num, shift = n, 10*(i+1)
				break
			}
		}
		if shift != 0 {
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive number of bytes, K, M, G or T", s)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// writeDisk writes the image to a temporary file next to out and renames
// it to out when it is complete. It refuses to replace anything but a
// regular file: to write a device, copy the image with dd.
func writeDisk(out string, spec image.Spec, m *progress.Meter) (*image.Layout, error) {
	if st, err := os.Lstat(out); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s exists and is not a regular file: disk create writes image files (copy one to a device with dd)", out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".verinit-disk-*")
	if err != nil {
		return nil, err
	}
	l, err := image.Create(meteredFile{f, m}, spec)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	return l, nil
}

// meteredFile counts what is written to the image file; it is still an
// io.ReaderAt, so image.Create reads its table back.
type meteredFile struct {
	*os.File
	m *progress.Meter
}

func (f meteredFile) WriteAt(b []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(b, off)
	f.m.Add(int64(n))
	return n, err
}

// diskPartition is a partition as disk create prints it.
type diskPartition struct {
	Number      int    `json:"number"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	TypeUUID    string `json:"type_uuid"`
	UUID        string `json:"uuid"`
	FirstLBA    uint64 `json:"first_lba"`
	LastLBA     uint64 `json:"last_lba"`
	OffsetBytes int64  `json:"offset_bytes"`
	SizeBytes   int64  `json:"size_bytes"`
}

// diskSlot is a slot as disk create prints it.
type diskSlot struct {
	Name       string         `json:"name"`
	Bootname   string         `json:"bootname"`
	Data       diskPartition  `json:"data"`
	Verity     diskPartition  `json:"verity"`
	RootHash   string         `json:"root_hash"`
	Salt       string         `json:"salt"`
	DataBlocks uint64         `json:"data_blocks"`
	Sig        *diskPartition `json:"sig,omitempty"`
	Cmdline    string         `json:"cmdline"`
	// SigCmdline is the command line that takes the root hash from
	// Sig, and stays true across updates.
	SigCmdline string `json:"sig_cmdline,omitempty"`
}

// slotCmdline is the command line to boot s with: by its signature
// partition if it has one, else by its root hash.
func slotCmdline(s image.Slot) string {
	if s.Sig.Number != 0 {
		return s.SigCmdline()
	}
	return s.Cmdline()
}

// grubOut is GRUB's configuration for the image: files for the ESP and
// the configuration to build into a standalone GRUB.
type grubOut struct {
	Files []bootFile `json:"files"`
	Stub  string     `json:"stub"`
}

// bootFile is a file to put where the boot loader reads it.
type bootFile struct {
	Path    string
	Content string
}

// bootFileJSON is bootFile in JSON: a binary file (uboot.env), which a
// JSON string would garble, in base64.
type bootFileJSON struct {
	Path          string `json:"path"`
	Content       string `json:"content,omitempty"`
	ContentBase64 []byte `json:"content_base64,omitempty"`
}

func (f bootFile) MarshalJSON() ([]byte, error) {
	j := bootFileJSON{Path: f.Path, Content: f.Content}
	if !utf8.ValidString(f.Content) {
		j = bootFileJSON{Path: f.Path, ContentBase64: []byte(f.Content)}
	}
	return json.Marshal(j)
}

func (f *bootFile) UnmarshalJSON(b []byte) error {
	var j bootFileJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = bootFile{Path: j.Path, Content: j.Content + string(j.ContentBase64)}
	return nil
}

// bareboxOut is the barebox configuration for the image.
type bareboxOut struct {
	Entries     []bootFile `json:"entries"`
	Bootchooser string     `json:"bootchooser"`
}

// diskOut is what disk create prints.
type diskOut struct {
	Image       string         `json:"image"`
	SizeBytes   int64          `json:"size_bytes"`
	SectorSize  int            `json:"sector_size"`
	Arch        string         `json:"arch"`
	DiskGUID    string         `json:"disk_guid"`
	Slots       []diskSlot     `json:"slots"`
	Barebox     *bareboxOut    `json:"barebox,omitempty"`
	SystemdBoot []bootFile     `json:"systemd_boot,omitempty"`
	Grub        *grubOut       `json:"grub,omitempty"`
	UBoot       []bootFile     `json:"u_boot,omitempty"`
	ESP         *diskPartition `json:"esp,omitempty"`
}

func diskReport(out string, l *image.Layout) diskOut {
	rep := diskOut{Image: out, SizeBytes: l.SizeBytes, SectorSize: l.SectorSize, Arch: string(l.Arch), DiskGUID: l.DiskGUID.String()}
	part := func(p image.Partition) diskPartition {
		return diskPartition{Number: p.Number, Label: p.Label, Type: dps.TypeName(p.Type), TypeUUID: p.Type.String(), UUID: p.UUID.String(),
			FirstLBA: p.FirstLBA, LastLBA: p.LastLBA, OffsetBytes: p.OffsetBytes, SizeBytes: p.SizeBytes}
	}
	for _, s := range l.Slots {
		ds := diskSlot{Name: s.Name, Bootname: s.Bootname, Data: part(s.Data), Verity: part(s.Verity),
			RootHash: hex.EncodeToString(s.RootHash), Salt: hex.EncodeToString(s.Params.Salt), DataBlocks: s.Params.DataBlocks,
			Cmdline: s.Cmdline()}
		if s.Sig.Number != 0 {
			sig := part(s.Sig)
			ds.Sig = &sig
			if !s.Usr { // a /usr slot's signature is found by the DPS pairing
				ds.SigCmdline = s.SigCmdline()
			}
		}
		rep.Slots = append(rep.Slots, ds)
	}
	if l.ESP.Number != 0 {
		esp := part(l.ESP)
		rep.ESP = &esp
	}
	return rep
}

func printDisk(w io.Writer, rep diskOut) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d bytes, %d-byte sectors, disk GUID %s, %d slots (%s)\n",
		rep.Image, rep.SizeBytes, rep.SectorSize, rep.DiskGUID, len(rep.Slots), rep.Arch)
	for _, s := range rep.Slots {
		fmt.Fprintf(&b, "slot %s:\n", s.Bootname)
		ps := []diskPartition{s.Data, s.Verity}
		if s.Sig != nil {
			ps = append(ps, *s.Sig)
		}
		for _, p := range ps {
			fmt.Fprintf(&b, "  partition %d  %-14s %-20s PARTUUID %s  bytes %d+%d\n", p.Number, p.Label, p.Type, p.UUID, p.OffsetBytes, p.SizeBytes)
		}
		if !strings.HasPrefix(s.Data.Type, "usr-") {
			fmt.Fprintf(&b, "  root hash    %s\n", s.RootHash)
		} else {
			fmt.Fprintf(&b, "  usr hash     %s\n", s.RootHash)
		}
		fmt.Fprintf(&b, "  cmdline      %s\n", s.Cmdline)
		if s.SigCmdline != "" {
			fmt.Fprintf(&b, "  or, signed   %s\n", s.SigCmdline)
		}
	}
	if p := rep.ESP; p != nil {
		fmt.Fprintf(&b, "partition %d  %s  EFI system partition  PARTUUID %s  bytes %d+%d\n", p.Number, p.Label, p.UUID, p.OffsetBytes, p.SizeBytes)
	}
	if bb := rep.Barebox; bb != nil {
		for _, e := range bb.Entries {
			fmt.Fprintf(&b, "\n# %s\n%s", e.Path, e.Content)
		}
		fmt.Fprintf(&b, "\n# bootchooser settings (barebox shell; or as files in /env/nv)\n%s", bb.Bootchooser)
	}
	for _, e := range rep.SystemdBoot {
		fmt.Fprintf(&b, "\n# ESP/%s\n%s", e.Path, e.Content)
	}
	for _, e := range rep.UBoot {
		if e.Path == "uboot.env" {
			fmt.Fprintf(&b, "\n# ESP/%s (%d bytes: a CRC-32, then BOOT_ORDER and BOOT_<slot>_LEFT as in boot.cmd's defaults)\n", e.Path, len(e.Content))
			continue
		}
		fmt.Fprintf(&b, "\n# ESP/%s\n%s", e.Path, e.Content)
	}
	if g := rep.Grub; g != nil {
		for _, e := range g.Files {
			if e.Path == "EFI/BOOT/grubenv" {
				fmt.Fprintf(&b, "\n# ESP/%s (%d bytes, padded with #)\n%s\n", e.Path, len(e.Content), strings.TrimRight(e.Content, "#"))
				continue
			}
			fmt.Fprintf(&b, "\n# ESP/%s\n%s", e.Path, e.Content)
		}
		fmt.Fprintf(&b, "\n# built into GRUB: grub-mkstandalone -O x86_64-efi -o BOOTX64.EFI \"boot/grub/grub.cfg=stub.cfg\"\n# stub.cfg\n%s", g.Stub)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bareboxConfig returns a Boot Loader Specification entry per slot, as
// barebox reads them (common/blspec.c: title, version, options, linux,
// initrd; the paths are relative to the partition holding the entry), and
// the nv commands that make barebox's bootchooser boot them: one target per
// slot, named by its bootname, whose boot is the entry file; the first slot
// gets the highest priority (Documentation/user/bootchooser.rst).
// bootchooser adds bootchooser.active=<target> to the kernel command line,
// which equals rauc.slot= here.
func bareboxConfig(l *image.Layout, linux, initrd, entries, options string) *bareboxOut {
	out := &bareboxOut{}
	var targets []string
	var nv strings.Builder
	for i, s := range l.Slots {
		name := "verinit-" + s.Name + ".conf"
		path := strings.TrimSuffix(entries, "/") + "/" + name
		out.Entries = append(out.Entries, bootFile{Path: path, Content: "title      verinit slot " + s.Bootname + "\n" +
			"version    " + s.Bootname + "\n" +
			"options    " + strings.TrimSpace(options+" "+slotCmdline(s)) + "\n" +
			"linux      " + linux + "\n" +
			"initrd     " + initrd + "\n"})
		targets = append(targets, s.Bootname)
		fmt.Fprintf(&nv, "nv bootchooser.%s.boot=%s\n", s.Bootname, path)
		fmt.Fprintf(&nv, "nv bootchooser.%s.default_attempts=3\n", s.Bootname)
		fmt.Fprintf(&nv, "nv bootchooser.%s.default_priority=%d\n", s.Bootname, 20+len(l.Slots)-i)
	}
	out.Bootchooser = "nv bootchooser.targets=\"" + strings.Join(targets, " ") + "\"\n" + nv.String() +
		"nv bootchooser.retry=1\n" +
		"nv boot.default=bootchooser\n"
	return out
}
