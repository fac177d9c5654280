SUMMARY = "initramfs whose /init is verinit"
DESCRIPTION = "The verinit /init with the kernel modules the root needs \
(storage, dm-verity, file systems, with their dependencies), packed by \
verinit-native. With DM_VERITY_IMAGE set (meta-security's dm-verity-img \
class), the verity image's dm-verity.env goes in too, so that image boots \
with verinit (classes/verinit-dm-verity.bbclass). Use it as \
INITRAMFS_IMAGE = \"verinit-initramfs\"."
LICENSE = "MIT"

# What is staged in the image root for the packer: the init, and the
# kernel modules for the root's storage, device-mapper and file system,
# each installed only where the kernel builds it as a module (a built-in
# driver has no package), with the modules it depends on. 'verinit
# initramfs' packs those of its default set that are staged, with their
# dependencies. Staging all of kernel-modules would work too, but counts
# against INITRAMFS_MAXSIZE.
VERINIT_INITRAMFS_MODULES ?= "\
    kernel-module-dm-mod kernel-module-dm-verity \
    kernel-module-squashfs kernel-module-erofs kernel-module-ext4 \
    kernel-module-virtio-blk kernel-module-virtio-pci kernel-module-nvme \
    kernel-module-ahci kernel-module-sd-mod kernel-module-mmc-block \
    kernel-module-usb-storage kernel-module-efivarfs \
"
PACKAGE_INSTALL = "verinit"
PACKAGE_INSTALL_ATTEMPTONLY = "${VERINIT_INITRAMFS_MODULES}"

IMAGE_FEATURES = ""
IMAGE_LINGUAS = ""
IMAGE_FSTYPES = "${INITRAMFS_FSTYPES}"
IMAGE_NAME_SUFFIX ?= ""
IMAGE_ROOTFS_SIZE = "8192"
IMAGE_ROOTFS_EXTRA_SPACE = "0"

# Further 'verinit initramfs' arguments, e.g. --module NAME, --cert,
# --policy verity=required.
VERINIT_INITRAMFS_ARGS ?= ""

inherit image
inherit ${@'verinit-dm-verity' if d.getVar('DM_VERITY_IMAGE') else ''}

# The cpio is written by verinit-native, not from the staged root as it
# is: the init as /init, the chosen modules (decompressed) with the load
# list the init follows, the files and certificates asked for.
# INITRAMFS_FSTYPES' compression (cpio.gz, cpio.zst, ...) is applied to
# it as to any cpio.
IMAGE_CMD:cpio () {
	set -- ${IMAGE_ROOTFS}${nonarch_base_libdir}/modules/*/modules.dep
	if [ $# -gt 1 ]; then
		bbfatal "several kernel releases staged: $*"
	fi
	modules="--no-modules"
	if [ -f "$1" ]; then
		modules="--modules-dir $(dirname "$1")"
	fi
	verinit initramfs -o ${IMGDEPLOYDIR}/${IMAGE_NAME}.cpio --compression none \
		--init ${IMAGE_ROOTFS}/init $modules ${VERINIT_INITRAMFS_ARGS}
}
do_image_cpio[depends] += "verinit-native:do_populate_sysroot"
