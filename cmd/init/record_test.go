package main

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/activate"
	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/locate"
	"github.com/verinit/verinit/pkg/rootdev"
	"github.com/verinit/verinit/pkg/verity"
	"github.com/verinit/verinit/pkg/veritysig"
)

func parse(t *testing.T, line string) config.Config {
	t.Helper()
	c, err := config.Parse(cmdline.Parse(line), config.Packed{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDescribeRoot(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct{ line, want string }{
		{"root=/dev/vda2", "root=/dev/vda2"},
		{"console=ttyS0", "no root=: Discoverable Partitions auto-discovery for " + string(dps.NativeArch())},
		{"roothash=" + hash, "verified root (dps): data PARTUUID=abababab-abab-abab-abab-abababababab, hash PARTUUID=abababab-abab-abab-abab-abababababab, roothash=" + hash},
	} {
		if got := describeRoot(parse(t, tc.line)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestRecords: what status.json says comes from the right stage's
// value: the device the decision named, the verity device made over it.
func TestRecords(t *testing.T) {
	vda2 := blockdev.Device{Name: "vda2", Major: 254, Minor: 2, Partition: 2, Disk: "vda", SizeBytes: 1 << 20}
	c := parse(t, "root=PARTLABEL=root-a rw rootflags=noatime")
	d := locate.Decision{Root: rootdev.Match{Device: vda2, Key: "PARTLABEL", Value: "root-a"}}
	r := plainRootRecord(c, d)
	if r.Spec != "PARTLABEL=root-a" || r.Device != "/dev/vda2" || r.DevNum != "254:2" || r.Disk != "vda" || r.Partition != 2 || r.ReadOnly || r.Options != "noatime" {
		t.Errorf("plain root record %+v", r)
	}
	d.Discovered = &dps.Candidate{Disk: dps.Disk{Name: "vda"}}
	if s := rootSpec(c, d); !strings.HasPrefix(s, "(Discoverable Partitions) ") {
		t.Errorf("discovered root spec %q", s)
	}

	hash := strings.Repeat("cd", 32)
	c = parse(t, "roothash="+hash+" systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 rw")
	vda3 := vda2
	vda3.Name, vda3.Minor, vda3.Partition = "vda3", 3, 3
	d = locate.Decision{Data: rootdev.Match{Device: vda2, Key: "path", Value: "vda2"}, Hash: rootdev.Match{Device: vda3}}
	res := &activate.Result{Device: dm.Device{Name: "root", Major: 253, Minor: 0}, Params: verity.Params{Algorithm: "sha256"},
		HashOffset: 4096, Options: []string{config.ModeRestart}, Table: "0 8 verity ..."}
	v, root := verityRecords(c, d, res)
	if v.Source != "systemd" || v.Device != "/dev/mapper/root" || v.DataDevice != "/dev/vda2" || v.HashDevice != "/dev/vda3" ||
		v.RootHash != hash || v.HashOffset != 4096 || v.Algorithm != "sha256" {
		t.Errorf("verity record %+v", v)
	}
	if root.Device != "/dev/mapper/root" || root.DevNum != "253:0" || root.Disk != "vda" || !root.ReadOnly {
		t.Errorf("verified root record %+v (rw on the command line; the verity device is read-only all the same)", root)
	}

	if signatureRecord(res, "x", false) != nil {
		t.Error("a record of a signature nobody made")
	}
	res.Signer = &veritysig.Signer{Subject: "CN=a", Issuer: "CN=b", FingerprintSHA256: "ff", Version: 7, HasVersion: true}
	s := signatureRecord(res, "verinit.roothashsig=base64:...", true)
	if s.Subject != "CN=a" || s.Issuer != "CN=b" || s.Fingerprint != "ff" || !s.Kernel || s.From != "verinit.roothashsig=base64:..." || s.Version == nil || *s.Version != 7 {
		t.Errorf("signature record %+v", s)
	}
	res.Signer.HasVersion = false
	if s := signatureRecord(res, "", false); s.Version != nil {
		t.Errorf("a version the signature does not carry: %d", *s.Version)
	}
}
