//go:build vm

package vm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// hostOnlyReport is the part of `verinit initramfs --json` the case checks.
type hostOnlyReport struct {
	Bytes    int      `json:"bytes"`
	Modules  []string `json:"modules"`
	HostOnly struct {
		Blocks  []string `json:"blocks"`
		Disks   []string `json:"disks"`
		Drivers []struct {
			Module string `json:"module"`
		} `json:"drivers"`
		FSTypes []string `json:"file_systems"`
	} `json:"host_only"`
}

// TestHostOnly runs `verinit initramfs --host-only` on a booted, verified
// system (a squashfs root on dm-verity over two virtio partitions), then
// boots the initramfs it made on the same machine: it packs that
// machine's storage chain (virtio_pci, virtio_blk) and none of the default
// set's other drivers, device-mapper with dm-verity, and squashfs alone
// of the file systems, and it reaches the real init.
func TestHostOnly(t *testing.T) {
	h := shared.hostOnly(t)
	cmdline := "roothash=" + h.rootHash + " systemd.verity_root_data=PARTUUID=" + uuidHostData + " systemd.verity_root_hash=PARTUUID=" + uuidHostHash
	r := shared.bootOpts(t, vmtest.Boot{Initrd: shared.initrd, Disks: []string{"hostonly", "scratch"}, Cmdline: cmdline + " verinit_test.hostonly=1", Keep: true})
	if !r.Reached {
		t.Fatalf("the real init was not reached")
	}
	initrd := filepath.Join(t.TempDir(), "hostonly.img")
	body, err := vmtest.HostOnlyInitrd(r.Console, r.Disks[1], initrd)
	if err != nil {
		t.Fatal(err)
	}
	var rep hostOnlyReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, body)
	}
	var drivers []string
	for _, d := range rep.HostOnly.Drivers {
		drivers = append(drivers, d.Module)
	}
	for name, got := range map[string][2][]string{
		"blocks":       {rep.HostOnly.Blocks, {"dm-0", "vda2", "vda", "vda3"}},
		"disks":        {rep.HostOnly.Disks, {"vda"}},
		"drivers":      {drivers, {"virtio_blk", "virtio_pci"}},
		"file systems": {rep.HostOnly.FSTypes, {"squashfs"}},
	} {
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("traced %s %v, want %v", name, got[0], got[1])
		}
	}
	for _, m := range []string{"virtio_pci", "virtio_blk", "dm_mod", "dm_verity", "squashfs"} {
		if !slices.Contains(rep.Modules, m) {
			t.Errorf("module %s not packed: %v", m, rep.Modules)
		}
	}
	for _, m := range []string{"ahci", "nvme", "xhci_pci", "usb_storage", "sd_mod", "virtio_scsi", "sdhci_pci", "mmc_block", "erofs", "ext4", "efivarfs"} {
		if slices.Contains(rep.Modules, m) {
			t.Errorf("module %s packed: %v", m, rep.Modules)
		}
	}
	if st, err := os.Stat(initrd); err != nil || st.Size() != int64(rep.Bytes) {
		t.Fatalf("the initramfs read back: %v, the report says %d bytes", err, rep.Bytes)
	}
	// The root's disk is as it was: only the scratch disk was written.
	orig, _ := shared.Image("hostonly")
	a, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(r.Disks[0]); err != nil || !bytes.Equal(a, b) {
		t.Errorf("the root's disk was written (%v)", err)
	}

	r = shared.bootOpts(t, vmtest.Boot{Initrd: initrd, Disks: []string{"hostonly"}, Cmdline: cmdline})
	if !r.Reached || r.Status == nil {
		t.Fatalf("the host-only initramfs did not reach the real init")
	}
	if got := vmtest.Field(r.Status, "root", "device"); got != "/dev/mapper/root" {
		t.Errorf("root.device = %v, want /dev/mapper/root", got)
	}
	mods, _ := r.Status["modules"].([]any)
	got := map[string]string{}
	for _, m := range mods {
		m, _ := m.(map[string]any)
		name, _ := m["name"].(string)
		outcome, _ := m["outcome"].(string)
		trigger, _ := m["trigger"].(string)
		got[name] = outcome + " " + trigger
	}
	for name, want := range map[string]string{"virtio_pci": "loaded modalias", "virtio_blk": "loaded modalias",
		"dm_mod": "loaded dm", "dm_verity": "loaded dm", "squashfs": "loaded fs"} {
		if got[name] != want {
			t.Errorf("module %s: %q, want %q", name, got[name], want)
		}
	}
	if len(mods) != len(rep.Modules) {
		t.Errorf("status.json lists %d modules, the report %d", len(mods), len(rep.Modules))
	}
	t.Logf("host-only initramfs: %d bytes, %d modules; total_ms %v", rep.Bytes, len(rep.Modules), r.Status["total_ms"])
}
