package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/locate/images"
	"github.com/verinit/verinit/pkg/lvm"
	"github.com/verinit/verinit/pkg/rootdev"
)

// inspectPartition is one partition as inspect reports it.
type inspectPartition struct {
	Device    string   `json:"device"`
	Number    int      `json:"number"`
	Label     string   `json:"label"`
	Type      string   `json:"type"`
	TypeUUID  string   `json:"type_uuid"`
	UUID      string   `json:"uuid"`
	SizeBytes uint64   `json:"size_bytes"`
	Flags     []string `json:"flags,omitempty"`
	// For a DPS root partition with a paired verity partition.
	VerityPartner string `json:"verity_partner,omitempty"`
	PairRootHash  string `json:"pair_root_hash,omitempty"`
}

type inspectDisk struct {
	Name       string             `json:"name"`
	Image      string             `json:"image"`
	SectorSize int                `json:"sector_size,omitempty"`
	Table      string             `json:"table"` // "gpt", "gpt-backup", "none"
	Error      string             `json:"error,omitempty"`
	Partitions []inspectPartition `json:"partitions"`
}

type inspectDecision struct {
	Root       string `json:"root"`                  // the device mounted (a partition, or /dev/mapper/root)
	Key        string `json:"key,omitempty"`         // how it was found
	DataDevice string `json:"data_device,omitempty"` // with verity
	HashDevice string `json:"hash_device,omitempty"`
	FECDevice  string `json:"fec_device,omitempty"`
	RootHash   string `json:"root_hash,omitempty"`
	Table      string `json:"table,omitempty"`
	// With --initramfs: who signed the root hash (SHA-256 of the
	// certificate), and where the signature came from.
	Signer  string `json:"signer_sha256,omitempty"`
	SigFrom string `json:"signature_from,omitempty"`
	// Usr is the separate /usr, in the same fields (Root is the device
	// mounted on /usr, RootHash its usr hash); nil without one.
	Usr *inspectDecision `json:"usr,omitempty"`
}

type inspectLV struct {
	Name    string   `json:"name"`
	DMName  string   `json:"dm_name,omitempty"`
	Table   []string `json:"table,omitempty"`   // what the init would load
	Refusal string   `json:"refusal,omitempty"` // or why it would not
}

type inspectVG struct {
	Name  string            `json:"name"`
	UUID  string            `json:"uuid"`
	Seqno uint32            `json:"seqno"`
	PVs   map[string]string `json:"pvs"` // PV UUID -> device, "" when missing
	LVs   []inspectLV       `json:"lvs"`
}

type inspectReport struct {
	Arch     string           `json:"arch,omitempty"` // whose DPS root types count
	Disks    []inspectDisk    `json:"disks"`
	VGs      []inspectVG      `json:"volume_groups,omitempty"`
	LVMError string           `json:"lvm_error,omitempty"`
	Cmdline  string           `json:"cmdline"`
	Decision *inspectDecision `json:"decision,omitempty"`
	Error    string           `json:"error,omitempty"`
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	line := fs.String("cmdline", "", "the kernel command line to decide for (default: none, i.e. Discoverable Partitions auto-discovery)")
	arch := fs.String("arch", "", "the `architecture` whose DPS root types count (default: the one whose root types the disks hold; needed only for auto-discovery)")
	loader := fs.String("loader-partuuid", "", "the `PARTUUID` of the partition the boot loader started from, as it reports it in the EFI variable LoaderDevicePartUUID (default: none, as without EFI)")
	asJSON := fs.Bool("json", false, "print JSON")
	initrd := fs.String("initramfs", "", "decide as the init packed in initramfs `FILE` would: under its policy, with its veritytab or dm-verity.env, checking signatures against its certificates")
	paths, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return errUsage
	}
	var packed packedFiles
	initBuild := feature.Full()
	if *initrd != "" {
		if packed, initBuild, err = readPackedFiles(*initrd); err != nil {
			return fmt.Errorf("--initramfs: %w", err)
		}
	}
	a, loaderGUID, err := parseArchLoader(*arch, *loader)
	if err != nil {
		return err
	}
	im, err := images.Open(paths)
	if err != nil {
		return err
	}
	defer im.Close()
	var noRoot error // auto-discovery with no root type of any architecture
	if a == "" {
		if a, err = diskArch(im, *line); errors.Is(err, errNoRootTypes) {
			noRoot = err
		} else if err != nil {
			return err
		}
	}
	rep := inspectReport{Cmdline: *line, Arch: string(a)}
	for i, path := range paths {
		rep.Disks = append(rep.Disks, describeDisk(im, fmt.Sprintf("vd%c", 'a'+i), path))
	}
	rep.VGs = describeVGs(im)
	if im.View.LVMError != nil {
		rep.LVMError = im.View.LVMError.Error()
	}
	dec, derr := (*inspectDecision)(nil), noRoot
	if noRoot == nil {
		dec, _, derr = decide(im, *line, a, loaderGUID, packed, initBuild)
	}
	if derr != nil {
		rep.Error = derr.Error()
	} else {
		rep.Decision = dec
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printInspect(stdout, rep)
	}
	if derr != nil {
		return errQuiet // the report said why
	}
	return nil
}

