#!/bin/bash
# make demo: packs an initramfs with bin/init, makes an A/B disk image with
# `verinit disk create` (per slot a Discoverable Partitions root partition
# and its dm-verity partition, paired by the root hash), and boots slot A,
# then slot B, under QEMU (TCG) with the command line `disk create`
# printed for each slot, as a boot loader would pass it. It prints what
# each boot showed and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${DEMO_DIR:-demo}
mkdir -p "$work"
step() { printf '\n== %s\n' "$*"; }

kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
release=${kernel#/boot/vmlinuz-}

step "a signing key and certificate (openssl), trusted by the initramfs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	-subj "/CN=verinit demo release key" -keyout "$work/release.key" -out "$work/release.pem" 2>/dev/null
echo "$work/release.pem: $(openssl x509 -in "$work/release.pem" -noout -subject)"

step "initramfs for kernel $release (policy: signed root hash required; no words for the real init but console= and panic=)"
bin/verinit initramfs -o "$work/initrd.img" --init bin/init --kernel-release "$release" \
	--cert "$work/release.pem" --policy signature=required --policy 'cmdline-keys=console panic'

step "root file system (busybox)"
root="$work/rootfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,etc}
cp "$(command -v busybox)" "$root/bin/busybox"
cat > "$root/sbin/init" <<'INIT'
#!/bin/busybox sh
slot=$(/bin/busybox sed -n 's/.*rauc\.slot=\([^ ]*\).*/\1/p' /proc/cmdline)
hash=$(/bin/busybox sed -n 's/.*"root_hash":"\([0-9a-f]*\)".*/\1/p' /run/verinit/status.json)
echo "DEMO: real init of slot $slot running as PID $$, uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)s, verity root hash $hash"
echo "DEMO: /run/verinit/status.json:"
/bin/busybox cat /run/verinit/status.json
/bin/busybox poweroff -f
INIT
chmod 755 "$root/sbin/init"
echo "$root: busybox and an init that prints its slot and status.json"

step "A/B disk image (verinit disk create)"
disk="$work/disk.img"
rm -f "$disk"
bin/verinit disk create "$disk" --rootfs "$root" | tee "$work/disk.txt"
mapfile -t cmdlines < <(sed -n 's/^  cmdline *//p' "$work/disk.txt")
mapfile -t hashes < <(sed -n 's/^  root hash *//p' "$work/disk.txt")

# boot LOG CMDLINE boots the disk under QEMU with the initramfs, writing
# the console to LOG, as a boot loader passing CMDLINE would.
boot() {
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none -serial stdio -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd.img" \
		-append "console=ttyS0 panic=-1 $2" \
		-drive "file=$disk,format=raw,if=virtio" | tr -d '\r' > "$1" || true
}

summary=()
for i in 0 1; do
	# The boot loader passes the slot's root hash with its signature.
	sig=$(bin/verinit sign --key "$work/release.key" --cert "$work/release.pem" "${hashes[$i]}" | base64 -w0)
	cmdlines[$i]="${cmdlines[$i]} verinit.roothashsig=base64:$sig"
	slot=$(echo "${cmdlines[$i]}" | sed -n 's/.*rauc\.slot=\([^ ]*\).*/\1/p')
	step "boot slot $slot: ${cmdlines[$i]}"
	log="$work/console-$slot.log"
	boot "$log" "${cmdlines[$i]}"
	# The init's lines and the real init's, without kernel timestamps;
	# the module list in status.json is shortened.
	grep -E 'verinit: |DEMO:|^\{' "$log" | sed -e 's/^\[ *[0-9.]*\] //' \
		-e 's/"modules":\[[^]]*\]/"modules":[…]/'
	if ! grep -q "DEMO: real init of slot $slot" "$log"; then
		echo "demo: slot $slot did not reach its real init; console: $log" >&2
		exit 1
	fi
	data=$(grep -o '"data_device":"[^"]*"' "$log" | cut -d'"' -f4)
	root_hash=$(grep -o '"root_hash":"[^"]*"' "$log" | cut -d'"' -f4)
	total=$(grep -o '"total_ms":[0-9.]*' "$log" | cut -d: -f2)
	signer=$(grep -o '"signature":{"from":"[^"]*","subject":"[^"]*"' "$log" | sed 's/.*"subject":"//; s/"$//')
	if [ "$root_hash" != "${hashes[$i]}" ]; then
		echo "demo: slot $slot booted root hash '$root_hash', want ${hashes[$i]}" >&2
		exit 1
	fi
	if [ -z "$signer" ]; then
		echo "demo: slot $slot booted without a recorded signer" >&2
		exit 1
	fi
	summary+=("slot $slot: /dev/mapper/root over $data, verity root hash $root_hash, signed by $signer, /init to real init ${total} ms")
done

# Whoever can write the boot loader's environment adds init=/bin/sh to
# slot A's genuine, signed command line: a root shell in a verified root.
step "boot slot A with init=/bin/sh added, as an attacker who can write the boot loader's environment would"
log="$work/console-attack.log"
boot "$log" "${cmdlines[0]} init=/bin/sh"
grep -E 'verinit: .*(config|failure)' "$log" | sed -e 's/^\[ *[0-9.]*\] //'
if grep -q "DEMO: real init" "$log" || ! grep -q 'init=/bin/sh: refused by the policy' "$log"; then
	echo "demo: init=/bin/sh was not refused; console: $log" >&2
	exit 1
fi
summary+=("slot A with init=/bin/sh: refused before anything was mounted, then rebooted (the boot loader falls back)")

step "summary"
printf '%s\n' "${summary[@]}"
echo "initramfs: $(stat -c %s "$work/initrd.img") bytes; bin/init: $(stat -c %s bin/init) bytes"
echo "dry run of the same decision on the image: bin/verinit inspect $disk --cmdline \"<slot A's command line>\""
