#!/bin/bash
# make demo: builds an initramfs with bin/init, an A/B GPT disk with two
# squashfs roots, each with its dm-verity hash tree (made by verinit verity
# format) in a partition of its own, and boots slot A, then slot B, under
# QEMU (TCG), as a bootloader would: the slot's root hash and partitions on
# the kernel command line. It prints what each boot showed and a summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${DEMO_DIR:-demo}
mkdir -p "$work"
step() { printf '\n== %s\n' "$*"; }

kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
release=${kernel#/boot/vmlinuz-}

step "initramfs for kernel $release (policy: verity required)"
bin/verinit initramfs -o "$work/initrd.img" --init bin/init --kernel-release "$release" --policy verity=required

step "root file systems (busybox) for slots A and B"
for slot in a b; do
	root="$work/rootfs-$slot"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,etc}
	cp "$(command -v busybox)" "$root/bin/busybox"
	echo "$slot" | tr a-z A-Z > "$root/etc/slot"
	cat > "$root/sbin/init" <<'INIT'
#!/bin/busybox sh
read slot < /etc/slot
echo "DEMO: real init of slot $slot running as PID $$, uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)s"
echo "DEMO: /run/verinit/status.json:"
/bin/busybox cat /run/verinit/status.json
/bin/busybox poweroff -f
INIT
	chmod 755 "$root/sbin/init"
	mksquashfs "$root" "$work/root-$slot.squashfs" -noappend -all-root -quiet
done

step "dm-verity hash trees (verinit verity format)"
declare -A hash data_uuid verity_uuid
for slot in a b; do
	rm -f "$work/root-$slot.verity"
	bin/verinit verity format "$work/root-$slot.squashfs" "$work/root-$slot.verity" \
		--root-hash-file "$work/root-$slot.roothash" | sed 's/^/  /'
	h=$(cat "$work/root-$slot.roothash")
	hash[$slot]=$h
	# The Discoverable Partitions pairing: the data partition's UUID is
	# the first half of the root hash, the verity partition's the second.
	data_uuid[$slot]=${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}
	verity_uuid[$slot]=${h:32:8}-${h:40:4}-${h:44:4}-${h:48:4}-${h:52:12}
done

step "A/B GPT disk image"
disk="$work/disk.img"
rm -f "$disk"
truncate -s 32M "$disk"
# DPS types: root (x86-64) and root-verity (x86-64).
sfdisk -q --no-reread --no-tell-kernel "$disk" <<TABLE
label: gpt
first-lba: 2048
size=12MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=${data_uuid[a]}, name="root-a"
size=1MiB, type=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5, uuid=${verity_uuid[a]}, name="root-a-verity"
size=12MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=${data_uuid[b]}, name="root-b"
size=1MiB, type=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5, uuid=${verity_uuid[b]}, name="root-b-verity"
TABLE
dd if="$work/root-a.squashfs" of="$disk" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root-a.verity" of="$disk" bs=1M seek=13 conv=notrunc status=none
dd if="$work/root-b.squashfs" of="$disk" bs=1M seek=14 conv=notrunc status=none
dd if="$work/root-b.verity" of="$disk" bs=1M seek=26 conv=notrunc status=none
sfdisk -l "$disk" | sed -n '/^Device/,$p'

summary=()
for slot in A B; do
	s=$(echo $slot | tr A-Z a-z)
	cmdline="roothash=${hash[$s]} systemd.verity_root_data=PARTUUID=${data_uuid[$s]} systemd.verity_root_hash=PARTUUID=${verity_uuid[$s]} rauc.slot=$slot"
	step "boot slot $slot: $cmdline"
	log="$work/console-$slot.log"
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none -serial stdio -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd.img" \
		-append "console=ttyS0 panic=-1 $cmdline" \
		-drive "file=$disk,format=raw,if=virtio" | tr -d '\r' > "$log" || true
	# The init's lines and the real init's, without kernel timestamps;
	# the module list in status.json is shortened to a count.
	grep -E 'verinit: |DEMO:|^\{' "$log" | sed -e 's/^\[ *[0-9.]*\] //' \
		-e 's/"modules":\[[^]]*\]/"modules":[…]/'
	if ! grep -q "DEMO: real init of slot $slot" "$log"; then
		echo "demo: slot $slot did not reach its real init; console: $log" >&2
		exit 1
	fi
	data=$(grep -o '"data_device":"[^"]*"' "$log" | cut -d'"' -f4)
	root_hash=$(grep -o '"root_hash":"[^"]*"' "$log" | cut -d'"' -f4)
	total=$(grep -o '"total_ms":[0-9.]*' "$log" | cut -d: -f2)
	if [ "$root_hash" != "${hash[$s]}" ]; then
		echo "demo: slot $slot booted root hash '$root_hash', want ${hash[$s]}" >&2
		exit 1
	fi
	summary+=("slot $slot: /dev/mapper/root on $data, verity root hash $root_hash, /init to real init ${total} ms")
done

step "summary"
printf '%s\n' "${summary[@]}"
echo "initramfs: $(stat -c %s "$work/initrd.img") bytes; bin/init: $(stat -c %s bin/init) bytes"