func describeDisk(im *images.Images, name, path string) inspectDisk {
	d := im.View.Disks[name]
	out := inspectDisk{Name: name, Image: path, Table: "none", Partitions: []inspectPartition{}}
	if d.Err != nil {
		out.Error = d.Err.Error()
		return out
	}
	t := d.Table
	out.SectorSize, out.Table = t.SectorSize, "gpt"
	if t.FromBackup {
		out.Table = "gpt-backup"
		out.Error = "primary GPT damaged (" + t.PrimaryErr.Error() + "); the kernel uses the backup only with the gpt parameter"
	}
	disk := dps.Disk{Name: name, Table: t}
	for _, p := range t.Partitions {
		ip := inspectPartition{Device: fmt.Sprintf("%s%d", name, p.Number), Number: p.Number, Label: p.KernelLabel(),
			Type: dps.TypeName(p.Type), TypeUUID: p.Type.String(), UUID: p.UUID.String(), SizeBytes: p.SizeBytes(t.SectorSize)}
		for flag, set := range map[string]bool{"no-auto": dps.NoAuto(p.Attributes), "read-only": dps.ReadOnly(p.Attributes), "grow-file-system": dps.GrowFS(p.Attributes)} {
			if set {
				ip.Flags = append(ip.Flags, flag)
			}
		}
		if role, _, ok := dps.Identify(p.Type); ok && role == dps.Root {
			if v, hash, err := dps.FindVerity(disk, p, nil); err == nil {
				ip.VerityPartner = fmt.Sprintf("%s%d", name, v.Number)
				ip.PairRootHash = hex.EncodeToString(hash)
			}
		}
		out.Partitions = append(out.Partitions, ip)
	}
	return out
}

// describeVGs lists the volume groups found and, per LV, the table the
// init would load or why it would refuse.
func describeVGs(im *images.Images) []inspectVG {
	var out []inspectVG
	for _, vg := range im.View.VGs {
		ivg := inspectVG{Name: vg.Name, UUID: vg.UUID, Seqno: vg.Seqno, PVs: map[string]string{}}
		devs := map[string]string{}
		for _, m := range vg.Members {
			ivg.PVs[m.UUID] = ""
			if d, ok := im.View.PVs[m.UUID]; ok {
				ivg.PVs[m.UUID] = "/dev/" + d.Name
				devs[m.UUID] = d.DevNum()
			}
		}
		for _, lv := range vg.LVs {
			ilv := inspectLV{Name: lv.Name}
			plan, err := vg.Plan(lv.Name, lvm.PlanOptions{ReadOnly: true})
			if err == nil {
				ilv.DMName = plan.Name
				ilv.Table, err = plan.Table(devs)
			}
			if err != nil {
				ilv.Refusal = err.Error()
			}
			ivg.LVs = append(ivg.LVs, ilv)
		}
		out = append(out, ivg)
	}
	return out
}

