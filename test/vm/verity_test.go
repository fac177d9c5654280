//go:build vm

package vm

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestVerityBoot boots roots behind dm-verity and checks, from the
// status record the real init printed, which devices and hash were used.
func TestVerityBoot(t *testing.T) {
	v := shared.verity(t)
	tests := []struct {
		name     string
		cmdline  string
		rootHash string
		data     string // verity.data_device
		hash     string // verity.hash_device
		fstype   string
		alg      string
		options  string // verity.options joined with spaces
	}{
		{"systemd keys, veritysetup defaults, squashfs",
			"roothash=" + v.rootHash + " systemd.verity_root_data=PARTUUID=" + uuidVData + " systemd.verity_root_hash=PARTUUID=" + uuidVHash,
			v.rootHash, "/dev/vda1", "/dev/vda2", "squashfs", "sha256", "restart_on_corruption"},
		{"non-default veritysetup options",
			"roothash=" + v.rootHashAlt + " systemd.verity_root_data=PARTLABEL=vdata systemd.verity_root_hash=PARTLABEL=vhash-alt systemd.verity_root_options=panic-on-corruption,ignore-zero-blocks",
			v.rootHashAlt, "/dev/vda1", "/dev/vda3", "squashfs", "sha512", "panic_on_corruption ignore_zero_blocks"},
		{"erofs, tree by verinit verity format, root=/dev/mapper/root",
			"root=/dev/mapper/root roothash=" + v.rootHashEro + " systemd.verity_root_data=/dev/vda4 systemd.verity_root_hash=/dev/vda5",
			v.rootHashEro, "/dev/vda4", "/dev/vda5", "erofs", "sha256", "restart_on_corruption"},
		{"ext4, tree appended, found after the file system",
			"root=PARTUUID=" + uuidVExt4App + " roothash=" + v.rootHashExt4,
			v.rootHashExt4, "/dev/vda6", "/dev/vda6", "ext4", "sha256", "restart_on_corruption"},
		{"ext4, tree appended, systemd's hash-offset",
			"roothash=" + v.rootHashExt4 + " systemd.verity_root_data=PARTUUID=" + uuidVExt4App + " systemd.verity_root_hash=PARTUUID=" + uuidVExt4App +
				fmt.Sprintf(" systemd.verity_root_options=hash-offset=%d", v.ext4Size),
			v.rootHashExt4, "/dev/vda6", "/dev/vda6", "ext4", "sha256", "restart_on_corruption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, []string{"verity"}, tc.cmdline+" verinit.verity=required")
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			for _, c := range []struct {
				path []string
				want any
			}{
				{[]string{"root", "device"}, "/dev/mapper/root"},
				{[]string{"root", "fstype"}, tc.fstype},
				{[]string{"root", "readonly"}, true},
				{[]string{"verity", "device"}, "/dev/mapper/root"},
				{[]string{"verity", "root_hash"}, tc.rootHash},
				{[]string{"verity", "data_device"}, tc.data},
				{[]string{"verity", "hash_device"}, tc.hash},
				{[]string{"verity", "algorithm"}, tc.alg},
				{[]string{"policy", "verity"}, "required"},
			} {
				if got := vmtest.Field(r.Status, c.path...); got != c.want {
					t.Errorf("status %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
				}
			}
			vmtest.WantStages(t, r.Status, "mount", "config", "modules", "device", "discovery", "verity", "root-hash", "mount-root", "measure", "switch")
			var opts []string
			if list, ok := vmtest.Field(r.Status, "verity", "options").([]any); ok {
				for _, o := range list {
					opts = append(opts, o.(string))
				}
			}
			if got := strings.Join(opts, " "); got != tc.options {
				t.Errorf("verity options %q, want %q", got, tc.options)
			}
			table, _ := vmtest.Field(r.Status, "verity", "table").(string)
			if !strings.Contains(table, " verity ") || !strings.Contains(table, tc.rootHash) {
				t.Errorf("verity table %q lacks the target or the root hash", table)
			}
			agreeWithInspect(t, []string{"verity"}, tc.cmdline+" verinit.verity=required rauc.slot=A", r)
			// The devices under the verified root are read-only in the
			// kernel (BLKROSET); the others are not.
			ro := regexp.MustCompile(`VERINIT-TEST-ROOT: ro( .*)`).FindStringSubmatch(r.Console)
			if ro == nil {
				t.Fatalf("the real init printed no ro flags")
			}
			for _, dev := range []string{tc.data, tc.hash} {
				if !strings.Contains(ro[1]+" ", " "+strings.TrimPrefix(dev, "/dev/")+"=1 ") {
					t.Errorf("%s is not read-only: %s", dev, ro[1])
				}
			}
			if tc.data != "/dev/vda3" && tc.hash != "/dev/vda3" && !strings.Contains(ro[1]+" ", " vda3=0 ") {
				t.Errorf("vda3 (not in use) is read-only: %s", ro[1])
			}
		})
	}
}

