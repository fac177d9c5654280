package main

import (
	"fmt"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/efivar"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/status"
)

// What the init records in status.json, from what the stages decided.

// describeRoot says in a few words how the Config finds the root.
func describeRoot(c config.Config) string {
	switch v := c.Verity; {
	case v != nil && v.Source == config.FromSignature:
		return fmt.Sprintf("verified root (%s): data %s, hash %s, root hash from the signature on %s", v.Source, v.Data.Raw, v.Hash.Raw, v.RootHashFrom.Raw)
	case v != nil:
		return fmt.Sprintf("verified root (%s): data %s, hash %s, roothash=%s", v.Source, v.Data.Raw, v.Hash.Raw, v.RootHash)
	case c.TmpfsRoot:
		return "root=tmpfs"
	case c.AutoRoot:
		return "no root=: Discoverable Partitions auto-discovery for " + string(dps.NativeArch())
	}
	return "root=" + c.Root.Raw
}

// describeUsr says in a few words how the Config finds /usr, "" without
// one.
func describeUsr(c config.Config) string {
	switch u := c.Usr; {
	case u.Verified():
		return fmt.Sprintf(", verified /usr (%s): data %s, hash %s, usrhash=%s", u.Verity.Source, u.Verity.Data.Raw, u.Verity.Hash.Raw, u.Verity.RootHash)
	case u != nil:
		return ", unverified /usr mount.usr=" + u.Device.Raw
	}
	return ""
}

func policyRecord(p config.Policy) status.Policy {
	return status.Policy{Verity: p.Verity.String(), Signature: p.Signature.String(), SHA1: p.SHA1.String(),
		Shell: p.Shell.String(), UnverifiedRoot: p.UnverifiedRoot.String(), RootHashes: p.RootHashes, MinVersion: p.MinVersion,
		TPM: p.TPM.String(), TPMPCR: p.PCR(), CmdlineKeys: p.CmdlineKeys.List()}
}

// rootSpec is how the root was named: root= (or its kin), or the
// partition auto-discovery chose.
func rootSpec(c config.Config, d locate.Decision) string {
	if d.Discovered != nil {
		return "(Discoverable Partitions) " + d.Discovered.String()
	}
	return c.Root.Raw
}

// plainRootRecord is the record of a root mounted without verity.
func plainRootRecord(c config.Config, d locate.Decision) status.Root {
	m := d.Root
	return status.Root{Spec: rootSpec(c, d), Key: m.Key, Value: m.Value, Device: m.Device.Path(),
		DevNum: m.Device.DevNum(), Disk: m.Device.Disk, Partition: m.Device.Partition,
		ReadOnly: c.ReadOnly, Options: c.RootFlags}
}

// verityRecords are the records of a verified root: the verity device
// and its devices, and the root (always read-only).
func verityRecords(c config.Config, d locate.Decision, res *activate.Result) (status.Verity, status.Root) {
	v := c.Verity
	return verityRecord(v, d.Data, d.Hash, d.FEC, res),
		status.Root{Spec: v.Data.Raw, Key: d.Data.Key, Value: d.Data.Value, Device: res.Device.Node(),
			DevNum: res.Device.DevNum(), Disk: d.Data.Device.Disk, Partition: d.Data.Device.Partition,
			ReadOnly: true, Options: c.RootFlags}
}

// verityRecord is the record of the verity device res made for v over
// data and hash (and fec): the root's or /usr's.
func verityRecord(v *config.Verity, data, hash, fec rootdev.Match, res *activate.Result) status.Verity {
	fecPath := ""
	if v.FEC != nil {
		fecPath = fec.Device.Path()
	}
	return status.Verity{Source: v.Source.String(), Device: res.Device.Node(), DevNum: res.Device.DevNum(),
		DataDevice: data.Device.Path(), HashDevice: hash.Device.Path(), FECDevice: fecPath, HashOffset: res.HashOffset,
		RootHash: v.RootHash, Algorithm: res.Params.Algorithm, Options: res.Options, Table: res.Table}
}

// signatureRecord is the record of who signed the root hash; nil when
// nobody did.
func signatureRecord(res *activate.Result, from string, kernel bool) *status.Signature {
	s := res.Signer
	if s == nil {
		return nil
	}
	r := &status.Signature{From: from, Subject: s.Subject, Issuer: s.Issuer, Fingerprint: s.FingerprintSHA256, Kernel: kernel}
	if s.HasVersion {
		v := s.Version
		r.Version = &v
	}
	return r
}

// loaderRecord is the record of what the boot loader said.
func loaderRecord(l efivar.Loader) *status.Loader {
	r := &status.Loader{State: l.State.String()}
	if l.State == efivar.Set {
		r.PartUUID = l.PartUUID.String()
	}
	return r
}

// lvRecord is the record of an activated logical volume.
func lvRecord(m *rootdev.Match, table []string) status.LV {
	return status.LV{VG: m.LV.VG, LV: m.LV.LV, Device: m.Device.Path(), DevNum: m.Device.DevNum(), Table: table}
}
