package config

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/rootdev"
)

// TestVeritytab: a packed veritytab's volume "root" is the root, its
// root hash pinned, its options under the command line's rules; what
// verinit would otherwise leave undone is refused with the line.
func TestVeritytab(t *testing.T) {
	other := strings.Repeat("b", 64)
	good := "# the root, as systemd's veritytab(5) has it\n\nroot PARTLABEL=root-a PARTLABEL=root-a-verity " + hash64 + " panic-on-corruption,x-initrd.attach\n"
	for _, tc := range []struct {
		name, tab, line string
		wantErr         string
		check           func(*testing.T, Config)
	}{
		{name: "the root volume", tab: good, check: func(t *testing.T, c Config) {
			v := c.Verity
			if v == nil || v.Source != FromVeritytab || v.RootHash != hash64 || v.Data.Kind != rootdev.ByPartLabel || v.Data.Value != "root-a" ||
				v.Hash.Value != "root-a-verity" || v.Options.Mode != ModePanic || !c.Policy.Enforced() || !c.Policy.Pinned(hash64) || c.Policy.Pinned(other) {
				t.Errorf("verity %+v, policy %+v", v, c.Policy)
			}
		}},
		{name: "hash-offset, one device", tab: "root /dev/vda2 /dev/vda2 " + hash64 + " hash-offset=1048576", check: func(t *testing.T, c Config) {
			if v := c.Verity; v.HashOffset != 1<<20 || v.HashOffsetFromFS {
				t.Errorf("verity %+v", v)
			}
		}},
		{name: "the command line's root hash cannot replace it", tab: good, line: "roothash=" + other + " systemd.verity_root_data=/dev/vda1 systemd.verity_root_hash=/dev/vda2",
			wantErr: "roothash=" + other + ": refused by"},
		{name: "the command line cannot turn verity off", tab: good, line: "systemd.verity=no", wantErr: "systemd.verity=no: refused by"},
		{name: "root= names another device", tab: good, line: "root=/dev/vda1",
			wantErr: "root=/dev/vda1: with the packed /etc/veritytab the root is its volume \"root\": leave root= out or give /dev/mapper/root"},
		{name: "lax option", tab: "root /dev/vda1 /dev/vda2 " + hash64 + " ignore-corruption",
			wantErr: "/etc/veritytab line 1: ignore-corruption: refused by"},
		{name: "unknown option", tab: "root /dev/vda1 /dev/vda2 " + hash64 + " frob", wantErr: `/etc/veritytab line 1: unknown option "frob"`},
		{name: "nofail", tab: "root /dev/vda1 /dev/vda2 " + hash64 + " nofail", wantErr: `/etc/veritytab line 1: unknown option "nofail"`},
		{name: "another volume", tab: good + "data /dev/vdb1 /dev/vdb2 " + other + "\n",
			wantErr: `/etc/veritytab line 4: volume "data": verinit sets up only the volumes "root" and "usr"`},
		{name: "root and usr", tab: "usr PARTLABEL=usr-a PARTLABEL=usr-a-verity " + other + " fec-device=PARTLABEL=usr-a-fec,x-initrd.attach\n" + good,
			check: func(t *testing.T, c Config) {
				u := c.Usr
				if c.Verity == nil || !u.Verified() || u.Verity.Source != FromVeritytab || u.Verity.RootHash != other || u.Verity.Data.Value != "usr-a" ||
					u.Verity.FEC == nil || !c.Policy.Pinned(other) || !c.Policy.Pinned(hash64) {
					t.Errorf("verity %+v usr %+v policy %+v", c.Verity, u, c.Policy)
				}
			}},
		{name: "usr alone, tmpfs root", tab: "usr /dev/vdb1 /dev/vdb2 " + other + "\n", line: "root=tmpfs", check: func(t *testing.T, c Config) {
			if !c.TmpfsRoot || !c.Usr.Verified() || c.Verity != nil || !c.Policy.Enforced() {
				t.Errorf("usr %+v policy %+v", c.Usr, c.Policy)
			}
		}},
		{name: "usr alone, a root device", tab: "usr /dev/vdb1 /dev/vdb2 " + other + "\n", line: "root=/dev/vda3 rw",
			wantErr: "verity is required and only /usr is verified"},
		{name: "usr: the command line's usr hash cannot replace it", tab: "usr /dev/vdb1 /dev/vdb2 " + other + "\n", line: "root=tmpfs usrhash=" + hash64b,
			wantErr: "usrhash=" + hash64b + ": refused by"},
		{name: "usr: mount.usr= another device", tab: "usr /dev/vdb1 /dev/vdb2 " + other + "\n", line: "root=tmpfs mount.usr=/dev/vdb1",
			wantErr: "mount.usr=/dev/vdb1: refused by"},
		{name: "usr: FEC options name the line", tab: "usr /dev/vdb1 /dev/vdb2 " + other + " fec-device=/dev/vdb3,fec-offset=100\n", line: "root=tmpfs",
			wantErr: "/etc/veritytab line 1: fec-offset=100: want bytes, a multiple of 512"},
		{name: "root: FEC options name the line", tab: "root /dev/vda1 /dev/vda2 " + hash64 + " fec-device=/dev/vdb3,fec-offset=100\n",
			wantErr: "/etc/veritytab line 1: fec-offset=100: want bytes, a multiple of 512"},
		{name: "no volume", tab: "# nothing\n", wantErr: `/etc/veritytab: no volume "root" or "usr"`},
		{name: "root hash from udev", tab: "root /dev/vda1 /dev/vda2 -", wantErr: `/etc/veritytab line 1: root hash "-" (udev's ID_DISSECT_PART_ROOTHASH): give the root hash`},
		{name: "bad root hash", tab: "root /dev/vda1 /dev/vda2 xyz", wantErr: "/etc/veritytab line 1 roothash=xyz: want the root hash in hex"},
		{name: "three fields", tab: "root /dev/vda1 /dev/vda2", wantErr: "/etc/veritytab line 1: 3 fields, want volume-name data-device hash-device roothash [options]"},
		{name: "twice", tab: good + good, wantErr: `/etc/veritytab line 6: volume "root" again (line 3 has it)`},
		{name: "bad device", tab: "root FROB=x /dev/vda2 " + hash64, wantErr: "/etc/veritytab line 1: data device:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(cmdline.Parse(tc.line), Packed{Veritytab: []byte(tc.tab)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if !c.Policy.Enforced() {
					t.Errorf("a bad veritytab left the policy %+v", c.Policy)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
	if _, err := Parse(cmdline.Parse(""), Packed{Veritytab: []byte(good), VerityEnv: []byte("ROOT_HASH=" + hash64 + "\n")}); err == nil ||
		!strings.Contains(err.Error(), "the initramfs packs both /usr/share/misc/dm-verity.env and /etc/veritytab: pack one") {
		t.Errorf("both packed: %v", err)
	}
}

func FuzzParseVeritytab(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseVeritytab(b)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		if _, err := veritytabSetUp(entries); err != nil {
			checkOneLine(t, err)
		}
		// A packed veritytab is what the builder decided: whatever it
		// holds, the policy requires verity.
		if c, err := Parse(cmdline.Parse(""), Packed{Veritytab: b}); !c.Policy.Enforced() {
			t.Fatalf("policy %+v (err %v)", c.Policy, err)
		}
	})
}
