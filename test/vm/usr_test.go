//go:build vm

package vm

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestVerifiedUsr boots a system whose /usr is verified (systemd's
// usrhash= and systemd.verity_usr_*): beside a writable ext4 root, and
// in an empty tmpfs root from Discoverable Partitions; and checks that
// a wrong usr hash and a root's own init are refused.
func TestVerifiedUsr(t *testing.T) {
	u := shared.usr(t)
	explicit := " usrhash=" + u.usrHash + " systemd.verity_usr_data=PARTLABEL=usr-a systemd.verity_usr_hash=PARTLABEL=usr-a-verity verinit.failure_delay=0"
	for _, tc := range []struct {
		name, disk, line string
		initrd           string
		rootFS           string
		rootRO           bool
		source           string
	}{
		{"writable ext4 root", "usr", "root=PARTLABEL=root-rw rw" + explicit, "", "ext4", false, "systemd"},
		{"tmpfs root, Discoverable Partitions", "usr-dps", "root=tmpfs usrhash=" + u.usrHash + " verinit.verity=required verinit.failure_delay=0", "", "tmpfs", false, "dps"},
		{"tmpfs root, packed veritytab", "usr", "root=tmpfs verinit.failure_delay=0", u.initrdTab, "tmpfs", false, "veritytab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A writable root is written (ext4 updates its superblock at
			// mount): keep the disk, and check below that /usr was not.
			r := shared.bootOpts(t, vmtest.Boot{Initrd: tc.initrd, Disks: []string{tc.disk}, Cmdline: tc.line, Keep: true})
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			usrUnwritten(t, r.Disks[0])
			for _, f := range []struct {
				path []string
				want any
			}{
				{[]string{"usr", "device"}, "/dev/mapper/usr"},
				{[]string{"usr", "fstype"}, "squashfs"},
				{[]string{"usr", "verity", "root_hash"}, u.usrHash},
				{[]string{"usr", "verity", "source"}, tc.source},
				{[]string{"root", "fstype"}, tc.rootFS},
				{[]string{"root", "readonly"}, tc.rootRO},
				{[]string{"init"}, "/sbin/init"},
			} {
				if got := vmtest.Field(r.Status, f.path...); got != f.want {
					t.Errorf("status %v = %v, want %v", f.path, got, f.want)
				}
			}
			if got := vmtest.Field(r.Status, "verity"); got != nil {
				t.Errorf("status verity = %v, want null (the root is not verified)", got)
			}
			vmtest.WantLine(t, r.Console, `verinit: \[usr \+\d+ms\] /dev/mapper/usr: usr hash `+u.usrHash+` matches the tree on /dev/vda\d`)
			if tc.initrd == "" { // inspect reads no initramfs
				agreeWithInspect(t, []string{tc.disk}, tc.line, r)
			}
		})
	}
	t.Run("signed /usr slot B of a created disk, signature required", func(t *testing.T) {
		t.Parallel()
		line := "root=tmpfs usrhash=" + u.createdB + " rauc.slot=B verinit.failure_delay=0"
		r := shared.bootWith(t, shared.sig(t).initrdSigned, []string{"usr-created"}, line)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		if got := vmtest.Field(r.Status, "usr", "verity", "root_hash"); got != u.createdB {
			t.Errorf("usr root hash %v, want slot B's %s", got, u.createdB)
		}
		if got, _ := vmtest.Field(r.Status, "usr", "signature", "subject").(string); got != "CN=verinit test trusted" {
			t.Errorf("usr signature subject %q", got)
		}
		if got := vmtest.Field(r.Status, "policy", "signature"); got != "required" {
			t.Errorf("policy signature %v", got)
		}
	})
	t.Run("wrong usrhash refused", func(t *testing.T) {
		t.Parallel()
		wrong := u.usrHash[:10] + flipHex(u.usrHash[10:11]) + u.usrHash[11:]
		r := shared.boot(t, []string{"usr"}, "root=PARTLABEL=root-rw rw usrhash="+wrong+" systemd.verity_usr_data=PARTLABEL=usr-a systemd.verity_usr_hash=PARTLABEL=usr-a-verity verinit.failure_delay=0")
		if r.Reached {
			t.Fatalf("the real init was reached with a wrong usr hash")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[usr \+\d+ms\] usr: /dev/vda4: verity: root hash mismatch`)
		agreeWithInspect(t, []string{"usr"}, "root=PARTLABEL=root-rw rw usrhash="+wrong+" systemd.verity_usr_data=PARTLABEL=usr-a systemd.verity_usr_hash=PARTLABEL=usr-a-verity", r)
	})
	t.Run("the root's own init refused beside a verified /usr", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"usr"}, "root=PARTLABEL=root-own-init"+explicit)
		if r.Reached {
			t.Fatalf("the root's own init ran")
		}
		vmtest.WantLine(t, r.Console, regexp.QuoteMeta("init /sbin/init is not in the verified /usr, and the root beside it is not verified"))
	})
}

// usrUnwritten checks that the /usr partitions of the disk a boot kept
// (the last two, data and hash) still hold their images byte for byte.
func usrUnwritten(t *testing.T, disk string) {
	t.Helper()
	starts, err := partStarts(disk)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"usr.squashfs", "usr.hash"} {
		want, err := os.ReadFile(filepath.Join(shared.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		start := starts[len(starts)-2+i]
		if !bytes.Equal(b[start:start+int64(len(want))], want) {
			t.Errorf("%s on %s was written during the boot", name, disk)
		}
	}
}

// flipHex returns a different hex digit.
func flipHex(d string) string {
	if d == "0" {
		return "1"
	}
	return "0"
}
