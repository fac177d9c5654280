//go:build vm

package vm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestChain runs the whole A/B loop through real parts, once per boot
// loader: OVMF, the boot loader with the configuration `verinit disk
// create --print LOADER` wrote into the ESP, verinit, a Debian root with
// systemd and RAUC. Slot A boots release 1; RAUC installs release 2 into
// B; the loader boots B, which is marked good; RAUC installs release 3,
// corrupted after signing, into A; the loader tries A as often as it is
// configured to, the kernel refusing the corrupted block each time, then
// falls back to B, still good. Everything is read from the console, and
// then the disk: B's partitions hold release 2, untouched by A's update.
//
//   - systemd-boot: Type #1 entries, boot counting (three tries), RAUC's
//     custom backend contrib/rauc/verinit-systemd-boot, systemd-bless-boot
//     gated by contrib/systemd/verinit-verified.service.
//   - systemd-boot-uki: the same with a unified kernel image per slot
//     (Type #2), made with objcopy from systemd's EFI stub.
//   - u-boot: on arm64, Debian's u-boot-qemu running the boot script
//     `--print u-boot` wrote (three tries), RAUC's own U-Boot backend
//     through fw_setenv on the script's uboot.env.
//   - grub: a standalone GRUB (grub-mkstandalone) reading grub.cfg and
//     grubenv from the ESP, RAUC's own GRUB backend (one try).
func TestChain(t *testing.T) {
	for _, tc := range []struct {
		loader string
		tries  int
		lines  []string // console lines, after "VERINIT-CHAIN: "
	}{
		{"systemd-boot", 3, []string{
			// RAUC installed into B and made it primary, with three tries.
			`installed release-2.raucb: loader entries: verinit-2-a.conf verinit-3-b\+3.conf $`,
			// B was blessed (systemd-bless-boot, RAUC's mark-good).
			`loader entries: verinit-2-a.conf verinit-3-b.conf $`,
			`installed release-3-corrupt.raucb: loader entries: verinit-3-b.conf verinit-4-a\+3.conf $`,
			// After three tries A sorts last.
			`loader entries: verinit-3-b.conf verinit-4-a\+0-3.conf $`,
		}},
		{"systemd-boot-uki", 3, []string{
			`installed release-2.raucb: loader images: verinit-2-a.efi verinit-3-b\+3.efi $`,
			`loader images: verinit-2-a.efi verinit-3-b.efi $`,
			`installed release-3-corrupt.raucb: loader images: verinit-3-b.efi verinit-4-a\+3.efi $`,
			`loader images: verinit-3-b.efi verinit-4-a\+0-3.efi $`,
		}},
		{"u-boot", 3, []string{
			`installed release-2.raucb: loader ubootenv: BOOT_A_LEFT=3 BOOT_B_LEFT=3 BOOT_ORDER=B A $`,
			`installed release-3-corrupt.raucb: loader ubootenv: BOOT_A_LEFT=3 BOOT_B_LEFT=3 BOOT_ORDER=A B $`,
			// A's tries are used up; B is good again.
			`loader ubootenv: BOOT_A_LEFT=0 BOOT_B_LEFT=3 BOOT_ORDER=A B $`,
		}},
		{"grub", 1, []string{
			`installed release-2.raucb: loader grubenv: ORDER=B A A_OK=1 A_TRY=0 B_OK=1 B_TRY=0 $`,
			`installed release-3-corrupt.raucb: loader grubenv: ORDER=A B A_OK=1 A_TRY=0 B_OK=1 B_TRY=0 $`,
			// A was tried, and is skipped since.
			`loader grubenv: ORDER=A B A_OK=1 A_TRY=1 B_OK=1 B_TRY=0 $`,
		}},
	} {
		t.Run(tc.loader, func(t *testing.T) {
			t.Parallel()
			var c *chainImages
			var r vmtest.Result
			var start time.Time
			boot := vmtest.Boot{Disks: []string{"chain-" + tc.loader, "chain-control"}, Firmware: &vmtest.OVMF, Timeout: 30 * time.Minute, Keep: true}
			if tc.loader == "u-boot" { // arm64
				a := shared.arm(t, "arm64")
				c = shared.chainARM(t)
				boot.Firmware = &vmtest.UBootARM64
				// U-Boot's distro boot searches virtio 0 alone, and QEMU's
				// virt board numbers virtio-mmio devices backwards.
				boot.Disks = []string{"chain-control", "chain-u-boot"}
				start = time.Now()
				r = a.Boot(t, boot)
			} else {
				c = shared.chain(t)
				start = time.Now()
				r = shared.bootOpts(t, boot)
			}
			t.Logf("one loop through %s took %s", tc.loader, time.Since(start).Round(time.Second))
			main := r.Disks[slices.Index(boot.Disks, "chain-"+tc.loader)]
			checkChain(t, r, main, c, c.factory[tc.loader], tc.tries, tc.lines)
		})
	}
}

