package config

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/rootdev"
)

// hash64b is another root hash, for /usr beside the root.
const hash64b = "0123456789abcdef0123456789abcdef" + "fedcba9876543210fedcba9876543210"

// TestParseUsr covers systemd's keys for /usr: a verified /usr by explicit
// devices or by the DPS pairing, beside a verified root, a writable root
// or an empty tmpfs root; a plain /usr; and what policies refuse.
func TestParseUsr(t *testing.T) {
	usrKeys := " usrhash=" + hash64b + " systemd.verity_usr_data=PARTLABEL=usr-a systemd.verity_usr_hash=PARTLABEL=usr-a-verity"
	required := Packed{Policy: []byte("verity=required\n")}
	tests := []struct {
		name    string
		line    string
		packed  Packed
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "verified /usr by its devices, writable root", line: "root=/dev/vda3 rw" + usrKeys + " systemd.verity_usr_options=panic-on-corruption,fec-device=PARTLABEL=usr-a-fec",
			check: func(t *testing.T, c Config) {
				u := c.Usr
				if c.Verity != nil || c.ReadOnly || !u.Verified() || u.Verity.Source != FromSystemd || u.Verity.RootHash != hash64b ||
					u.Verity.Data.Value != "usr-a" || u.Verity.Hash.Value != "usr-a-verity" || u.Verity.Options.Mode != ModePanic ||
					u.Verity.FEC == nil || u.Verity.FEC.Device.Value != "usr-a-fec" {
					t.Errorf("root %+v, usr %+v", c.Root, u.Verity)
				}
			}},
		{name: "DPS pairing by usrhash=, tmpfs root", line: "root=tmpfs usrhash=" + hash64b,
			check: func(t *testing.T, c Config) {
				v := c.Usr.Verity
				if !c.TmpfsRoot || c.AutoRoot || v.Source != FromDPS || v.Data.Kind != rootdev.ByPartUUID ||
					v.Data.Value != "01234567-89ab-cdef-0123-456789abcdef" || v.Hash.Value != "fedcba98-7654-3210-fedc-ba9876543210" {
					t.Errorf("tmpfs %v, usr %+v", c.TmpfsRoot, v)
				}
			}},
		{name: "verified root and verified /usr", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3" + usrKeys + " mount.usr=/dev/mapper/usr mount.usrfstype=erofs",
			check: func(t *testing.T, c Config) {
				if c.Verity == nil || !c.Usr.Verified() || c.Usr.FSType != "erofs" {
					t.Errorf("verity %+v usr %+v", c.Verity, c.Usr)
				}
			}},
		{name: "a plain /usr", line: "root=/dev/vda2 mount.usr=PARTLABEL=usr mount.usrflags=noatime",
			check: func(t *testing.T, c Config) {
				if u := c.Usr; u == nil || u.Verified() || u.Device.Value != "usr" || u.Flags != "noatime" {
					t.Errorf("usr %+v", u)
				}
			}},
		{name: "mount.usr= another device with usrhash=", line: "root=tmpfs mount.usr=/dev/vda4" + usrKeys,
			wantErr: "mount.usr=/dev/vda4: with usrhash= /usr is its verity device"},
		{name: "the verity device without usrhash=", line: "root=/dev/vda2 mount.usr=/dev/mapper/usr",
			wantErr: "mount.usr=/dev/mapper/usr: the verity device of /usr needs usrhash="},
		{name: "devices without usrhash=", line: "root=/dev/vda2 systemd.verity_usr_data=/dev/vda3 systemd.verity_usr_hash=/dev/vda4",
			wantErr: "systemd.verity_usr_data=, systemd.verity_usr_hash= and systemd.verity_usr_options= need usrhash="},
		{name: "one device", line: "root=tmpfs usrhash=" + hash64b + " systemd.verity_usr_data=/dev/vda3",
			wantErr: "systemd.verity_usr_data= and systemd.verity_usr_hash= go together"},
		{name: "tmpfs root without /usr", line: "root=tmpfs",
			wantErr: "root=tmpfs: an empty root needs a separate /usr"},
		{name: "tmpfs root with a root hash", line: "root=tmpfs roothash=" + hash64 + usrKeys,
			wantErr: "root=tmpfs: an empty root has nothing to verify"},
		{name: "usrhash= with verity off", line: "root=tmpfs systemd.verity=0" + usrKeys,
			wantErr: "usrhash= with systemd.verity=no"},
		{name: "bad usrhash=", line: "root=tmpfs usrhash=xyz",
			wantErr: "usrhash=xyz: not hex"},

		// Under a policy requiring verity.
		{name: "required: tmpfs root and a verified /usr", line: "root=tmpfs" + usrKeys, packed: required},
		{name: "required: a writable root beside a verified /usr, not allowed", line: "root=/dev/vda3 rw" + usrKeys, packed: required,
			wantErr: "verity is required and only /usr is verified: the root device would be mounted unverified"},
		{name: "required: a writable root beside a verified /usr, allowed", line: "root=/dev/vda3 rw" + usrKeys,
			packed: Packed{Policy: []byte("verity=required\nunverified-root=allowed\n")}},
		{name: "required: a plain /usr", line: "roothash=" + hash64 + " systemd.verity_root_data=/dev/vda2 systemd.verity_root_hash=/dev/vda3 mount.usr=/dev/vda4", packed: required,
			wantErr: "mount.usr=/dev/vda4: refused by the policy (packed) verity=required signature=optional: a /usr named by its device is mounted unverified"},
		{name: "required: the root's option rules", line: "root=tmpfs" + usrKeys + " systemd.verity_usr_options=ignore-corruption", packed: required,
			wantErr: "systemd.verity_usr_options: ignore-corruption: refused by the policy (packed) verity=required signature=optional: a corrupted block"},
		{name: "required: a /usr file system type", line: "root=tmpfs" + usrKeys + " mount.usrfstype=nfs", packed: required,
			wantErr: "mount.usrfstype=nfs: refused"},
		{name: "pinned: usrhash= must be pinned too", line: "root=tmpfs" + usrKeys, packed: Packed{Policy: []byte("roothash=" + hash64 + "\n")},
			wantErr: "usrhash=" + hash64b + ": refused by the policy (packed) verity=required signature=optional roothash=" + hash64 + ": the initramfs pins the root hash"},
		{name: "pinned: a pinned usrhash=", line: "root=tmpfs" + usrKeys, packed: Packed{Policy: []byte("roothash=" + hash64b + "\n")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(cmdline.Parse(tc.line), tc.packed)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v\nwant prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
