SUMMARY = "initramfs whose /init is verinit"
DESCRIPTION = "The verinit /init with the kernel modules the root needs \
(storage, dm-verity, file systems, with their dependencies), packed by \
verinit-native. With DM_VERITY_IMAGE set (meta-security's dm-verity-img \
class), the verity image's dm-verity.env goes in too, so that image boots \
with verinit (classes/verinit-dm-verity.bbclass). Use it as \
INITRAMFS_IMAGE = \"verinit-initramfs\"."
LICENSE = "MIT"

# What is staged in the image root for the packer: the init and the
# kernel modules to choose from ('verinit initramfs' packs only those it
# is asked for, by default the storage, dm-verity and file system ones,
# with their dependencies).
VERINIT_INITRAMFS_MODULES ?= "kernel-modules"
PACKAGE_INSTALL = "verinit ${VERINIT_INITRAMFS_MODULES}"

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
