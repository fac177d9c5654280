//go:build vm

package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// The kernel reads block devices a page (4 KiB, 8 sectors) at a time, so a
// failing sector fails every read of its page: the init names the first
// read that met it, the kernel the first sector of the page.

// TestIOFault makes one sector of a disk fail every read with EIO (QEMU's
// blkdebug, as a bad sector would) under each structure the init or the
// kernel reads before the real init runs. Each case checks the lines that
// name the device and the byte offset, that the failure policy acted (the
// reboot the init asks for; QEMU runs with -no-reboot), and that the real
// init never ran.
func TestIOFault(t *testing.T) {
	shared.verity(t)
	vs, err := partStarts(filepath.Join(shared.dir, "verity.img"))
	if err != nil {
		t.Fatal(err)
	}
	sq, err := os.Stat(filepath.Join(shared.dir, "root.squashfs"))
	if err != nil {
		t.Fatal(err)
	}
	// With more than 128 data blocks the sha256 tree has two levels: the
	// top block at 4 KiB of the hash partition (the init checks it), the
	// lower level from 8 KiB (only the kernel reads it, at mount).
	if sq.Size()/4096 <= 128 {
		t.Fatalf("root.squashfs has %d blocks: its tree has no second level", sq.Size()/4096)
	}
	data, hash := vs[0]/512, vs[1]/512
	lastData := data + (sq.Size()/4096-1)*8 // squashfs keeps its tables at the end: read at mount
	systemd := "roothash=" + shared.verity(t).rootHash + " systemd.verity_root_data=PARTUUID=" + uuidVData + " systemd.verity_root_hash=PARTUUID=" + uuidVHash
	const fail = " verinit.timeout=3 verinit.failure_delay=0"
	eio := func(dev string) string { return "read " + dev + ": input/output error" }
	backupGood := `and the backup is good, but the kernel makes partition devices from a backup GPT only when booted with the gpt parameter$`
	tests := []struct {
		name    string
		disk    string
		sector  int64
		cmdline string
		lines   []string // regular expressions, each must match a console line
		table   bool     // the verity table was loaded (the kernel read the tree)
	}{
		{"primary GPT header", "main", 1, "root=PARTUUID=" + uuidSq + fail, []string{
			`I/O error, dev vda, sector 0 `,
			` vda: unable to read partition table$`,
			`verinit: \[device \+\d+ms\] root PARTUUID=` + uuidSq + `: no such partition after 3s; block devices seen: vda; vda: the primary GPT is damaged \(gpt: read protective MBR at byte 0x0: ` + eio("/dev/vda") + `\) ` + backupGood,
		}, false},
		{"primary GPT entry array", "main", 10, "root=PARTUUID=" + uuidSq + fail, []string{
			`I/O error, dev vda, sector 8 `,
			` vda: unable to read partition table$`,
			`verinit: \[device \+\d+ms\] root PARTUUID=` + uuidSq + `: no such partition after 3s; block devices seen: vda; vda: the primary GPT is damaged \(gpt: read primary partition entry array at byte 0x400: ` + eio("/dev/vda") + `\) ` + backupGood,
		}, false},
		// pvcreate puts the first metadata area's header at 4 KiB.
		{"LVM metadata area", "lvm-ab", 8, "root=/dev/vg-ab/root-a" + fail, []string{
			`I/O error, dev vda, sector 8 `,
			`verinit: \[device \+\d+ms\] root /dev/vg-ab/root-a: no such logical volume after 3s; block devices seen: vda; /dev/vda: lvm: read mda 1 header at byte 0x1000: ` + eio("/dev/vda") + `$`,
		}, false},
		{"verity superblock", "verity", hash, systemd + fail, []string{
			fmt.Sprintf(`I/O error, dev vda, sector %d `, hash),
			`verinit: \[verity \+\d+ms\] verity: read superblock of /dev/vda2 at byte 0x0: ` + eio("/dev/vda2") + `$`,
		}, false},
		{"top block of the hash tree", "verity", hash + 8, systemd + fail, []string{
			fmt.Sprintf(`I/O error, dev vda, sector %d `, hash+8),
			`verinit: \[verity \+\d+ms\] /dev/vda2: verity: read top-level hash block at byte 0x1000 of the hash device: ` + eio("/dev/vda2") + `$`,
		}, false},
		// dm-verity passes an I/O error on the tree or the data up as
		// EIO: only a hash mismatch is corruption (restart_on_corruption);
		// restart_on_error and panic_on_error are newer than this kernel.
		// The init's failure policy reboots instead.
		{"lower level of the hash tree (read by the kernel)", "verity", hash + 16, systemd + fail, []string{
			fmt.Sprintf(`I/O error, dev vda, sector %d `, hash+16),
			`verinit: \[mount-root \+\d+ms\] root /dev/mapper/root: fsdetect: read 4096 bytes at byte 0x0: ` + eio("/dev/mapper/root") + `$`,
		}, true},
		{"data block read at mount", "verity", lastData, systemd + fail, []string{
			fmt.Sprintf(`I/O error, dev vda, sector %d `, lastData),
			`SQUASHFS error: Failed to read block 0x[0-9a-f]+: -5$`,
			`verinit: \[mount-root \+\d+ms\] root /dev/mapper/root: mount /dev/mapper/root \(squashfs\) on /sysroot: input/output error$`,
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootOpts(t, vmtest.Boot{Disks: []string{tc.disk}, Cmdline: tc.cmdline,
				Faults: map[int][]vmtest.Fault{0: {{Sector: tc.sector}}}})
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			for _, re := range append(tc.lines, `verinit: \[failure \+\d+ms\] rebooting in 0s$`, `reboot: Restarting system$`) {
				vmtest.WantLine(t, r.Console, re)
			}
			for _, re := range []string{`verinit: \[switch`, `dm-verity device corrupted`, `verity: .* is corrupted`} {
				if regexp.MustCompile(re).MatchString(r.Console) {
					t.Errorf("console has a line matching %s", re)
				}
			}
			if loaded := strings.Contains(r.Console, "matches the tree on /dev/vda2;"); loaded != tc.table {
				t.Errorf("verity table loaded: %v, want %v", loaded, tc.table)
			}
		})
	}
}

