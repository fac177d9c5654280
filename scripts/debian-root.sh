#!/bin/sh
# Builds the Debian 12 root that the boot chain tests (test/vm/chain_test.go)
# pack into their slots: minbase with systemd as init, systemd-boot's
# user-space half (bootctl, systemd-bless-boot), RAUC and its D-Bus
# service, kmod, and fw_setenv and grub-editenv for the other boot loaders'
# environments. Documentation, manuals and locales are left out.
#
#   scripts/debian-root.sh OUT.tar [ARCH]
#
# ARCH is a Debian architecture (default: the host's); a foreign one
# runs its maintainer scripts through qemu-user (binfmt_misc, which
# scripts/prereqs.sh sets up).
#
# mmdebstrap runs as root (the tests do) and fetches from deb.debian.org,
# or from $VERINIT_DEBIAN_MIRROR. The tar is what the tests cache, keyed
# by this script's contents: change the package list here and they
# rebuild it.
set -eu
out=${1:?usage: scripts/debian-root.sh OUT.tar [ARCH]}
arch=${2:-$(dpkg --print-architecture)}
mirror=${VERINIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,systemd-boot,dbus,udev,kmod,rauc,rauc-service,libubootenv-tool,grub-common
# shellcheck disable=SC2016 # the hook's $1 is mmdebstrap's, not ours
mmdebstrap --variant=minbase --format=tar --architectures="$arch" --include="$packages" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id; touch "$1"/etc/machine-id' \
	bookworm "$out.tmp" "$mirror"
mv "$out.tmp" "$out"