// TestVerityRefuse checks that no unverified or mis-verified root is
// mounted: each case must stop before the real init, saying why.
func TestVerityRefuse(t *testing.T) {
	v := shared.verity(t)
	wrong := v.rootHash[:len(v.rootHash)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", v.rootHash[len(v.rootHash)-1])+1)%16])
	systemd := func(hash string) string {
		return "roothash=" + hash + " systemd.verity_root_data=PARTUUID=" + uuidVData + " systemd.verity_root_hash=PARTUUID=" + uuidVHash
	}
	tests := []struct {
		name    string
		disk    string
		cmdline string
		lines   []string
	}{
		{"wrong root hash", "verity", systemd(wrong),
			[]string{`verinit: \[verity \+\d+ms\] /dev/vda2: verity: root hash mismatch: the top-level hash block \(byte 0x1000 of the hash device\) hashes to ` + v.rootHash + `, not to the root hash ` + wrong + `$`}},
		{"flipped byte in the hash tree", "verity-hash-flip", systemd(v.rootHash),
			[]string{`verinit: \[verity \+\d+ms\] /dev/vda2: verity: root hash mismatch: the top-level hash block \(byte 0x1000 of the hash device\) hashes to [0-9a-f]{64}, not to the root hash ` + v.rootHash + `$`}},
		{"flipped byte in the superblock", "verity-super-flip", systemd(v.rootHash),
			[]string{`verinit: \[verity \+\d+ms\] /dev/vda2: verity: superblock: unsupported hash algorithm at byte 0x20: got "s\\x97a256", want sha1, sha256 or sha512$`}},
		{"flipped byte in the data", "verity-data-flip", systemd(v.rootHash),
			[]string{`device-mapper: verity: 25\d:\d+: data block 0 is corrupted$`, `dm-verity device corrupted`}},
		{"verity required, no root hash", "verity", "root=PARTUUID=" + uuidVData + " verinit.verity=required",
			[]string{`verinit: \[config \+\d+ms\] kernel command line: verity is required, but no root hash was given \(roothash= with root= or systemd.verity_root_data=/systemd.verity_root_hash=, or usrhash= for a verified /usr\); refusing to mount an unverified root$`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, []string{tc.disk}, tc.cmdline+" verinit.failure_delay=0")
			if r.Reached {
				t.Errorf("the real init was reached")
			}
			for _, re := range tc.lines {
				vmtest.WantLine(t, r.Console, re)
			}
			if tc.disk != "verity-data-flip" { // only the kernel sees a bad data block
				agreeWithInspect(t, []string{tc.disk}, tc.cmdline, r)
			}
		})
	}
}

// TestVerityYocto boots an initramfs that carries Yocto's dm-verity.env and
// a packed policy requiring verity: the command line names only the root.
func TestVerityYocto(t *testing.T) {
	t.Run("dm-verity.env boots", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.verity(t).initrdYocto, []string{"verity"}, "root=PARTUUID="+uuidVExt4App)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		for path, want := range map[string]any{"verity.source": "dm-verity.env", "verity.root_hash": shared.verity(t).rootHashExt4,
			"verity.hash_offset": float64(shared.verity(t).ext4Size), "root.device": "/dev/mapper/root", "policy.verity": "required"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	})
	t.Run("command line cannot weaken the packed policy", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.verity(t).initrdYocto, []string{"verity"}, "root=PARTUUID="+uuidVExt4App+" verinit.verity=optional verinit.failure_delay=0")
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] kernel command line: verinit.verity=optional: the initramfs policy requires verity; the command line cannot weaken it$`)
	})
}

// TestVeritytab boots an initramfs that carries systemd's /etc/veritytab:
// its volume "root" is the root, with no verity key on the command line,
// and the root hash it packs cannot be replaced from there.
func TestVeritytab(t *testing.T) {
	v := shared.verity(t)
	t.Run("veritytab's root volume boots", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, v.initrdVeritytab, []string{"verity"}, "")
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		for path, want := range map[string]any{"verity.source": "veritytab", "verity.root_hash": v.rootHash, "verity.data_device": "/dev/vda1",
			"verity.hash_device": "/dev/vda2", "root.device": "/dev/mapper/root", "policy.verity": "required"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
		if got, _ := vmtest.Field(r.Status, "verity", "table").(string); !strings.Contains(got, " panic_on_corruption") {
			t.Errorf("verity table %q lacks veritytab's panic-on-corruption", got)
		}
	})
	t.Run("the command line cannot replace its root hash", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, v.initrdVeritytab, []string{"verity"}, "roothash="+v.rootHashAlt+
			" systemd.verity_root_data=PARTUUID="+uuidVData+" systemd.verity_root_hash=PARTUUID="+uuidVHashAlt+" verinit.failure_delay=0")
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] kernel command line: roothash=`+v.rootHashAlt+`: refused by .*: the initramfs pins the root hash to `+v.rootHash+`$`)
	})
}

