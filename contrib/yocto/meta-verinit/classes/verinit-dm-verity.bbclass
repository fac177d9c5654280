# Boot a root made by meta-security's dm-verity-img.bbclass with verinit.
#
# dm-verity-img.bbclass writes what veritysetup printed for the verity
# image as STAGING_VERITY_DIR/DM_VERITY_IMAGE.DM_VERITY_IMAGE_TYPE.verity.env:
# ROOT_HASH, SALT, HASH_ALGORITHM, block sizes and counts, DATA_SIZE (the
# hash offset of a tree appended to the image), SEPARATE_HASH, and with
# DM_VERITY_SEPARATE_HASH = "1" the PARTUUIDs of the data and hash
# partitions (ROOT_UUID, RHASH_UUID). meta-security's own initramfs
# installs it as ${datadir}/misc/dm-verity.env; verinit reads it at that
# path, /usr/share/misc/dm-verity.env. So the kernel command line carries
# no root hash: with a separate hash partition it names nothing at all,
# with an appended tree verinit.root= (or root=) names the image's
# partition.
#
# With VERINIT_SIGN_KEY and VERINIT_SIGN_CERT (PEM files), the root hash
# is signed (verinit sign) into /usr/share/misc/dm-verity.env.p7s, the
# certificate packed, and the policy becomes signature=required: the init
# then refuses a dm-verity.env or root that the key did not sign.
# Without them the policy is verity=required.
#
# VERINIT_CMDLINE_KEYS lists the words, beyond the init's own keys, that the
# kernel command line may carry ("console=ttyS0,115200 quiet"; see
# docs/security.md, cmdline-keys=): the real init reads the command line
# too, and any other word (init=/bin/sh, systemd.debug_shell) then refuses
# the boot. Empty, the default: every word passes.
#
# verinit-initramfs.bb inherits this class when DM_VERITY_IMAGE is set.
# In local.conf, as for meta-security's dm-verity-image-initramfs:
#   DM_VERITY_IMAGE = "core-image-minimal"
#   DM_VERITY_IMAGE_TYPE = "squashfs"
#   IMAGE_CLASSES += "dm-verity-img"
#   INITRAMFS_IMAGE = "verinit-initramfs"

STAGING_VERITY_DIR ?= "${TMPDIR}/work-shared/${MACHINE}/dm-verity"
DM_VERITY_IMAGE_TYPE ??= "${@bb.fatal('verinit-dm-verity: set DM_VERITY_IMAGE_TYPE, the image type dm-verity-img.bbclass makes a verity image of (e.g. squashfs)')}"
VERINIT_DM_VERITY_ENV ?= "${STAGING_VERITY_DIR}/${DM_VERITY_IMAGE}.${DM_VERITY_IMAGE_TYPE}.verity.env"
VERINIT_SIGN_KEY ?= ""
VERINIT_SIGN_CERT ?= ""
VERINIT_POLICY ?= "${@'signature=required' if d.getVar('VERINIT_SIGN_KEY') else 'verity=required'}"
VERINIT_CMDLINE_KEYS ?= ""
VERINIT_DM_VERITY_DIR = "${WORKDIR}/verinit-dm-verity"

VERINIT_INITRAMFS_ARGS += "\
    --file ${VERINIT_DM_VERITY_DIR}/dm-verity.env:/usr/share/misc/dm-verity.env \
    ${@'--file ${VERINIT_DM_VERITY_DIR}/dm-verity.env.p7s:/usr/share/misc/dm-verity.env.p7s --cert ${VERINIT_SIGN_CERT}' if d.getVar('VERINIT_SIGN_KEY') else ''} \
    --policy ${VERINIT_POLICY} \
    ${@"--policy 'cmdline-keys=${VERINIT_CMDLINE_KEYS}'" if d.getVar('VERINIT_CMDLINE_KEYS') else ''} \
"

verinit_dm_verity_stage () {
	env=${VERINIT_DM_VERITY_ENV}
	if [ ! -f "$env" ]; then
		bbfatal "verinit-dm-verity: $env not found: is dm-verity-img in IMAGE_CLASSES and ${DM_VERITY_IMAGE} built as ${DM_VERITY_IMAGE_TYPE}.verity?"
	fi
	rm -rf ${VERINIT_DM_VERITY_DIR}
	install -d ${VERINIT_DM_VERITY_DIR}
	install -m 0644 "$env" ${VERINIT_DM_VERITY_DIR}/dm-verity.env
	if [ -n "${VERINIT_SIGN_KEY}" ]; then
		roothash=$(sed -n 's/^ROOT_HASH=//p' "$env")
		verinit sign --key ${VERINIT_SIGN_KEY} --cert ${VERINIT_SIGN_CERT} "$roothash" \
			-o ${VERINIT_DM_VERITY_DIR}/dm-verity.env.p7s
	fi
}
do_image_cpio[prefuncs] += "verinit_dm_verity_stage"

# The initramfs carries the verity image's root hash, so it is remade
# after that image, every time (as meta-security's initramfs is).
do_image_cpio[depends] += "${DM_VERITY_IMAGE}:do_image_${@d.getVar('DM_VERITY_IMAGE_TYPE').replace('-', '_')}"
do_image_cpio[nostamp] = "1"
do_image[nostamp] = "1"
