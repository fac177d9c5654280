package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/locate"
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
	RootHash   string `json:"root_hash,omitempty"`
	Table      string `json:"table,omitempty"`
}

type inspectReport struct {
	Disks    []inspectDisk    `json:"disks"`
	Cmdline  string           `json:"cmdline"`
	Decision *inspectDecision `json:"decision,omitempty"`
	Error    string           `json:"error,omitempty"`
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "DISK... [--cmdline \"...\"] [--json]", stderr)
	line := fs.String("cmdline", "", "the kernel command line to decide for (default: none, i.e. Discoverable Partitions auto-discovery)")
	arch := fs.String("arch", string(dps.NativeArch()), "the `architecture` whose DPS root types count")
	asJSON := fs.Bool("json", false, "print JSON")
	paths, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return errUsage
	}
	a, err := dps.ParseArch(*arch)
	if err != nil {
		return fmt.Errorf("--arch: %v: %w", err, errUsage)
	}
	im, err := locate.OpenImages(paths)
	if err != nil {
		return err
	}
	defer im.Close()
	rep := inspectReport{Cmdline: *line}
	for i, path := range paths {
		rep.Disks = append(rep.Disks, describeDisk(im, fmt.Sprintf("vd%c", 'a'+i), path))
	}
	dec, derr := decide(im, *line, a)
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

// errQuiet is an error already reported on stdout: exit 1, no message.
var errQuiet = errors.New("")

func describeDisk(im *locate.Images, name, path string) inspectDisk {
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

// decide runs the init's decision on the images, and for a verified root
// every check the init makes before it loads the table.
func decide(im *locate.Images, line string, arch dps.Arch) (*inspectDecision, error) {
	cfg, err := config.Parse(cmdline.Parse(line), config.Packed{})
	if err != nil {
		return nil, fmt.Errorf("kernel command line: %w", err)
	}
	d, done, err := locate.Decide(locate.Input{Config: &cfg, Arch: arch}, im.View)
	if err != nil {
		return nil, err
	}
	if !done {
		return nil, fmt.Errorf("%s (the init would wait, then fail)", strings.Join(d.Missing, "; "))
	}
	v := cfg.Verity
	if v == nil {
		return &inspectDecision{Root: "/dev/" + d.Root.Device.Name, Key: d.Root.Key}, nil
	}
	if d.HashPartition != nil {
		v.UseHashPartition(*d.HashPartition)
	}
	data, dataSize, err := im.Open(d.Data.Device)
	if err != nil {
		return nil, err
	}
	hash, _, err := im.Open(d.Hash.Device)
	if err != nil {
		return nil, err
	}
	dataPath, hashPath := "/dev/"+d.Data.Device.Name, "/dev/"+d.Hash.Device.Name
	prep, err := activate.Prepare(v, data, dataSize, dataPath, hash, hashPath)
	if err != nil {
		return nil, err
	}
	target, params, sectors, err := prep.Table(d.Data.Device.DevNum(), d.Hash.Device.DevNum())
	if err != nil {
		return nil, err
	}
	return &inspectDecision{Root: "/dev/mapper/" + activate.RootName, Key: d.Data.Key, DataDevice: dataPath, HashDevice: hashPath,
		RootHash: hex.EncodeToString(prep.RootHash), Table: fmt.Sprintf("0 %d %s %s", sectors, target, params)}, nil
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
	fmt.Fprintf(w, "\ncommand line: %q\n", rep.Cmdline)
	if rep.Error != "" {
		fmt.Fprintf(w, "the init would stop: %s\n", rep.Error)
		return
	}
	d := rep.Decision
	if d.Table == "" {
		fmt.Fprintf(w, "root: %s (found by %s), mounted WITHOUT verification\n", d.Root, d.Key)
		return
	}
	fmt.Fprintf(w, "root: %s, dm-verity over data %s and hash %s; the root hash %s matches the tree\ntable: %s\n",
		d.Root, d.DataDevice, d.HashDevice, d.RootHash, d.Table)
}
