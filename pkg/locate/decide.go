// Package locate decides, from what is known about the block devices at
// one moment (a rootdev.View), which devices the configured root needs:
// the root itself, or the data and hash devices of a verified root. The
// init calls Decide after every device event until it is done; `verinit
// inspect` calls it once on disk images, so both reach the same decision.
package locate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/rootdev"
)

// Decision names the devices to use.
type Decision struct {
	Root rootdev.Match // without verity
	// With verity: the data and hash devices. HashPartition is set when
	// root= and roothash= found the verity partition by the
	// Discoverable Partitions pairing, rather than a tree appended to
	// the root partition.
	Data, Hash    rootdev.Match
	HashPartition *rootdev.Spec
	// Sig is the partition verinit.roothash_sig= names, whose signed
	// root-verity-sig JSON gives the root hash.
	Sig rootdev.Match
	// FEC is the device fec-device= names.
	FEC rootdev.Match
	// Discovered is the partition auto-discovery chose (no root=).
	Discovered *dps.Candidate
	// UsrData and UsrHash are the data and hash devices of a verified
	// /usr (usrhash=), with UsrFEC its fec-device=; UsrData alone is
	// the device of a plain one (mount.usr=).
	UsrData, UsrHash, UsrFEC rootdev.Match
	// Missing says what is not there yet, when not done.
	Missing []string
}

// Input is what Decide needs besides the view.
type Input struct {
	Config *config.Config
	Arch   dps.Arch
	Loader gpt.GUID // LoaderDevicePartUUID, zero when unknown
}

// Needs says what the view must hold for this configuration.
func (in Input) Needs() rootdev.Needs {
	n := in.rootNeeds()
	if u := in.Config.Usr; u.Verified() {
		specs := []rootdev.Spec{u.Verity.Data, u.Verity.Hash}
		if u.Verity.FEC != nil {
			specs = append(specs, u.Verity.FEC.Device)
		}
		n = n.Add(rootdev.NeedsOf(specs...))
	} else if u != nil {
		n = n.Add(rootdev.NeedsOf(u.Device))
	}
	return n
}

// rootNeeds is Needs for the root alone.
func (in Input) rootNeeds() rootdev.Needs {
	c := in.Config
	switch {
	case c.TmpfsRoot:
		return rootdev.Needs{}
	case c.Verity != nil:
		specs := []rootdev.Spec{c.Verity.Data, c.Verity.Hash, c.Verity.RootHashFrom}
		if c.Verity.FEC != nil {
			specs = append(specs, c.Verity.FEC.Device)
		}
		n := rootdev.NeedsOf(specs...)
		n.Tables = n.Tables || c.Verity.Source == config.FromRoot // the pairing of root= with roothash= reads tables
		return n
	case c.AutoRoot:
		return rootdev.Needs{Tables: true}
	}
	return rootdev.NeedsOf(c.Root)
}

// Decide returns the decision once every device it needs is there
// (done), or what is still missing, or an error when the view proves no
// safe decision is possible (ambiguity).
func Decide(in Input, v rootdev.View) (d Decision, done bool, err error) {
	d, done, err = decideRoot(in, v)
	u := in.Config.Usr
	if err != nil || u == nil {
		return d, done, err
	}
	var usrDone bool
	if u.Verified() {
		var ud Decision
		if ud, usrDone, err = decideVerity(u.Verity, v, "usr "); err != nil {
			return d, false, err
		}
		d.UsrData, d.UsrHash, d.UsrFEC = ud.Data, ud.Hash, ud.FEC
		d.Missing = append(d.Missing, ud.Missing...)
	} else {
		if d.UsrData, usrDone, err = u.Device.Resolve(v); err != nil {
			return d, false, fmt.Errorf("usr %w", err)
		}
		if !usrDone {
			d.Missing = append(d.Missing, "usr "+u.Device.Raw+": no such "+u.Device.Kind.Noun())
		}
	}
	return d, done && usrDone, nil
}

// decideRoot is Decide for the root alone.
func decideRoot(in Input, v rootdev.View) (d Decision, done bool, err error) {
	c := in.Config
	switch {
	case c.TmpfsRoot:
		return d, true, nil // nothing to find
	case c.Verity != nil:
		d, done, err = decideVerity(c.Verity, v, "")
		if err == nil && !done && c.Verity.Source == config.FromDPS {
			err = stalePairing(in, c.Verity, v)
		}
		return d, done, err
	case c.AutoRoot:
		return discover(in, v)
	}
	m, ok, err := c.Root.Resolve(v)
	if err != nil {
		return d, false, fmt.Errorf("root %w", err)
	}
	d.Root = m
	if !ok {
		d.Missing = []string{"root " + c.Root.Raw + ": no such " + c.Root.Kind.Noun()}
	}
	return d, ok, nil
}

