package keys

// Key is one entry of the kernel command line as the documentation shows
// it: one row of README's table and of verinit-init(7).
type Key struct {
	// Term is how the entry is written, in Markdown: "`root=`",
	// "`ro` / `rw`".
	Term string
	// Doc says what it does: one paragraph of Markdown using only
	// `code` and [text](link).
	Doc string
	// Parsed lists the keys package config reads for this entry; nil
	// for the kernel's own keys and for those package cmdline handles
	// (module parameters, modprobe.blacklist=, --). A test checks that
	// together they are exactly the keys the parser reads.
	Parsed []string
}

// Table returns the kernel command-line keys in the order the
// documentation lists them.
func Table() []Key {
	return []Key{
		{Term: "(no `root=`)",
			Doc: "with `roothash=` alone, the Discoverable Partitions pairing: the data partition's PARTUUID is the first 128 bits of the root hash, the verity partition's the last 128 bits (refused if either matches on two disks; on an EFI boot, a pairing that the boot loader's disk lacks, as an entry left over by an update names, fails once the disks are settled instead of waiting out the timeout). With neither, DPS auto-discovery: the root partition of this architecture on the boot disk (named by the EFI `LoaderDevicePartUUID` variable when a boot loader set it, read through efivarfs, which the init loads and mounts read-only for the read; else the only disk holding one), skipping `no-auto` partitions, the newest label winning; several candidate disks are refused, never guessed. Without a root hash such a root is mounted unverified (refused under `verity=required`)"},
		{Term: "`root=`",
			Doc:    "the root device: `/dev/NAME` (a kernel device name, not a udev link), an LVM2 logical volume as `/dev/VG/LV`, `/dev/mapper/VG-LV` (dashes in names doubled) or `LVM=VG/LV`, `PARTUUID=uuid`, `PARTUUID=uuid/PARTNROFF=n`, `PARTLABEL=label` (read from the GPT by verinit; the kernel's 7-bit form of the name), `UUID=`/`LABEL=` of an ext4 or erofs file system (squashfs has neither), or `MAJ:MIN`. A PARTUUID, PARTLABEL, UUID or LABEL that matches more than one device is refused, never guessed. `root=tmpfs`: an empty tmpfs root (`rootflags=` its options), for a system that lives in a separate, verified /usr (`usrhash=`); the merged-/usr links (`/bin`, `/sbin`, `/lib`, `/lib64` into `usr/`) and the mount points are made in it",
			Parsed: []string{"root"}},
		{Term: "`verinit.root=`",
			Doc:    "the root device, in any form `root=` takes, named where only verinit reads it: if the initramfs fails to load, the kernel finds no `root=` to mount unverified, panics, and the boot loader falls back (barebox: `global.bootm.root_param=verinit.root`; see [docs/integration/barebox.md](docs/integration/barebox.md)). With `root=` too, the two must agree",
			Parsed: []string{"verinit.root"}},
		{Term: "`rd.lvm.lv=VG/LV`",
			Doc:    "dracut's key: alone it names the root LV; with `root=` it lists the only LVs that may be activated. Only the LVs needed (the root, or the verity data and hash LVs) are activated, read-only, with lvm2's dm names and uuids (`LVM-<vg uuid><lv uuid>`), `/dev/mapper/VG-LV` and `/dev/VG/LV`, so lvm2 in the real system recognises them. Linear and striped LVs only: thin, raid, mirror, cache, snapshot and other types, exported, clustered or shared VGs, pvmove in progress, missing PVs and activation-skip LVs are refused with the reason",
			Parsed: []string{"rd.lvm.lv"}},
		{Term: "`rootfstype=`",
			Doc:    `skip detection (squashfs, erofs, ext2/3/4 are detected from their superblocks)`,
			Parsed: []string{"rootfstype"}},
		{Term: "`rootflags=`",
			Doc:    "mount options; generic ones (`nosuid`, `noatime`, ...) become flags",
			Parsed: []string{"rootflags"}},
		{Term: "`ro` / `rw`",
			Doc:    `read-only is the default; the last of the two wins`,
			Parsed: []string{"ro", "rw"}},
		{Term: "`init=`",
			Doc:    "the real init; by default the first of `/sbin/init`, `/etc/init`, `/bin/init`, `/bin/sh` that is an executable file inside the root (symbolic links resolved inside the root)",
			Parsed: []string{"init"}},
		{Term: "`-- ARGS`",
			Doc: "everything after `--` is passed to the real init; verinit passes on exactly the argument vector and environment the kernel gave it"},
		{Term: "`roothash=HEX`",
			Doc:    "the dm-verity root hash (systemd's key). With `systemd.verity_root_data=DEV` and `systemd.verity_root_hash=DEV` (any form `root=` accepts) the root is the verity device over them, and `root=` is left out or `/dev/mapper/root`. With `root=`, the hash device is the partition the DPS pairing names when a partition table lists it, else the tree is appended to the root partition, its superblock found at the end of the file system (rounded up to 4096) or at `verinit.verity_hash_offset=BYTES`",
			Parsed: []string{"roothash", "systemd.verity_root_data", "systemd.verity_root_hash", "verinit.verity_hash_offset"}},
		{Term: "`systemd.verity_root_options=`",
			Doc:    "comma-separated, as systemd-veritysetup: `superblock=`, `format=`, `data-block-size=`, `hash-block-size=`, `data-blocks=`, `hash-offset=` (bytes, as `verinit.verity_hash_offset=`), `salt=`, `uuid=`, `hash=`, `ignore-corruption`, `restart-on-corruption`, `panic-on-corruption`, `restart-on-error`, `panic-on-error`, `ignore-zero-blocks`, `check-at-most-once`. With a superblock, any value given must agree with it. `root-hash-signature=` names the signature exactly as `verinit.roothashsig=` does (the same forms; both given are refused). `fec-device=` (any form `root=` takes), `fec-offset=`, `fec-roots=` give the kernel veritysetup's forward error correction",
			Parsed: []string{"systemd.verity_root_options"}},
		{Term: "`systemd.verity=no`, `rd.systemd.verity=no`",
			Doc:    `ignore the verity keys (refused if the policy requires verity; the two given and disagreeing are refused)`,
			Parsed: []string{"systemd.verity", "rd.systemd.verity"}},
		{Term: "`usrhash=`",
			Doc:    "the root hash of a separate, verified /usr: the dm-verity device `/dev/mapper/usr`, mounted read-only on the root's `/usr` before the switch. With `systemd.verity_usr_data=DEV` and `systemd.verity_usr_hash=DEV` (any form `root=` takes), or alone for the Discoverable Partitions pairing of the usr and usr-verity partitions by its halves (signed by a usr-verity-sig partition when there is one). `systemd.verity_usr_options=` takes the options of `systemd.verity_root_options=` under the same rules. The root beside it may be writable (a device with `rw`; under a policy requiring verity only when packed with `--policy unverified-root=allowed`, and then the real init must resolve into /usr) or `root=tmpfs`. `mount.usr=` is `/dev/mapper/usr` (or left out) with `usrhash=`; without it, it names an unverified /usr (refused under a policy requiring verity); `mount.usrfstype=`, `mount.usrflags=` are its type and options, as `rootfstype=` and `rootflags=` (and under their rules)",
			Parsed: []string{"usrhash", "systemd.verity_usr_data", "systemd.verity_usr_hash", "systemd.verity_usr_options", "mount.usr", "mount.usrfstype", "mount.usrflags"}},
		{Term: "`verinit.verity_on_corruption=`",
			Doc:    "`restart` (default: the kernel reboots on a bad block, so the bootloader can fall back), `panic`, `ignore`, or `eio` (reads fail); `ignore` is refused under a policy that requires verity",
			Parsed: []string{"verinit.verity_on_corruption"}},
		{Term: "`verinit.roothashsig=`",
			Doc:    "the root-hash signature: `base64:DER`, `/PATH` in the initramfs, or a partition (any `root=` form) holding the DER; also systemd's `root-hash-signature=` verity option, `/usr/share/misc/dm-verity.env.p7s`, or the DPS root-verity-sig partition. Checked against the certificates `verinit initramfs --cert` packed (see [docs/signatures.md](docs/signatures.md))",
			Parsed: []string{"verinit.roothashsig"}},
		{Term: "`verinit.roothash_sig=PART`",
			Doc:    "no `roothash=`: the root hash is the one the signed root-verity-sig JSON on that partition (any `root=` form, e.g. `PARTLABEL=root-a-verity-sig`) names, with `systemd.verity_root_data=` and `systemd.verity_root_hash=` naming the slot's data and hash partitions. A slot's boot entry then never changes when an update writes the slot (see [docs/integration/updates.md](docs/integration/updates.md)). Only with a required signature: the root hash comes from the disk, so only its signature by a packed certificate makes it trusted (pins and `min-version` apply to it)",
			Parsed: []string{"verinit.roothash_sig"}},
		{Term: "`verinit.signature=required`",
			Doc:    "refuse a root hash without a valid signature (packed with `--policy signature=required`, then the command line cannot weaken it)",
			Parsed: []string{"verinit.signature"}},
		{Term: "`verinit.verity_sig=kernel`",
			Doc:    "also hand the signature to the kernel (`root_hash_sig_key_desc`), which checks it against its own trusted keyrings",
			Parsed: []string{"verinit.verity_sig"}},
		{Term: "`verinit.verity=required`",
			Doc:    "refuse any root that is not behind dm-verity; `verinit initramfs --policy verity=required` packs this, and then the command line cannot weaken it. Under a policy that requires verity (also implied by `signature=required` and by a pinned root hash), every key on this page is allowed or refused by a rule: lax options such as `ignore-corruption`, `check-at-most-once`, SHA-1 trees, a root hash other than the one the initramfs pins, or a file system that does not read the verified device are refused with one line naming them (see [docs/security.md](docs/security.md))",
			Parsed: []string{"verinit.verity"}},
		{Term: "`verinit.tpm=required`",
			Doc:    "refuse to boot without a working TPM 2.0 to measure the boot into (packed with `--policy tpm=required`, then the command line cannot weaken it); without it a machine with a TPM is measured and one without is booted and says so (see [docs/tpm.md](docs/tpm.md))",
			Parsed: []string{"verinit.tpm"}},
		{Term: "`verinit.tpm_pcr=N`",
			Doc:    "the PCR the boot is measured into (default 15; not 0, 16 or 23); only when no policy is packed, else the packed `tpm-pcr=` (or 15) and nothing else",
			Parsed: []string{"verinit.tpm_pcr"}},
		{Term: "`rauc.slot=`, `bootchooser.active=`, `verinit.slot=`",
			Doc:    "the slot the boot loader chose: recorded in status.json (`slot`), passed on untouched",
			Parsed: []string{"rauc.slot", "bootchooser.active", "verinit.slot"}},
		{Term: "`gpt`",
			Doc: `the kernel's own key: with it the kernel makes partition devices from a good backup GPT when the primary is damaged or unreadable (verinit then reads the same backup); without it verinit says so when it waits in vain`},
		{Term: "`verinit.timeout=S`",
			Doc:    "how long to wait for the root device (default 30; 0 waits forever). Without it `rootwait=S`, then `rootdelay=S` set the bound; a bare `rootwait` keeps the default, since an endless wait would keep the bootloader from falling back",
			Parsed: []string{"verinit.timeout", "rootwait", "rootdelay"}},
		{Term: "`verinit.on_failure=`",
			Doc:    "`reboot` (default), `poweroff`, `panic` (PID 1 exits; the kernel's `panic=` decides), `shell` (`/bin/sh` if the initramfs has one, else reboot; refused under a policy that requires verity unless packed with `--policy shell=allowed`)",
			Parsed: []string{"verinit.on_failure"}},
		{Term: "`verinit.failure_delay=S`",
			Doc:    `pause before the failure action so the message can be read (default 5)`,
			Parsed: []string{"verinit.failure_delay"}},
		{Term: "`verinit.debug`",
			Doc:    "more detail in the log: each module, each device scan and the uevents that caused it, and, once the verity data and hash devices are open, every block device the init holds open with its open flags (from `/proc/self/fdinfo`) and its kernel read-only flag, e.g. `open block device: fd 7 /dev/vda1 (254:1) flags 02100000 O_RDONLY, device ro=1`",
			Parsed: []string{"verinit.debug"}},
		{Term: "`MODULE.PARAM=VALUE`",
			Doc: "passed to that module when it is loaded, as modprobe does (`-` and `_` are the same)"},
		{Term: "`modprobe.blacklist=a,b`",
			Doc: `these modules are not loaded`},
	}
}
