#!/bin/sh
# Installs what `make demo` and `make test` need on a Debian 12 machine
# (with the argument `bench`, also what `make bench` needs).
# As root it installs the missing packages with apt-get; otherwise it
# lists them and fails, so nothing is silently skipped.
# It also downloads Debian's arm64 and armhf kernel packages and extracts
# them (without installing them) into $VERINIT_KERNEL_CACHE, by default
# /var/cache/verinit/kernels/{arm64,armhf}: the unit tests pack and
# resolve their modules (internal/testkernel). Run again, it does nothing.
set -eu

# command -> Debian package
need="
qemu-system-x86_64:qemu-system-x86
sfdisk:fdisk
mksquashfs:squashfs-tools
mkfs.erofs:erofs-utils
mkfs.ext4:e2fsprogs
busybox:busybox-static
cpio:cpio
zstd:zstd
xz:xz-utils
gzip:gzip
depmod:kmod
dpkg-deb:dpkg
qemu-aarch64:qemu-user
qemu-system-aarch64:qemu-system-arm
qemu-system-arm:qemu-system-arm
qemu-arm:qemu-user
qemu-aarch64-static:qemu-user-static
arch-test:arch-test
qemu-riscv64:qemu-user
blkid:util-linux
veritysetup:cryptsetup-bin
lvm:lvm2
openssl:openssl
mkfs.fat:dosfstools
fsck.fat:dosfstools
mcopy:mtools
mtype:mtools
mdir:mtools
objcopy:binutils
mkimage:u-boot-tools
dtc:device-tree-compiler
grub-script-check:grub-common
grub-editenv:grub-common
grub-mkstandalone:grub-common
rauc:rauc
mmdebstrap:mmdebstrap
shellcheck:shellcheck
groff:groff-base
man:man-db
zsh:zsh
fish:fish
swtpm:swtpm
swtpm_setup:swtpm-tools
tpm2_pcrread:tpm2-tools
"
# make bench (scripts/prereqs.sh bench) also builds Debian's initramfs-tools
# and dracut images to compare with. dracut-core installs beside
# initramfs-tools (the dracut package would replace it); dracut's
# systemd-veritysetup module takes systemd-veritysetup and its generator
# from Debian 12's systemd package, libcryptsetup from cryptsetup-bin's
# dependencies and dmsetup from lvm2's.
if [ "${1:-}" = bench ]; then
	need="$need
mkinitramfs:initramfs-tools
lsinitramfs:initramfs-tools-core
dracut:dracut-core
dmsetup:dmsetup
"
fi
missing=""
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	PATH="$PATH:/sbin:/usr/sbin" command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
# A Debian kernel to boot, with its modules.
ls /boot/vmlinuz-* >/dev/null 2>&1 || missing="$missing linux-image-amd64"
if [ "${1:-}" = bench ] && [ ! -x /lib/systemd/systemd-veritysetup ]; then
	missing="$missing systemd"
fi
# The boot chains (test/vm/chain_test.go): UEFI firmware and boot
# loaders, which are files, not commands.
for pair in /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf \
	/usr/lib/systemd/boot/efi/systemd-bootx64.efi:systemd-boot-efi \
	/usr/lib/grub/x86_64-efi/linux.mod:grub-efi-amd64-bin \
	/usr/lib/u-boot/qemu_arm64/u-boot.bin:u-boot-qemu; do
	[ -e "${pair%%:*}" ] || missing="$missing ${pair#*:}"
done
# busybox-static, not the dynamic busybox: the test root has no libc.
dpkg -s busybox-static >/dev/null 2>&1 || missing="$missing busybox-static"
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
	echo "prereqs: Go 1.26 is needed (not installed by this script)" >&2
	exit 1
fi

# Foreign kernels: Debian architecture and the meta-package whose
# dependency names the current kernel package (its ABI number changes).
cache=${VERINIT_KERNEL_CACHE:-/var/cache/verinit/kernels}
kernels="arm64:linux-image-arm64 armhf:linux-image-armmp-lpae"
fetch=""
for pair in $kernels; do
	{ ls "$cache/${pair%%:*}"/lib/modules/*/modules.builtin && ls "$cache/${pair%%:*}"/bin/busybox; } >/dev/null 2>&1 || fetch="$fetch $pair"
done

# The arm64 boot chain's Debian root (scripts/debian-root.sh) runs its
# maintainer scripts in qemu-user: qemu-aarch64-static registered with
# binfmt_misc, which does not outlive a reboot, so it is checked each time.
binfmt=""
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || binfmt=1

# shellcheck disable=SC2086 # word splitting collapses the list
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -z "${missing# }" ] && [ -z "$fetch" ] && [ -z "$binfmt" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	[ -z "${missing# }" ] || echo "prereqs: missing Debian packages:$missing (run as root, or: apt-get install$missing)" >&2
	for pair in $fetch; do
		echo "prereqs: missing Debian's ${pair%%:*} kernel modules in $cache/${pair%%:*} (run as root)" >&2
	done
	[ -z "$binfmt" ] || echo "prereqs: qemu-aarch64 is not registered with binfmt_misc (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# apt_update refreshes the package lists. A mirror caught mid-sync fails
# one index ("File has unexpected size"); apt keeps the lists it has, so
# after three tries go on: an install or download that needs a missing
# list fails with its own message.
apt_update() {
	for try in 1 2 3; do
		if apt-get update -q -o Acquire::Retries=3 >/dev/null; then
			return 0
		fi
		echo "prereqs: apt-get update failed (try $try of 3)" >&2
	done
	echo "prereqs: going on with the package lists apt has" >&2
}
updated=""
if [ -n "${missing# }" ]; then
	echo "prereqs: installing$missing"
	apt_update
	updated=1
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# fetch_kernel ARCH META: download the kernel package META depends on for
# ARCH and busybox-static for ARCH, and extract them into $cache/ARCH, through a temporary directory so
# that an interrupted run leaves nothing that looks complete.
fetch_kernel() {
	arch=$1 meta=$2
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		dpkg --add-architecture "$arch"
		updated=""
	fi
	if [ -z "$updated" ]; then
		apt_update
		updated=1
	fi
	pkg=$(apt-cache depends "$meta:$arch" | sed -n 's/^ *Depends: \(linux-image-[^ <>]*\).*/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		echo "prereqs: apt-cache finds no kernel package that $meta:$arch depends on" >&2
		exit 1
	fi
	echo "prereqs: extracting $pkg and busybox-static:$arch into $cache/$arch"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	# The sandbox user _apt could not write to that directory. The VM
	# suite boots the kernel with test roots around this busybox.
	if ! out=$(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" "busybox-static:$arch" 2>&1); then
		echo "$out" >&2
		rm -rf "$tmp"
		exit 1
	fi
	mkdir "$tmp/root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	rm -rf "${cache:?}/${arch:?}"
	mv "$tmp/root" "$cache/$arch"
	rm -rf "$tmp"
}
for pair in $fetch; do
	fetch_kernel "${pair%%:*}" "${pair#*:}"
done

if [ -n "$binfmt" ]; then
	echo "prereqs: registering qemu-aarch64-static with binfmt_misc"
	[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
fi