// TestIOFaultBackupGPT: with the kernel's gpt key, an unreadable primary
// GPT makes the kernel use the backup, and the init (which reads the
// same backup) boots from it.
func TestIOFaultBackupGPT(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sector int64
		kernel string // the kernel's read error: the first sector of the page
	}{{"header", 1, "0"}, {"entry array", 10, "8"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootOpts(t, vmtest.Boot{Disks: []string{"main"}, Cmdline: "gpt root=PARTUUID=" + uuidSq,
				Faults: map[int][]vmtest.Fault{0: {{Sector: tc.sector}}}})
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			vmtest.WantLine(t, r.Console, `I/O error, dev vda, sector `+tc.kernel+` `)
			vmtest.WantLine(t, r.Console, ` vda: vda1 vda2 vda3 vda4 vda5$`)
			if got := vmtest.Field(r.Status, "root", "device"); got != "/dev/vda2" {
				t.Errorf("root.device = %v, want /dev/vda2", got)
			}
		})
	}
}

// TestLateDisk boots with no disk at all and plugs the root disk in
// (device_add through QMP) once the init has scanned and found nothing:
// the init must find it from the kernel's uevent, not by polling.
func TestLateDisk(t *testing.T) {
	r := shared.bootOpts(t, vmtest.Boot{Cmdline: "root=PARTUUID=" + uuidSq + " verinit.debug verinit.timeout=120",
		HotAdd: &vmtest.HotAdd{After: `verinit: \[device \+\d+ms\] first scan \(read in [^)]*\): block devices seen: none$`, Disk: "main"}})
	if !r.Reached || r.Status == nil {
		t.Fatalf("the real init was not reached or printed no status")
	}
	if got := vmtest.Field(r.Status, "root", "device"); got != "/dev/vda2" {
		t.Errorf("root.device = %v, want /dev/vda2", got)
	}
	// Every look at the devices after the first was caused by uevents,
	// and the one that found the root followed the disk's own.
	scans := regexp.MustCompile(`(?m)verinit: \[device \+\d+ms\] (first scan|after uevents [^:(]*) \(read in [^)]*\): block devices seen: (.*)$`).FindAllStringSubmatch(r.Console, -1)
	if len(scans) < 2 || scans[0][1] != "first scan" {
		t.Fatalf("device scans: %q, want a first scan and at least one after uevents", scans)
	}
	last := scans[len(scans)-1]
	if !strings.HasPrefix(last[2], "vda vda1 vda2 ") || !regexp.MustCompile(`\badd vda[0-9]*\b`).MatchString(last[1]) {
		t.Errorf("the scan that found the root: %q, want one after the disk's add uevents", last[0])
	}
	vmtest.WantLine(t, r.Console, `verinit: \[device \+\d+ms\] root PARTUUID=`+uuidSq+` is /dev/vda2 \(254:2\) \(\d+ms\)$`)
}

