#!/bin/sh
# Installs what `make demo` and `make test` need on a Debian 12 machine
# (with the argument `bench`, also what `make bench` needs).
# As root it installs the missing packages with apt-get; otherwise it
# lists them and fails, so nothing is silently skipped.
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
blkid:util-linux
veritysetup:cryptsetup-bin
lvm:lvm2
openssl:openssl
shellcheck:shellcheck
groff:groff-base
man:man-db
zsh:zsh
fish:fish
"
# make bench (test/vm/prereqs.sh bench) also builds Debian's initramfs-tools
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
# busybox-static, not the dynamic busybox: the test root has no libc.
dpkg -s busybox-static >/dev/null 2>&1 || missing="$missing busybox-static"
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
	echo "prereqs: Go 1.26 is needed (not installed by this script)" >&2
	exit 1
fi

missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -z "${missing# }" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "prereqs: missing Debian packages:$missing" >&2
	echo "prereqs: run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "prereqs: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