// decide runs the init's decision on the images, and for a verified root
// every check the init makes before it loads the table.
// decide makes the init's decision for the command line line on the
// images. With packed (an initramfs's files), under its policy, with its
// certificates and the signatures the init would find.
// parseArchLoader reads the --arch and --loader-partuuid flags of
// inspect and tpm predict.
func parseArchLoader(arch, loader string) (a dps.Arch, guid gpt.GUID, err error) {
	if arch != "" {
		if a, err = dps.ParseArch(arch); err != nil {
			return a, guid, fmt.Errorf("--arch: %v: %w", err, errUsage)
		}
	}
	if loader != "" {
		if guid, err = gpt.ParseGUID(loader); err != nil {
			return a, guid, fmt.Errorf("--loader-partuuid: %v: %w", err, errUsage)
		}
	}
	return a, guid, nil
}

func decide(im *images.Images, line string, arch dps.Arch, loader gpt.GUID, packed packedFiles, initBuild feature.Build) (*inspectDecision, config.Config, error) {
	cfg, err := config.Parse(cmdline.Parse(line), packed.config())
	if err != nil {
		return nil, cfg, fmt.Errorf("kernel command line: %w", err)
	}
	d, done, err := locate.Decide(locate.Input{Config: &cfg, Arch: arch, Loader: loader}, im.View)
	if err != nil {
		return nil, cfg, err
	}
	if !done {
		return nil, cfg, fmt.Errorf("%s (the init would wait, then fail)", strings.Join(d.Missing, "; "))
	}
	var src activate.SigSources
	if packed != nil {
		src = imageSources{packed, im}
	}
	// The init activates the LVs among them in this order.
	lvs := []rootdev.Match{d.Root, d.Data, d.Hash, d.FEC, d.UsrData, d.UsrHash, d.UsrFEC}
	nums := lvDevNums(lvs...)
	if !initBuild.LVM {
		for _, m := range lvs {
			if m.LV != nil {
				return nil, cfg, fmt.Errorf("%s/%s: %w", m.LV.VG, m.LV.LV, feature.ErrNoLVM)
			}
		}
	}
	var dec *inspectDecision
	switch v := cfg.Verity; {
	case cfg.TmpfsRoot:
		dec = &inspectDecision{Root: "tmpfs"}
	case v == nil:
		dec = &inspectDecision{Root: matchPath(d.Root), Key: d.Root.Key}
	default:
		if d.HashPartition != nil {
			v.UseHashPartition(*d.HashPartition)
		}
		if dec, err = inspectVerity(im, activate.RootName, v, cfg.Policy, d.Data, d.Hash, d.FEC, d.Sig, nums, src, initBuild.Sig); err != nil {
			return nil, cfg, err
		}
	}
	switch u := cfg.Usr; {
	case u.Verified():
		if dec.Usr, err = inspectVerity(im, activate.UsrName, u.Verity, cfg.Policy, d.UsrData, d.UsrHash, d.UsrFEC, rootdev.Match{}, nums, src, initBuild.Sig); err != nil {
			return nil, cfg, fmt.Errorf("usr: %w", err)
		}
	case u != nil:
		dec.Usr = &inspectDecision{Root: matchPath(d.UsrData), Key: d.UsrData.Key}
	}
	return dec, cfg, nil
}