// TestNeverWrite checks, from the init's own record (verinit.debug lists
// /proc/self/fdinfo for each open block device once the verity data and
// hash devices are open, before their first read), that it holds exactly
// those two open, read-only (no O_WRONLY, no O_RDWR), and that they are
// already read-only in the kernel (BLKROSET) then.
func TestNeverWrite(t *testing.T) {
	for _, tc := range []struct {
		name, disk, cmdline string
		devs                []string // "path (MAJ:MIN)" as the record names them
	}{
		{"verity on partitions", "verity", "roothash=" + shared.verity(t).rootHash + " systemd.verity_root_data=PARTUUID=" + uuidVData + " systemd.verity_root_hash=PARTUUID=" + uuidVHash,
			[]string{`/dev/vda1 \(254:1\)`, `/dev/vda2 \(254:2\)`}},
		{"verity on logical volumes", "lvm-ab", "roothash=" + shared.lvm(t).rootHashB + " systemd.verity_root_data=/dev/mapper/vg--ab-root--b systemd.verity_root_hash=LVM=vg-ab/root-b-hash",
			[]string{`/dev/mapper/vg--ab-root--b \(253:\d+\)`, `/dev/mapper/vg--ab-root--b--hash \(253:\d+\)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, []string{tc.disk}, tc.cmdline+" verinit.debug")
			if !r.Reached {
				t.Fatalf("the real init was not reached")
			}
			open := regexp.MustCompile(`(?m)verinit: \[verity \+\d+ms\] open block device: (.*)$`).FindAllStringSubmatch(r.Console, -1)
			if len(open) != len(tc.devs) {
				t.Errorf("%d open block devices listed, want %d: %q", len(open), len(tc.devs), open)
			}
			for _, dev := range tc.devs {
				// O_RDONLY|O_LARGEFILE|O_CLOEXEC and nothing else.
				vmtest.WantLine(t, r.Console, `verinit: \[verity \+\d+ms\] open block device: fd \d+ `+dev+` flags 02100000 O_RDONLY, device ro=1$`)
			}
		})
	}
}

// TestClockEntropyConsole boots with the real-time clock at 1970 and past
// 2038, without entropy, and without a console.
//
// QEMU 7.2 takes -rtc base as a 32-bit time (2100 comes out as 1963), and
// the CMOS clock holds two-digit years that the kernel reads as 1970-2069:
// a base in 1969 is how the kernel gets a clock at the end of 2069.
//
// The VM has no virtio-rng and its CPU model no RDRAND; with the boot
// loader's and the CPU's seeds untrusted, the kernel's CRNG stays
// unready through the boot. A blocking getrandom(2) would make the kernel
// seed it from timing jitter at once ("random: crng init done") and an
// early read of /dev/urandom would be reported, so neither line may come
// before the init hands over. The signed-root case runs the signature
// check, the one place crypto code runs.
func TestClockEntropyConsole(t *testing.T) {
	a := shared.ab(t).a
	signed := "roothash=" + a.rootHash + " systemd.verity_root_data=PARTUUID=" + a.dataUUID + " systemd.verity_root_hash=PARTUUID=" + a.vUUID +
		" verinit.roothashsig=base64:" + shared.sig(t).aByTrusted + " random.trust_cpu=off random.trust_bootloader=off"
	for _, tc := range []struct {
		name, base, clock string
	}{
		{"RTC at 1970", "1970-01-01T00:00:00", `1970-01-01T00:0\d:\d\d`},
		{"RTC at the end of 2069", "1969-12-31T23:59:00", `(2069-12-31T23:59|2070-01-01T00:0\d):\d\d`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.bootOpts(t, vmtest.Boot{Initrd: shared.sig(t).initrdSigned, Disks: []string{"ab"}, Cmdline: signed,
				QEMU: []string{"-rtc", "base=" + tc.base}})
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			vmtest.WantLine(t, r.Console, `rtc_cmos 00:04: setting system clock to `+tc.clock+` UTC`)
			if got := vmtest.Field(r.Status, "signature", "subject"); got != "CN=verinit test trusted" {
				t.Errorf("signature.subject = %v", got)
			}
			switched := strings.Index(r.Console, "verinit: [switch +")
			if switched < 0 {
				t.Fatalf("no switch line")
			}
			for _, line := range []string{"random: crng init done", "uninitialized urandom read"} {
				if i := strings.Index(r.Console, line); i >= 0 && i < switched {
					t.Errorf("%q before the init switched: something in it asked for random bytes", line)
				}
			}
		})
	}
	t.Run("no console", func(t *testing.T) {
		t.Parallel()
		r := shared.bootOpts(t, vmtest.Boot{Disks: []string{"main"}, Cmdline: "root=/dev/vda2", Console: "console=null"})
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		// The test root found no terminal on its standard output.
		vmtest.WantLine(t, r.Console, "^"+regexp.QuoteMeta(vmtest.MarkerNoConsole)+"$")
		if strings.Contains(r.Console, "verinit: [") {
			t.Errorf("the init's lines reached the serial port: it had a console")
		}
		if got := vmtest.Field(r.Status, "root", "device"); got != "/dev/vda2" {
			t.Errorf("root.device = %v, want /dev/vda2", got)
		}
	})
}