// decideVerity finds the devices of the verity volume vc; prefix ("" for
// the root, "usr " for /usr) starts what its messages name.
func decideVerity(vc *config.Verity, v rootdev.View, prefix string) (d Decision, done bool, err error) {
	hashSpec := vc.Hash
	if vc.Source == config.FromRoot {
		// root= with roothash=: the paired verity partition when a
		// table lists it, else a tree appended to the root partition.
		if paired, err := vc.PairedHash(); err == nil && paired.Listed(v) {
			hashSpec = paired
			d.HashPartition = &paired
		}
	}
	var missing []string
	resolve := func(what string, s rootdev.Spec) (rootdev.Match, bool, error) {
		m, ok, err := s.Resolve(v)
		if err != nil {
			return m, false, fmt.Errorf("%s%s %w", prefix, what, err)
		}
		if !ok {
			missing = append(missing, s.Raw+": no such "+s.Kind.Noun())
		}
		return m, ok, nil
	}
	dataWhat := "verity"
	if vc.Source == config.FromRoot {
		dataWhat = "root"
	}
	var okData, okHash bool
	if d.Data, okData, err = resolve(dataWhat, vc.Data); err != nil {
		return d, false, err
	}
	if d.Hash, okHash, err = resolve("verity", hashSpec); err != nil {
		return d, false, err
	}
	okSig := true
	if vc.RootHashFrom.Kind != 0 {
		if d.Sig, okSig, err = resolve("signature", vc.RootHashFrom); err != nil {
			return d, false, err
		}
	}
	okFEC := true
	if vc.FEC != nil {
		if d.FEC, okFEC, err = resolve("verity FEC", vc.FEC.Device); err != nil {
			return d, false, err
		}
	}
	if len(missing) > 0 {
		d.Missing = []string{prefix + dataWhat + " " + strings.Join(missing, "; ")}
	}
	return d, okData && okHash && okSig && okFEC, nil
}

// stalePairing fails a Discoverable Partitions pairing (roothash=
// alone) that the boot disk does not hold, once nothing more can appear:
// a boot entry for an image the disk no longer has (an entry left over
// by an update) would otherwise wait the whole timeout on every try of
// the boot loader's counter. Only the disk the loader named
// (LoaderDevicePartUUID) is evidence: without it, or while it is not
// there, the wait goes on for disks that are late.
func stalePairing(in Input, vc *config.Verity, v rootdev.View) error {
	if in.Loader.IsZero() || (vc.Data.Listed(v) && vc.Hash.Listed(v)) {
		return nil
	}
	for _, name := range rootdev.SortedDisks(v) {
		if dps.IsBootDisk(v.Disks[name].Table, in.Loader) {
			return blockdev.IfSettled(fmt.Errorf("roothash=%s: the boot disk %s (holding the boot loader's partition %s) has no partition pair for it (%s, %s), nor has any other disk: a boot entry for an image no longer on the disk?",
				vc.RootHash, name, in.Loader, vc.Data.Raw, vc.Hash.Raw))
		}
	}
	return nil
}

func discover(in Input, v rootdev.View) (d Decision, done bool, err error) {
	var disks []dps.Disk
	for _, name := range rootdev.SortedDisks(v) {
		t := v.Disks[name].Table
		disks = append(disks, dps.Disk{Name: name, Table: t, Boot: dps.IsBootDisk(t, in.Loader)})
	}
	c, err := dps.SelectRoot(disks, in.Arch)
	if errors.Is(err, dps.ErrNotFound) {
		d.Missing = []string{fmt.Sprintf("root: no %s root partition (Discoverable Partitions): %v", in.Arch, err)}
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("root: %w", err)
	}
	d.Discovered = &c
	for _, dev := range v.Devices {
		if dev.Disk == c.Disk.Name && dev.Partition == c.Partition.Number {
			d.Root = rootdev.Match{Device: dev, Key: "DPS", Value: c.Partition.UUID.String()}
			return d, true, nil
		}
	}
	d.Missing = []string{"root " + c.String() + ": in the partition table, but the kernel has not announced it"}
	return d, false, nil
}
