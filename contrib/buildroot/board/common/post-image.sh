#!/usr/bin/env bash
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT) for verinit:
#
#   1. packs the initramfs: the verinit package's init as /init, the
#      kernel's storage, dm-verity and squashfs modules (when built as
#      modules), the release certificate and the policy
#      signature=required, cmdline-keys=console panic (the only words
#      beyond verinit's own the command line may carry: it writes them);
#   2. writes an A/B disk image with 'verinit disk create': per slot the
#      squashfs root in a Discoverable Partitions root partition and its
#      dm-verity hash tree in the paired root-verity partition;
#   3. signs each slot's root hash ('verinit sign') and writes the kernel
#      command line a boot loader passes for the slot, with the signature;
#   4. checks each slot with 'verinit inspect', the init's own decision on
#      the image, and writes start-qemu.sh.
#
# Arguments: the images directory, then what BR2_ROOTFS_POST_SCRIPT_ARGS
# holds:
#   --sign-key KEY --sign-cert CERT   the release key and its certificate
#                                     (default: a development key, made
#                                     once in the images directory)
#   --slots N                         number of slots (default 2)
#   --console DEV                     kernel console (default ttyS0 on
#                                     x86, ttyAMA0 on ARM: QEMU's virt)
# Environment (set by Buildroot): HOST_DIR, TARGET_DIR, BR2_CONFIG.
# VERINIT may name the host tool (default: $HOST_DIR/bin/verinit).
set -euo pipefail

die() {
	echo "verinit post-image: $*" >&2
	exit 1
}

images=${1:?usage: post-image.sh IMAGES_DIR [--sign-key KEY --sign-cert CERT] [--slots N] [--console DEV]}
shift
key='' cert='' slots=2 console=''
while [ $# -gt 0 ]; do
	case $1 in
	--sign-key) key=${2:?}; shift 2 ;;
	--sign-cert) cert=${2:?}; shift 2 ;;
	--slots) slots=${2:?}; shift 2 ;;
	--console) console=${2:?}; shift 2 ;;
	# Buildroot's own board scripts take the defconfig as an argument;
	# ignore it (and anything else that is not ours) rather than fail.
	*) shift ;;
	esac
done

verinit=${VERINIT:-${HOST_DIR:?}/bin/verinit}
[ -x "$verinit" ] || die "$verinit: not found (enable BR2_PACKAGE_HOST_VERINIT)"
init=$images/verinit/init
[ -f "$init" ] || die "$init: not found (enable BR2_PACKAGE_VERINIT)"
rootfs=$images/rootfs.squashfs
[ -f "$rootfs" ] || die "$rootfs: not found (enable BR2_TARGET_ROOTFS_SQUASHFS)"

# The Discoverable Partitions types of the target architecture.
br2_arch=
if [ -n "${BR2_CONFIG:-}" ] && [ -f "$BR2_CONFIG" ]; then
	br2_arch=$(sed -n 's/^BR2_ARCH="\(.*\)"$/\1/p' "$BR2_CONFIG")
fi
# Per architecture also the serial console and how start-qemu.sh boots
# (Buildroot's own qemu defconfigs: pc for x86, virt for the others).
case ${br2_arch:-x86_64} in
x86_64) goarch=amd64 arch=x86-64 tty=ttyS0 qemu="qemu-system-x86_64 -M pc" kernel=bzImage disk="-drive file=disk.img,if=virtio,format=raw" ;;
i?86) goarch=386 arch=x86 tty=ttyS0 qemu="qemu-system-i386 -M pc" kernel=bzImage disk="-drive file=disk.img,if=virtio,format=raw" ;;
aarch64 | aarch64_be) goarch=arm64 arch=arm64 tty=ttyAMA0 qemu="qemu-system-aarch64 -M virt -cpu cortex-a53" kernel=Image disk="-drive file=disk.img,if=none,id=d0,format=raw -device virtio-blk-device,drive=d0" ;;
arm | armeb) goarch=arm arch=arm tty=ttyAMA0 qemu="qemu-system-arm -M virt -cpu cortex-a15" kernel=zImage disk="-drive file=disk.img,if=none,id=d0,format=raw -device virtio-blk-device,drive=d0" ;;
riscv64) goarch=riscv64 arch=riscv64 tty=ttyS0 qemu="qemu-system-riscv64 -M virt" kernel=Image disk="-drive file=disk.img,if=none,id=d0,format=raw -device virtio-blk-device,drive=d0" ;;
*) die "BR2_ARCH=$br2_arch: no Discoverable Partitions type known to this script" ;;
esac
console=${console:-$tty}

