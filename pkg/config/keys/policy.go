package keys

import (
	"strings"

	"github.com/verinit/verinit/pkg/config"
)

// Decision explains a policy's decision on one input, as
// docs/security.md shows it: what a policy requiring verity
// (verity=required, signature=required or a pinned root hash) lets
// through, and why that cannot put unverified bytes in front of the
// real system (or what a refused value would). The decisions themselves
// are pkg/config's rules, which the init carries; a test checks that
// each rule is explained here once.
type Decision struct {
	Key     string // as config names the rule, or a description of inputs config does not read
	Allowed string
	Why     string
}

// NotRead are the inputs explained here that package config does not
// read: the module loader, the kernel and the real init do.
var NotRead = []string{"MODULE.PARAM=VALUE", "modprobe.blacklist", "gpt", "-- ARGS", "any other word", "environment (GODEBUG, GOGC, ...)"}

// PolicyDocs returns the explanation of every policy decision, in the
// order docs/security.md lists them.
func PolicyDocs() []Decision {
	const anyValue = "any value"
	device := "names a device: under verity only the dm-verity device built over it, checked against the root hash, is mounted"
	shape := "describes the hash tree, which the root hash covers; with a superblock, a value given must agree with it"
	fec := "forward error correction: the kernel repairs a block only to content whose hash the tree then verifies, so it can make a boot succeed, never accept other data"
	tightens := "tightens the policy only: a value weaker than the packed policy is refused as it is read"
	slot := "recorded in status.json and passed on; decides nothing"
	wait := "how long to wait for devices: availability, not integrity"
	usrDevice := "names a device of /usr: only the dm-verity device built over it, checked against usrhash=, is mounted"
	// The words the init does not decide itself are the packed list's.
	listed := func(allowed string) string {
		return allowed + "; with `cmdline-keys=` packed, only the words it lists"
	}
	opt := func(name string) string { return config.VerityOptionsKey + "=" + name }
	return []Decision{
		{"root", anyValue, device},
		{"verinit.root", anyValue, device},
		{"rd.lvm.lv", anyValue, "can only restrict which logical volumes are activated"},
		{"rootfstype", strings.Join(config.RootFSTypes, ", "),
			"a file system that does not read the verified device (tmpfs, overlay, a network file system) would make a root of bytes nothing verified"},
		{"rootflags", "the generic mount flags and " + strings.Join(config.FSRootFlags, ", "),
			"an option could name another device (erofs device=, ext4 journal_path=) or a directory (overlay lowerdir=) to read from; only options that change how the verified device is read are allowed"},
		{"ro", anyValue, "the dm-verity device is read-only whatever they say"},
		{"rw", anyValue, "the dm-verity device is read-only whatever they say"},
		{"init", listed(anyValue) + " (`init` any path, `init=/sbin/init` that one)",
			"a path resolved inside the verified root, but it chooses the program the real system starts with: `init=/bin/sh` is a root shell without a password"},
		{"roothash", "one of the pinned root hashes when the initramfs pins any (`--policy roothash=`, `dm-verity.env`, `/etc/veritytab`); else any, and under signature=required only a signed one boots",
			"a root hash packed into the initramfs cannot be replaced from the command line"},
		{"systemd.verity_root_data", anyValue, device},
		{"systemd.verity_root_hash", anyValue, "names the hash device: the tree on it must match the root hash"},
		{"verinit.verity_hash_offset", anyValue, "says where the tree starts: the tree found there must match the root hash"},
		{config.VerityOptionsKey, "each option by its own rule below", "each option is decided on its own"},
		{"systemd.verity", "yes (and its synonyms)", "no would mount the root unverified"},
		{"rd.systemd.verity", "yes (and its synonyms)", "no would mount the root unverified"},
		{"usrhash", "as `roothash=`: one of the pinned root hashes when the initramfs pins any; under signature=required only a signed one boots",
			"/usr is verified as the root is; a root device beside it that is not verified needs `--policy unverified-root=allowed` (an empty `root=tmpfs` does not), and then the real init must resolve into the verified /usr"},
		{"systemd.verity_usr_data", anyValue, usrDevice},
		{"systemd.verity_usr_hash", anyValue, "names the hash device of /usr: the tree on it must match usrhash="},
		{config.UsrOptionsKey, "each option by the rule of the same option of " + config.VerityOptionsKey, "/usr is held to the root's rules"},
		{"mount.usr", "`/dev/mapper/usr` only", "another device would be a /usr mounted unverified"},
		{"mount.usrfstype", strings.Join(config.RootFSTypes, ", "), "as `rootfstype=`: the file system must read only the verified device"},
		{"mount.usrflags", "as `rootflags=`", "as `rootflags=`: no option may name another device or directory to read from"},
		{"verinit.verity_on_corruption", "restart, panic, eio", "ignore would hand a corrupted block to the real system"},
		{"verinit.roothashsig", anyValue, "a signature is checked against the packed certificates, and required or not by the policy"},
		{"verinit.roothash_sig", "any value, under signature=required only (refused otherwise, whatever the policy)", "the root hash comes from the disk, so only its signature by a packed certificate makes it trusted; pins and min-version apply to it"},
		{"verinit.signature", anyValue, tightens},
		{"verinit.verity_sig", anyValue, "kernel adds the kernel's own check of the same signature"},
		{"verinit.verity", anyValue, tightens},
		{"verinit.tpm", anyValue, tightens},
		{"verinit.tpm_pcr", "any value without a packed policy; under one, only its own PCR (`tpm-pcr=`, default 15)",
			"secrets sealed to the PCR and attestation rely on it: a boot measured elsewhere would leave that PCR for whatever runs next to extend with a genuine boot's events, which are public"},
		{"rauc.slot", anyValue, slot},
		{"bootchooser.active", anyValue, slot},
		{"verinit.slot", anyValue, slot},
		{"verinit.timeout", anyValue, wait},
		{"rootwait", anyValue, wait},
		{"rootdelay", anyValue, wait},
		{"verinit.on_failure", "reboot, poweroff, panic; shell only when packed with `--policy shell=allowed`",
			"a shell in the initramfs can mount any device, verified or not"},
		{"verinit.failure_delay", anyValue, "a pause before the failure action"},
		{"verinit.debug", anyValue, "more log lines"},
		{opt("superblock"), anyValue, "without a superblock the tree's shape comes from the options; the root hash still covers the tree"},
		{opt("format"), anyValue, shape},
		{opt("data-block-size"), anyValue, shape},
		{opt("hash-block-size"), anyValue, shape},
		{opt("data-blocks"), anyValue, "how much of the data device is mapped: every block mapped is verified"},
		{opt("hash-offset"), anyValue, "where the superblock or tree starts on the hash device: the root hash covers the tree wherever it is read from"},
		{opt("salt"), anyValue, shape},
		{opt("uuid"), anyValue, "names the tree; decides nothing"},
		{opt("hash"), "sha256, sha512; sha1 only when packed with `--policy sha1=allowed`", "SHA-1 is broken for collisions; the same rule applies to a SHA-1 tree named by `dm-verity.env` or a superblock"},
		{opt("ignore-corruption"), "no", "a corrupted block would reach the real system"},
		{opt("restart-on-corruption"), anyValue, "the default: the kernel restarts on a bad block, and the boot loader falls back"},
		{opt("panic-on-corruption"), anyValue, "the kernel panics on a bad block"},
		{opt("restart-on-error"), anyValue, "stricter: an I/O error restarts too"},
		{opt("panic-on-error"), anyValue, "stricter: an I/O error panics too"},
		{opt("ignore-zero-blocks"), anyValue, "a block the tree records as zeroes reads as zeroes: still the verified content"},
		{opt("check-at-most-once"), "no", "a block would be verified only on its first read, so a disk that changes afterwards is not noticed"},
		{opt("fec-device"), anyValue, fec},
		{opt("fec-offset"), anyValue, fec},
		{opt("fec-roots"), anyValue, fec},
		{opt("root-hash-signature"), anyValue, "a signature is checked against the packed certificates"},
		{"dm_verity.PARAM", strings.Join(config.DMVerityParams, ", "), "another dm-verity parameter could change what the target checks"},
		{"MODULE.PARAM=VALUE", listed(anyValue), "driver settings, which the kernel gives built-in drivers itself; the module loader passes them on as modprobe would"},
		{"modprobe.blacklist", anyValue, "a module not loaded can only make the boot fail"},
		{"gpt", listed(anyValue), "the kernel's own partition scanning; verinit reads the same backup table"},
		{"-- ARGS", listed(anyValue) + " (and those after a second `--`, which only /proc/cmdline shows)", "arguments of the real init, passed on unchanged; it reads the command line itself"},
		{"any other word", listed(anyValue) + "; a policy that packs the list applies it whether or not it requires verity",
			"the kernel's keys (`console=`, `quiet`) and the real init's: it reads /proc/cmdline itself, so that `systemd.debug_shell`, `systemd.unit=emergency.target` or `systemd.mount-extra=` would hand the verified system to whoever writes the command line. Pack the words the product needs, e.g. `--policy 'cmdline-keys=console=ttyS0,115200 quiet'`"},
		{"environment (GODEBUG, GOGC, ...)", "cleared for the init, passed on to the real init unchanged (the kernel makes it of words `KEY=VALUE` it does not know, which `cmdline-keys=` must list)",
			"GODEBUG and the like would change the init's own runtime and crypto (GODEBUG=rsa1024min=0 accepts RSA keys of any size)"},
	}
}
