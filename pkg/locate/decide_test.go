package locate

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/gpt"
	"github.com/verinit/verinit/pkg/rootdev"
)

const rootHash = "c4a9173f708a24816427d82f4af40d0f9b2f8942b7226b3f665a0534be85b1be"

func guid(t *testing.T, s string) gpt.GUID {
	t.Helper()
	g, err := gpt.ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// abView is a DPS A/B disk: root-a (paired with root-a-verity by the
// root hash above), root-b, and its verity partition.
func abView(t *testing.T, disks ...string) rootdev.View {
	t.Helper()
	root, _ := dps.TypeGUID(dps.Root, dps.ArchX86_64)
	rootV, _ := dps.TypeGUID(dps.RootVerity, dps.ArchX86_64)
	table := &gpt.Table{SectorSize: 512, Partitions: []gpt.Partition{
		{Number: 1, Type: root, UUID: guid(t, "c4a9173f-708a-2481-6427-d82f4af40d0f"), Name: "root-a", FirstLBA: 2048, LastLBA: 4095},
		{Number: 2, Type: rootV, UUID: guid(t, "9b2f8942-b722-6b3f-665a-0534be85b1be"), Name: "root-a-verity", FirstLBA: 4096, LastLBA: 6143},
		{Number: 3, Type: root, UUID: guid(t, "11111111-2222-4333-8444-555555555555"), Name: "root-b", FirstLBA: 6144, LastLBA: 8191},
	}}
	v := rootdev.View{Disks: map[string]rootdev.Disk{}}
	for i, d := range disks {
		v.Disks[d] = rootdev.Disk{Table: table}
		v.Devices = append(v.Devices, blockdev.Device{Name: d, Disk: d, Major: 254, Minor: uint32(16 * i)})
		for n := 1; n <= 3; n++ {
			v.Devices = append(v.Devices, blockdev.Device{Name: d + string(rune('0'+n)), Disk: d, Partition: n, Major: 254, Minor: uint32(16*i + n)})
		}
	}
	return v
}

func decide(t *testing.T, line string, v rootdev.View) (Decision, bool, error) {
	t.Helper()
	c, err := config.Parse(cmdline.Parse(line), config.Packed{})
	if err != nil {
		t.Fatalf("config %q: %v", line, err)
	}
	return Decide(Input{Config: &c, Arch: dps.ArchX86_64}, v)
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		disks      []string
		root       string // plain root device
		data, hash string // verity devices
		missing    string
		wantErr    string
	}{
		{name: "plain PARTLABEL", line: "root=PARTLABEL=root-b", disks: []string{"vda"}, root: "vda3"},
		{name: "plain, not there", line: "root=PARTLABEL=root-c", disks: []string{"vda"}, missing: "root PARTLABEL=root-c: no such partition"},
		{name: "root hash alone pairs both", line: "roothash=" + rootHash, disks: []string{"vda"}, data: "vda1", hash: "vda2"},
		{name: "root= with roothash= finds the paired partition", line: "root=/dev/vda1 roothash=" + rootHash, disks: []string{"vda"}, data: "vda1", hash: "vda2"},
		{name: "root= with an unpaired roothash=: appended tree", line: "root=/dev/vda3 roothash=" + strings.Repeat("ab", 32), disks: []string{"vda"}, data: "vda3", hash: "vda3"},
		{name: "auto-discovery: newest label", line: "", disks: []string{"vda"}, root: "vda3"},
		{name: "auto-discovery: two disks", line: "", disks: []string{"vda", "vdb"}, wantErr: "root: dps: ambiguous root-x86-64 partition"},
		{name: "paired hash on two disks", line: "roothash=" + rootHash, disks: []string{"vda", "vdb"}, wantErr: "verity PARTUUID=c4a9173f-708a-2481-6427-d82f4af40d0f matches 2 partitions: vda1 vdb1; refusing to guess"},
		{name: "systemd keys, hash missing", line: "roothash=" + rootHash + " systemd.verity_root_data=/dev/vda1 systemd.verity_root_hash=/dev/vdz", disks: []string{"vda"},
			missing: "verity /dev/vdz: no such device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, done, err := decide(t, tc.line, abView(t, tc.disks...))
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.missing != "":
				if done || strings.Join(d.Missing, "; ") != tc.missing {
					t.Fatalf("done=%v missing=%q, want %q", done, d.Missing, tc.missing)
				}
				return
			case !done:
				t.Fatalf("not done: %q", d.Missing)
			}
			if d.Root.Device.Name != tc.root || d.Data.Device.Name != tc.data || d.Hash.Device.Name != tc.hash {
				t.Errorf("root %q data %q hash %q; want %q %q %q", d.Root.Device.Name, d.Data.Device.Name, d.Hash.Device.Name, tc.root, tc.data, tc.hash)
			}
		})
	}
}