if [ -z "$key" ] && [ -z "$cert" ]; then
	key=$images/verinit-dev.key cert=$images/verinit-dev.pem
	if [ ! -f "$key" ] || [ ! -f "$cert" ]; then
		command -v openssl >/dev/null || die "no --sign-key/--sign-cert given and no openssl to make a development key"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
			-subj "/CN=verinit development key (Buildroot)" -keyout "$key" -out "$cert" 2>/dev/null
	fi
	echo "verinit post-image: signing with the DEVELOPMENT key $key; pass --sign-key/--sign-cert for a release"
fi
if [ ! -f "$key" ] || [ ! -f "$cert" ]; then
	die "--sign-key and --sign-cert go together, and both files must exist"
fi

# 1. The initramfs. Modules come from the target's /lib/modules when the
# kernel has any; built-in drivers need none.
modules=(--no-modules)
if [ -d "${TARGET_DIR:-}/lib/modules" ]; then
	releases=("$TARGET_DIR"/lib/modules/*)
	if [ ${#releases[@]} -eq 1 ] && [ -d "${releases[0]}" ]; then
		modules=(--modules-dir "${releases[0]}")
	elif [ ${#releases[@]} -gt 1 ]; then
		die "several kernel releases in $TARGET_DIR/lib/modules: ${releases[*]}"
	fi
fi
# gzip rather than verinit's default zstd: every kernel configuration can
# unpack it, and the target kernel's .config is not visible from here.
# --arch: an init built for another machine is refused, modules or not.
"$verinit" initramfs -o "$images/initramfs.cpio.gz" --compression gzip --init "$init" --arch "$goarch" "${modules[@]}" \
	--cert "$cert" --policy signature=required --policy 'cmdline-keys=console panic'

# 2. The A/B disk image.
"$verinit" disk create "$images/disk.img" --rootfs "$rootfs" --slots "$slots" --arch "$arch" >"$images/disk.txt"
cat "$images/disk.txt"

# 3. and 4. Per slot: the signature, the command line, the dry run.
names=() hashes=() cmdlines=()
while IFS= read -r line; do
	case $line in
	"slot "*:) names+=("${line#slot }") ;;
	"  root hash "*) read -r _ _ value <<<"$line" && hashes+=("$value") ;;
	"  cmdline "*) read -r _ value <<<"$line" && cmdlines+=("$value") ;;
	esac
done <"$images/disk.txt"
if [ ${#names[@]} -ne "$slots" ] || [ ${#hashes[@]} -ne "$slots" ] || [ ${#cmdlines[@]} -ne "$slots" ]; then
	die "could not read $slots slots from $images/disk.txt"
fi

for i in "${!names[@]}"; do
	slot=${names[$i]%:}
	lower=${slot,,}
	"$verinit" sign --key "$key" --cert "$cert" "${hashes[$i]}" -o "$images/slot-$lower.p7s"
	# The signature goes on the command line; an ECDSA P-256 one is about
	# 800 base64 characters (x86's command line holds 2048).
	full="console=$console panic=5 ${cmdlines[$i]} verinit.roothashsig=base64:$(base64 -w0 "$images/slot-$lower.p7s")"
	echo "$full" >"$images/slot-$lower.cmdline"
	"$verinit" inspect "$images/disk.img" --arch "$arch" --cmdline "$full" >"$images/slot-$lower.inspect" ||
		die "verinit inspect refuses slot $slot; see $images/slot-$lower.inspect"
	echo "slot $slot: $images/slot-$lower.cmdline (checked: $images/slot-$lower.inspect)"
done

cat >"$images/start-qemu.sh" <<EOF
#!/bin/sh
# Boots slot A (or the slot given, e.g. "b") of disk.img under QEMU with the
# command line the post-image script wrote for it.
set -eu
cd "\$(dirname "\$0")"
slot=\$(echo "\${1:-a}" | tr '[:upper:]' '[:lower:]')
exec $qemu -m 512 -nographic -no-reboot \\
	-kernel $kernel -initrd initramfs.cpio.gz \\
	$disk \\
	-append "\$(cat "slot-\$slot.cmdline")"
EOF
chmod 755 "$images/start-qemu.sh"