// raucStatus is the part of `rauc status --output-format=json` checked.
type raucStatus struct {
	Booted      string `json:"booted"`
	BootPrimary string `json:"boot_primary"`
	Slots       []map[string]struct {
		BootStatus string `json:"boot_status"`
	} `json:"slots"`
}

func (s raucStatus) String() string {
	status := map[string]string{}
	for _, m := range s.Slots {
		for name, v := range m {
			status[name] = v.BootStatus
		}
	}
	return fmt.Sprintf("booted %s, primary %s, rootfs.0 %s, rootfs.1 %s", s.Booted, s.BootPrimary, status["rootfs.0"], status["rootfs.1"])
}

func checkChain(t *testing.T, r vmtest.Result, mainDisk string, c *chainImages, f chainFactory, tries int, lines []string) {
	t.Helper()
	stepRE := regexp.MustCompile(`(?m)VERINIT-CHAIN: step (\d) booted ([A-Z]) release (\d) system (\S+)$`)
	raucRE := regexp.MustCompile(`(?m)VERINIT-CHAIN: rauc status: (\{.*\})$`)
	var got []string
	steps := stepRE.FindAllStringSubmatchIndex(r.Console, -1)
	for i, m := range steps {
		rest := r.Console[m[1]:]
		if i+1 < len(steps) {
			rest = r.Console[m[1]:steps[i+1][0]]
		}
		var rs raucStatus
		if j := raucRE.FindStringSubmatch(rest); j == nil || json.Unmarshal([]byte(j[1]), &rs) != nil {
			t.Errorf("step %s: no rauc status", r.Console[m[2]:m[3]])
		}
		got = append(got, fmt.Sprintf("step %s: slot %s, release %s, system %s; RAUC: %s",
			r.Console[m[2]:m[3]], r.Console[m[4]:m[5]], r.Console[m[6]:m[7]], r.Console[m[8]:m[9]], rs))
	}
	want := []string{
		"step 0: slot A, release 1, system running; RAUC: booted A, primary rootfs.0, rootfs.0 good, rootfs.1 good",
		"step 1: slot B, release 2, system running; RAUC: booted B, primary rootfs.1, rootfs.0 good, rootfs.1 good",
		"step 2: slot B, release 2, system running; RAUC: booted B, primary rootfs.1, rootfs.0 bad, rootfs.1 good",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the agent's steps:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, line := range append(lines, "done$") {
		if !regexp.MustCompile(`(?m)VERINIT-CHAIN: ` + line).MatchString(r.Console) {
			t.Errorf("no console line matches VERINIT-CHAIN: %s", line)
		}
	}
	// Every root verinit verified: release 1 in A, release 2 in B,
	// release 3 in A once per try (each refused by the kernel), B again.
	verified := regexp.MustCompile(`(?m)verinit: \[verity \+\d+ms\] \S+: root hash ([0-9a-f]{64}) matches the tree on /dev/vd[a-z](\d)`).FindAllStringSubmatch(r.Console, -1)
	var boots []string
	for _, v := range verified {
		boots = append(boots, map[string]string{"2": "A", "4": "B"}[v[2]]+" "+v[1])
	}
	h := c.rootHash
	wantBoots := []string{"A " + f.Slots[0].RootHash, "B " + h["2"]}
	for range tries {
		wantBoots = append(wantBoots, "A "+h["3"])
	}
	wantBoots = append(wantBoots, "B "+h["2"])
	t.Logf("the agent's steps:\n  %s\nverinit verified (slot, root hash; each release 3 one refused by the kernel):\n  %s",
		strings.Join(got, "\n  "), strings.Join(boots, "\n  "))
	if strings.Join(boots, "\n") != strings.Join(wantBoots, "\n") {
		t.Errorf("verinit verified (slot, root hash):\n  %s\nwant\n  %s", strings.Join(boots, "\n  "), strings.Join(wantBoots, "\n  "))
	}
	if n := len(regexp.MustCompile(`device-mapper: verity: \d+:\d+: data block 0 is corrupted`).FindAllString(r.Console, -1)); n < tries {
		t.Errorf("the kernel found release 3's corrupted block %d times, want at least %d (one per try)", n, tries)
	}

	// A's update wrote A's partitions and nothing of B's: B holds
	// release 2 byte for byte, A release 3.
	disk, err := os.ReadFile(mainDisk)
	if err != nil {
		t.Fatal(err)
	}
	for i, rel := range []string{"3", "2"} {
		s := f.Slots[i]
		for _, part := range []struct {
			name      string
			off, size int64
		}{{"root.img", s.Data.OffsetBytes, s.Data.SizeBytes}, {"verity.img", s.Verity.OffsetBytes, s.Verity.SizeBytes}, {"sig.img", s.Sig.OffsetBytes, s.Sig.SizeBytes}} {
			img, err := os.ReadFile(filepath.Join(c.bundles[rel], part.name))
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(img)) > part.size || !bytes.Equal(disk[part.off:part.off+int64(len(img))], img) {
				t.Errorf("slot %c: its partition does not hold release %s's %s", 'A'+i, rel, part.name)
			}
		}
	}
}
