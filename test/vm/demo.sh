#!/bin/bash
# make demo: builds an initramfs with bin/init, an A/B GPT disk with two
# squashfs roots, and boots slot A, then slot B, under QEMU (TCG). It
# prints what each boot showed on the console and a summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${DEMO_DIR:-demo}
mkdir -p "$work"
step() { printf '\n== %s\n' "$*"; }

kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
release=${kernel#/boot/vmlinuz-}

step "initramfs for kernel $release"
bin/verinit initramfs -o "$work/initrd.img" --init bin/init --kernel-release "$release"

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

step "A/B GPT disk image"
uuid_a=6b1d3c1e-a000-4000-8000-00000000000a
uuid_b=6b1d3c1e-b000-4000-8000-00000000000b
disk="$work/disk.img"
rm -f "$disk"
truncate -s 32M "$disk"
sfdisk -q --no-reread --no-tell-kernel "$disk" <<TABLE
label: gpt
first-lba: 2048
size=12MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=$uuid_a, name="root-a"
size=12MiB, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, uuid=$uuid_b, name="root-b"
TABLE
dd if="$work/root-a.squashfs" of="$disk" bs=1M seek=1 conv=notrunc status=none
dd if="$work/root-b.squashfs" of="$disk" bs=1M seek=13 conv=notrunc status=none
sfdisk -l "$disk" | sed -n '/^Device/,$p'

summary=()
for slot in A B; do
	uuid=$uuid_a; [ $slot = B ] && uuid=$uuid_b
	step "boot slot $slot: root=PARTUUID=$uuid"
	log="$work/console-$slot.log"
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none -serial stdio -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd.img" \
		-append "console=ttyS0 panic=-1 root=PARTUUID=$uuid rauc.slot=$slot" \
		-drive "file=$disk,format=raw,if=virtio" | tr -d '\r' > "$log" || true
	# The init's lines and the real init's, without kernel timestamps;
	# the module list in status.json is shortened to a count.
	grep -E 'verinit: |DEMO:|^\{' "$log" | sed -e 's/^\[ *[0-9.]*\] //' \
		-e 's/"modules":\[[^]]*\]/"modules":[…]/'
	if ! grep -q "DEMO: real init of slot $slot" "$log"; then
		echo "demo: slot $slot did not reach its real init; console: $log" >&2
		exit 1
	fi
	dev=$(grep -o '"device":"[^"]*"' "$log" | cut -d'"' -f4)
	total=$(grep -o '"total_ms":[0-9.]*' "$log" | cut -d: -f2)
	summary+=("slot $slot: root $dev (PARTUUID=$uuid), /init to real init ${total} ms")
done

step "summary"
printf '%s\n' "${summary[@]}"
echo "initramfs: $(stat -c %s "$work/initrd.img") bytes; bin/init: $(stat -c %s bin/init) bytes"