// inspectVerity makes every check the init makes on verity volume v
// before it loads the table of the device name, and that table.
// With src, the root hash is checked as the init checks it: against the
// certificates and signature src has, under policy p.
func inspectVerity(im *images.Images, name string, v *config.Verity, p config.Policy, dataM, hashM, fecM, sigM rootdev.Match, nums map[string]string, src activate.SigSources, sigBuilt bool) (*inspectDecision, error) {
	var trust activate.Trust
	var err error
	switch {
	case !sigBuilt: // as an init without signatures gathers trust
		if trust, err = activate.UnsignedTrust(v, p); err != nil {
			return nil, err
		}
	case src != nil:
		if trust, err = activate.GatherTrust(v, p, dataM, sigM, src); err != nil {
			return nil, err
		}
		if trust.RootHash != "" { // verinit.roothash_sig=: checked with the signature
			v.RootHash = trust.RootHash
		}
	}
	data, dataSize, err := im.OpenMatch(dataM)
	if err != nil {
		return nil, err
	}
	hash, hashSize, err := im.OpenMatch(hashM)
	if err != nil {
		return nil, err
	}
	dataPath, hashPath := matchPath(dataM), matchPath(hashM)
	prep, err := activate.Prepare(v, data, dataSize, dataPath, hash, hashPath, trust)
	if err != nil {
		return nil, err
	}
	fecPath := ""
	if v.FEC != nil {
		fecPath = matchPath(fecM)
		if err := prep.AddFEC(v.FEC, matchDevNum(fecM, nums), matchDevNum(hashM, nums), uint64(hashSize)); err != nil {
			return nil, fmt.Errorf("verity: FEC on %s: %w", fecPath, err)
		}
	}
	target, params, sectors, err := prep.Table(matchDevNum(dataM, nums), matchDevNum(hashM, nums))
	if err != nil {
		return nil, err
	}
	dec := &inspectDecision{Root: "/dev/mapper/" + name, Key: dataM.Key, DataDevice: dataPath, HashDevice: hashPath, FECDevice: fecPath,
		RootHash: hex.EncodeToString(prep.RootHash), Table: fmt.Sprintf("0 %d %s %s", sectors, target, params)}
	if prep.Signer != nil {
		dec.Signer, dec.SigFrom = prep.Signer.FingerprintSHA256, trust.SigFrom
	}
	return dec, nil
}

func printInspect(w io.Writer, rep inspectReport) {
	for _, d := range rep.Disks {
		fmt.Fprintf(w, "%s: %s", d.Name, d.Image)
		if d.Table != "none" {
			fmt.Fprintf(w, ", %d-byte sectors, %s, %d partitions", d.SectorSize, d.Table, len(d.Partitions))
		}
		if d.Error != "" {
			fmt.Fprintf(w, ": %s", d.Error)
		}
		fmt.Fprintln(w)
		for _, p := range d.Partitions {
			typ := p.Type
			if typ == "" {
				typ = p.TypeUUID
			}
			fmt.Fprintf(w, "  %-6s %-16s %-22s %s %10d bytes", p.Device, p.Label, typ, p.UUID, p.SizeBytes)
			if len(p.Flags) > 0 {
				fmt.Fprintf(w, " [%s]", strings.Join(p.Flags, ","))
			}
			if p.VerityPartner != "" {
				fmt.Fprintf(w, "\n         verity partner %s; the UUIDs say root hash %s (untrusted)", p.VerityPartner, p.PairRootHash)
			}
			fmt.Fprintln(w)
		}
	}
	for _, vg := range rep.VGs {
		fmt.Fprintf(w, "volume group %s (%s, seqno %d)\n", vg.Name, vg.UUID, vg.Seqno)
		for uuid, dev := range vg.PVs {
			if dev == "" {
				dev = "MISSING"
			}
			fmt.Fprintf(w, "  PV %s on %s\n", uuid, dev)
		}
		for _, lv := range vg.LVs {
			if lv.Refusal != "" {
				fmt.Fprintf(w, "  LV %-16s refused: %s\n", lv.Name, lv.Refusal)
				continue
			}
			fmt.Fprintf(w, "  LV %-16s /dev/mapper/%s: %s\n", lv.Name, lv.DMName, strings.Join(lv.Table, "; "))
		}
	}
	if rep.LVMError != "" {
		fmt.Fprintf(w, "LVM: %s\n", rep.LVMError)
	}
	fmt.Fprintf(w, "\ncommand line: %q\n", rep.Cmdline)
	if rep.Error != "" {
		fmt.Fprintf(w, "the init would stop: %s\n", rep.Error)
		return
	}
	d := rep.Decision
	switch {
	case d.Root == "tmpfs":
		fmt.Fprintln(w, "root: an empty tmpfs (root=tmpfs)")
	case d.Table == "":
		fmt.Fprintf(w, "root: %s (found by %s), mounted WITHOUT verification\n", d.Root, d.Key)
	default:
		printVerity(w, "root", "root hash", d)
	}
	switch u := d.Usr; {
	case u == nil:
	case u.Table == "":
		fmt.Fprintf(w, "/usr: %s (found by %s), mounted WITHOUT verification\n", u.Root, u.Key)
	default:
		printVerity(w, "/usr", "usr hash", u)
	}
}

