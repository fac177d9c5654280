SUMMARY = "verinit: a static Go /init that boots a dm-verity-verified A/B root"
DESCRIPTION = "verinit is the /init of an initramfs: it waits for the root \
the kernel command line names, checks it against its dm-verity hash tree \
(and the root hash against a signature), mounts it read-only and switches \
into the real init. verinit-native is the host tool that packs the \
initramfs, makes hash trees and signs root hashes."
HOMEPAGE = "https://github.com/verinit/verinit"
# verinit's own licence; the Go modules it vendors carry theirs (see
# verinit-go-mods.inc; 'bitbake -c update_modules verinit' can write a
# verinit-licenses.inc listing them).
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://src/${GO_IMPORT}/LICENSE;md5=30f4ffaa4081ec250e275f5e8f46c00f"

VERINIT_GIT_URI ?= "git://github.com/verinit/verinit.git;protocol=https;branch=main"
SRC_URI = "${VERINIT_GIT_URI};destsuffix=${GO_SRCURI_DESTSUFFIX}"
# Pin the commit of the checkout that holds this layer (its go.mod is the
# one verinit-go-mods.inc lists), e.g. in local.conf:
#   SRCREV:pn-verinit = "<commit>"
#   SRCREV:pn-verinit-native = "<commit>"
SRCREV ?= "${AUTOREV}"
PV = "0.1+git"

require ${BPN}-go-mods.inc

GO_IMPORT = "github.com/verinit/verinit"
GO_INSTALL = "${GO_IMPORT}/cmd/init"
GO_INSTALL:class-native = "${GO_IMPORT}/cmd/verinit"

inherit go-mod

# Static and not position-independent: the init is PID 1 of an initramfs
# that has no dynamic loader. Without cgo, Go links by itself and the
# binary is static, but go.bbclass adds -buildmode=pie, and a PIE Go
# binary names an ELF interpreter even without cgo: remove it. The C
# hardening flags (SECURITY_CFLAGS) do not apply, as no C is compiled.
CGO_ENABLED = "0"
GOBUILDFLAGS:remove = "-buildmode=pie"
GO_LINUXLOADER = ""
GO_EXTRA_LDFLAGS = "-X main.version=${PV}"

# The init's optional parts (internal/feature): take one out of
# PACKAGECONFIG (e.g. PACKAGECONFIG:pn-verinit = "tpm") and the init is
# built without it, smaller, refusing what would need it.
# Leave out "signatures" only where the boot chain verifies the command
# line that carries the root hash (a signed UKI or FIT).
PACKAGECONFIG ??= "lvm tpm signatures"
PACKAGECONFIG[lvm] = ",,"
PACKAGECONFIG[tpm] = ",,"
PACKAGECONFIG[signatures] = ",,"
VERINIT_TAGS = "${@bb.utils.contains('PACKAGECONFIG', 'lvm', '', 'verinit_nolvm,', d)}${@bb.utils.contains('PACKAGECONFIG', 'tpm', '', 'verinit_notpm,', d)}${@bb.utils.contains('PACKAGECONFIG', 'signatures', '', 'verinit_nosig,', d)}"
GOBUILDFLAGS:append:class-target = " -tags=${VERINIT_TAGS}"

# The target package holds only the init, at /init, for the initramfs
# image (recipes-core/images/verinit-initramfs.bb); go.bbclass puts it in
# ${bindir}.
do_install:append:class-target() {
	mv ${D}${bindir}/init ${D}/init
	rmdir --ignore-fail-on-non-empty ${D}${bindir}
}
FILES:${PN} = "/init"

BBCLASSEXTEND = "native"
