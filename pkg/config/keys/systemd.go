package keys

// Systemd is one key or option of systemd's dm-verity set up
// (systemd-veritysetup-generator(8), veritytab(5)) and what verinit
// does with it: a row of README's compatibility table.
type Systemd struct {
	// Name is the key (roothash) or option (hash-offset) as systemd
	// spells it, without "=".
	Name string
	Kind SystemdKind
	// Verinit says what verinit does, in Markdown; "refused: ..." for
	// what it does not support, which is never silently ignored.
	Verinit string
}

// SystemdKind says where systemd reads a Systemd entry.
type SystemdKind int

const (
	// CmdlineKey is a kernel command-line key.
	CmdlineKey SystemdKind = iota
	// VerityOption is an option of systemd.verity_*_options= and of
	// veritytab's fifth field.
	VerityOption
	// VeritytabOnly is an option only veritytab has: how systemd
	// orders and attaches the volume (refused on the command line).
	VeritytabOnly
)

// Refused starts the Verinit text of what verinit does not support.
const Refused = "refused: "

// SystemdVerity returns systemd's dm-verity keys and options (the set of
// veritytab(5) since systemd 254, where most options arrived), in the
// order README lists them. A test checks it against the keys and options package config
// reads.
func SystemdVerity() []Systemd {
	fec := "supported: the parity veritysetup format --fec-device wrote, which the kernel repairs bad blocks from (`use_fec_from_device`, with `fec_blocks` counted as cryptsetup counts it: the data, then the hash device to its end, or to the parity when it is on the hash device)"
	tab := "accepted in a packed veritytab and ignored: it orders and attaches volumes in systemd's boot, which means nothing for the root the initramfs sets up first"
	return []Systemd{
		{"roothash", CmdlineKey, "supported: the root hash, with `systemd.verity_root_data=`/`_hash=`, with `root=`, or alone for the Discoverable Partitions pairing"},
		{"systemd.verity", CmdlineKey, "supported: `no` turns verity off (refused under a policy that requires verity)"},
		{"rd.systemd.verity", CmdlineKey, "supported, as `systemd.verity=`; the two given and disagreeing are refused"},
		{"systemd.verity_root_data", CmdlineKey, "supported: any form `root=` takes (`PARTUUID=`, `PARTLABEL=`, `/dev/...`, LVM)"},
		{"systemd.verity_root_hash", CmdlineKey, "supported: any form `root=` takes"},
		{"systemd.verity_root_options", CmdlineKey, "supported: the options below"},
		{"usrhash", CmdlineKey, "supported: a verified /usr (`/dev/mapper/usr` on the root's /usr), with `systemd.verity_usr_data=`/`_hash=` or alone for the Discoverable Partitions pairing of the usr partitions; the policy applies to it as to the root"},
		{"systemd.verity_usr_data", CmdlineKey, "supported: any form `root=` takes"},
		{"systemd.verity_usr_hash", CmdlineKey, "supported: any form `root=` takes"},
		{"systemd.verity_usr_options", CmdlineKey, "supported: the options below, under the root's rules"},
		{"mount.usr", CmdlineKey, "supported: `/dev/mapper/usr` with `usrhash=`; another device is an unverified /usr, refused under a policy that requires verity"},
		{"mount.usrfstype", CmdlineKey, "supported, as `rootfstype=`"},
		{"mount.usrflags", CmdlineKey, "supported, as `rootflags=`"},
		{"superblock", VerityOption, "supported; without a superblock the tree's shape comes from the other options"},
		{"format", VerityOption, "supported (0 or 1); with a superblock it must agree"},
		{"data-block-size", VerityOption, "supported; with a superblock it must agree"},
		{"hash-block-size", VerityOption, "supported; with a superblock it must agree"},
		{"data-blocks", VerityOption, "supported; with a superblock it must agree"},
		{"hash-offset", VerityOption, "supported: where the superblock (or tree) starts on the hash device, as `verinit.verity_hash_offset=`"},
		{"salt", VerityOption, "supported (hex or `-`); with a superblock it must agree"},
		{"uuid", VerityOption, "accepted and recorded; decides nothing"},
		{"hash", VerityOption, "supported: sha256, sha512; sha1 refused under a policy unless packed with `--policy sha1=allowed`"},
		{"fec-device", VerityOption, fec + "; any form `root=` takes"},
		{"fec-offset", VerityOption, "supported: bytes, a multiple of the block size"},
		{"fec-roots", VerityOption, "supported: 2 to 24, default 2"},
		{"root-hash-signature", VerityOption, "supported, exactly as `verinit.roothashsig=` (see [docs/signatures.md](docs/signatures.md)): `base64:DER`, a path in the initramfs or a partition, checked against the packed certificates (with `verinit.verity_sig=kernel` the kernel checks it too); both given are refused. `auto` is refused: the Discoverable Partitions root-verity-sig partition is found without it"},
		{"ignore-corruption", VerityOption, "supported; refused under a policy that requires verity"},
		{"restart-on-corruption", VerityOption, "supported; verinit's default (systemd's is to fail reads with EIO)"},
		{"panic-on-corruption", VerityOption, "supported"},
		{"restart-on-error", VerityOption, "supported (the kernel's `restart_on_error`)"},
		{"panic-on-error", VerityOption, "supported (the kernel's `panic_on_error`)"},
		{"ignore-zero-blocks", VerityOption, "supported"},
		{"check-at-most-once", VerityOption, "supported; refused under a policy that requires verity"},
		{"_netdev", VeritytabOnly, tab},
		{"noauto", VeritytabOnly, tab},
		{"nofail", VeritytabOnly, Refused + "a root cannot be optional"},
		{"x-initrd.attach", VeritytabOnly, tab},
	}
}