// TestStalePairing: roothash= alone names partitions that the disk the
// boot loader booted from does not hold (a leftover entry): the decision
// fails once the devices are settled, rather than waiting out the
// timeout; without the loader's word, or with the pairing listed, it
// keeps waiting.
func TestStalePairing(t *testing.T) {
	stale := strings.Repeat("ab", 32)
	esp := guid(t, "e5e5e5e5-2222-4333-8444-555555555555")
	c, err := config.Parse(cmdline.Parse("roothash="+stale), config.Packed{})
	if err != nil {
		t.Fatal(err)
	}
	v := abView(t, "vda")
	espType, _ := dps.TypeGUID(dps.ESP, "")
	table := *v.Disks["vda"].Table
	table.Partitions = append(slices.Clone(table.Partitions), gpt.Partition{Number: 4, Type: espType, UUID: esp, Name: "esp", FirstLBA: 8192, LastLBA: 9215})
	v.Disks["vda"] = rootdev.Disk{Table: &table}
	_, done, err := Decide(Input{Config: &c, Arch: dps.ArchX86_64, Loader: esp}, v)
	if done || err == nil || !strings.Contains(err.Error(), "roothash="+stale+": the boot disk vda (holding the boot loader's partition "+esp.String()+") has no partition pair for it") {
		t.Fatalf("done %v, error %v", done, err)
	}
	var settled interface{ Unwrap() error }
	if !errors.As(err, &settled) {
		t.Errorf("the error does not wait for the devices to settle: %T", err)
	}
	// Without LoaderDevicePartUUID there is no evidence: keep waiting.
	if _, done, err := Decide(Input{Config: &c, Arch: dps.ArchX86_64}, v); done || err != nil {
		t.Errorf("without the loader: done %v, error %v", done, err)
	}
	// The loader's disk is not there yet: keep waiting.
	other := guid(t, "22222222-2222-4333-8444-555555555555")
	if _, done, err := Decide(Input{Config: &c, Arch: dps.ArchX86_64, Loader: other}, v); done || err != nil {
		t.Errorf("boot disk absent: done %v, error %v", done, err)
	}
	// The pairing that is there boots.
	c, _ = config.Parse(cmdline.Parse("roothash="+rootHash), config.Packed{})
	if _, done, err := Decide(Input{Config: &c, Arch: dps.ArchX86_64, Loader: esp}, v); !done || err != nil {
		t.Errorf("the good pairing: done %v, error %v", done, err)
	}
}

// TestDecideUsr: a separate /usr is decided with the root: its verity
// devices (explicit, or paired by usrhash=), or its plain device; the
// decision waits for both, and says which is missing.
func TestDecideUsr(t *testing.T) {
	tests := []struct {
		name          string
		line          string
		root          string
		usrData, hash string
		missing       string
		wantErr       string
	}{
		{name: "tmpfs root, /usr paired by usrhash=", line: "root=tmpfs usrhash=" + rootHash, usrData: "vda1", hash: "vda2"},
		{name: "plain root, explicit /usr", line: "root=/dev/vda3 usrhash=" + rootHash + " systemd.verity_usr_data=PARTLABEL=root-a systemd.verity_usr_hash=PARTLABEL=root-a-verity",
			root: "vda3", usrData: "vda1", hash: "vda2"},
		{name: "plain /usr", line: "root=/dev/vda3 mount.usr=PARTLABEL=root-a", root: "vda3", usrData: "vda1"},
		{name: "/usr missing", line: "root=/dev/vda3 mount.usr=PARTLABEL=usr-c", missing: "usr PARTLABEL=usr-c: no such partition"},
		{name: "/usr hash missing", line: "root=tmpfs usrhash=" + rootHash + " systemd.verity_usr_data=/dev/vda1 systemd.verity_usr_hash=/dev/vdz",
			missing: "usr verity /dev/vdz: no such device"},
		{name: "root missing, /usr there", line: "root=PARTLABEL=root-c usrhash=" + rootHash, missing: "root PARTLABEL=root-c: no such partition"},
		{name: "/usr pairing on two disks", line: "root=tmpfs usrhash=" + rootHash, wantErr: "usr verity PARTUUID=c4a9173f-708a-2481-6427-d82f4af40d0f matches 2 partitions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disks := []string{"vda"}
			if strings.Contains(tc.name, "two disks") {
				disks = append(disks, "vdb")
			}
			d, done, err := decide(t, tc.line, abView(t, disks...))
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.missing != "":
				if done || strings.Join(d.Missing, "; ") != tc.missing {
					t.Fatalf("done=%v missing=%q, want %q", done, d.Missing, tc.missing)
				}
				return
			case !done:
				t.Fatalf("not done: %q", d.Missing)
			}
			if d.Root.Device.Name != tc.root || d.UsrData.Device.Name != tc.usrData || d.UsrHash.Device.Name != tc.hash {
				t.Errorf("root %q usr data %q hash %q; want %q %q %q", d.Root.Device.Name, d.UsrData.Device.Name, d.UsrHash.Device.Name, tc.root, tc.usrData, tc.hash)
			}
		})
	}
}