// TestVerityFEC: with veritysetup's forward error correction named by
// systemd's fec-device= option, the kernel repairs changed data blocks
// and the real system reads the right bytes (the root mounts from a
// repaired superblock and the real init runs); damage beyond what the
// parity repairs still ends in the corruption policy.
func TestVerityFEC(t *testing.T) {
	v := shared.verity(t)
	line := "roothash=" + v.rootHashFEC + " systemd.verity_root_data=PARTUUID=" + uuidFData + " systemd.verity_root_hash=PARTUUID=" + uuidFHash +
		fmt.Sprintf(" systemd.verity_root_options=fec-device=PARTUUID=%s,fec-roots=%d verinit.verity=required verinit.failure_delay=0", uuidFFEC, fecRoots)
	corrected := regexp.MustCompile(`verity-fec: \d+:\d+: FEC \d+: corrected \d+ errors`)
	for _, tc := range []struct {
		name, disk string
		repaired   bool // the kernel repairs, and the real init runs
	}{
		{"undamaged", "fec", false},
		{"two data blocks changed: repaired", "fec-data", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := shared.boot(t, []string{tc.disk}, line)
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			if got := vmtest.Field(r.Status, "verity", "fec_device"); got != "/dev/vda3" {
				t.Errorf("status verity.fec_device = %v, want /dev/vda3", got)
			}
			table, _ := vmtest.Field(r.Status, "verity", "table").(string)
			if !regexp.MustCompile(fmt.Sprintf(` use_fec_from_device \d+:\d+ fec_start 0 fec_blocks \d+ fec_roots %d`, fecRoots)).MatchString(table) {
				t.Errorf("verity table %q lacks the FEC arguments", table)
			}
			if got := corrected.MatchString(r.Console); got != tc.repaired {
				t.Errorf("the kernel repaired blocks: %v, want %v", got, tc.repaired)
			}
			if tc.disk == "fec" {
				agreeWithInspect(t, []string{tc.disk}, line, r) // the same table, FEC arguments and all
			}
		})
	}
	t.Run("beyond repair: the corruption policy", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"fec-beyond"}, line)
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `dm-verity device corrupted`)
	})
	// A damaged level-0 hash block, with a tree and parity made by verinit
	// verity format: the kernel repairs it when the real init reads the
	// data blocks under it, and the whole device reads as the image.
	// Without the parity, the same read ends in the corruption policy.
	hashLine := "roothash=" + v.rootHashFECHash + " systemd.verity_root_data=PARTUUID=" + uuidGData + " systemd.verity_root_hash=PARTUUID=" + uuidGHash +
		" verinit.verity=required verinit.failure_delay=0 verinit_test.read=/dev/mapper/root"
	t.Run("a hash block changed: repaired, verinit's parity", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"fec-hash"}, hashLine+fmt.Sprintf(" systemd.verity_root_options=fec-device=PARTUUID=%s,fec-roots=%d", uuidGFEC, fecRoots))
		if !r.Reached {
			t.Fatalf("the real init was not reached")
		}
		if !corrected.MatchString(r.Console) {
			t.Errorf("the kernel repaired nothing")
		}
		vmtest.WantLine(t, r.Console, regexp.QuoteMeta(vmtest.MarkerRead+" ok sha256="+v.fecHashDataSum))
		if strings.Contains(r.Console, "is corrupted") {
			t.Errorf("the kernel reported a corrupted block it did not repair")
		}
		t.Logf("level-0 block %d was damaged; the kernel: %s", v.fecHashBlock, strings.Join(corrected.FindAllString(r.Console, -1), "; "))
	})
	t.Run("a hash block changed, no parity: the corruption policy", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"fec-hash"}, hashLine)
		vmtest.WantLine(t, r.Console, `metadata block \d+ is corrupted`)
		if strings.Contains(r.Console, vmtest.MarkerRead+" ok") {
			t.Errorf("the damaged device read as good")
		}
	})
}