// printVerity prints the decision on one verity volume.
func printVerity(w io.Writer, what, hashName string, d *inspectDecision) {
	fec := ""
	if d.FECDevice != "" {
		fec = ", with the FEC parity on " + d.FECDevice
	}
	fmt.Fprintf(w, "%s: %s, dm-verity over data %s and hash %s%s; the %s %s matches the tree\ntable: %s\n",
		what, d.Root, d.DataDevice, d.HashDevice, fec, hashName, d.RootHash, d.Table)
	if d.Signer != "" {
		fmt.Fprintf(w, "signed: by the certificate with SHA-256 %s, the signature from %s\n", d.Signer, d.SigFrom)
	}
}

// matchPath is the device the init would use for m: the partition, or
// for a logical volume the /dev/mapper node it would make.
func matchPath(m rootdev.Match) string {
	if m.LV != nil {
		return "/dev/mapper/" + m.LV.Name
	}
	return "/dev/" + m.Device.Name
}

// lvDevNums gives the logical volumes among ms the dm device numbers the
// init gives them: it activates them in this order, each once, and the
// kernel numbers dm devices from 253:0 (dm's dynamic major on a kernel
// like Debian's, where device-mapper is the first to ask for one).
func lvDevNums(ms ...rootdev.Match) map[string]string {
	nums := map[string]string{}
	for _, m := range ms {
		if m.LV != nil && nums[m.LV.Name] == "" {
			nums[m.LV.Name] = fmt.Sprintf("253:%d", len(nums))
		}
	}
	return nums
}

// matchDevNum is m's MAJ:MIN.
func matchDevNum(m rootdev.Match, lvNums map[string]string) string {
	if m.LV != nil {
		return lvNums[m.LV.Name]
	}
	return m.Device.DevNum()
}

// errNoRootTypes is inspect's answer to auto-discovery on disks without a
// DPS root type: whatever the architecture, the init would find no root.
var errNoRootTypes = errors.New("root: the disks hold no Discoverable Partitions root partition of any architecture (the init would wait, then fail)")

// diskArch is inspect's architecture without --arch: the one whose DPS
// root (or root-verity) partition types the disks hold. The host's would
// be a guess: a disk for an arm64 board inspected on a PC would find no
// root. It matters only when the command line leaves the root to
// auto-discovery; then the types of several architectures are a usage
// error asking for --arch, and none at all is errNoRootTypes. Otherwise
// "" is returned.
func diskArch(im *images.Images, line string) (dps.Arch, error) {
	var found []string
	for _, name := range rootdev.SortedDisks(im.View) {
		d := im.View.Disks[name]
		if d.Err != nil {
			continue
		}
		for _, p := range d.Table.Partitions {
			if role, a, ok := dps.Identify(p.Type); ok && (role == dps.Root || role == dps.RootVerity) && !slices.Contains(found, string(a)) {
				found = append(found, string(a))
			}
		}
	}
	if len(found) == 1 {
		return dps.Arch(found[0]), nil
	}
	cfg, err := config.Parse(cmdline.Parse(line), config.Packed{})
	if err != nil || !cfg.AutoRoot {
		return "", nil // decide reports the error; no discovery, no architecture needed
	}
	if len(found) == 0 {
		return "", errNoRootTypes
	}
	slices.Sort(found)
	return "", fmt.Errorf("the disks hold root partitions of %s: give --arch: %w", strings.Join(found, " and "), errUsage)
}
