################################################################################
#
# verinit
#
################################################################################

# This BR2_EXTERNAL tree is contrib/buildroot of a verinit checkout, and
# the package builds that checkout, so the init, the host tool and the
# board scripts always come from the same commit. The version changes
# with every commit, which makes Buildroot rebuild; after uncommitted
# edits, run 'make verinit-rebuild host-verinit-rebuild'.
VERINIT_VERSION := $(shell git -C $(BR2_EXTERNAL_VERINIT_PATH) describe --always --dirty 2>/dev/null || echo local)
VERINIT_SITE = $(realpath $(BR2_EXTERNAL_VERINIT_PATH)/../..)
VERINIT_SITE_METHOD = local
VERINIT_LICENSE = BSD-3-Clause
VERINIT_LICENSE_FILES = LICENSE
VERINIT_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/bin --exclude=/demo
VERINIT_GOMOD = github.com/verinit/verinit
HOST_VERINIT_GOMOD = $(VERINIT_GOMOD)

# Static, no cgo: the init is PID 1 of an initramfs without a libc.
VERINIT_GO_ENV = CGO_ENABLED=0
HOST_VERINIT_GO_ENV = CGO_ENABLED=0
VERINIT_LDFLAGS = -s -w -X main.version=$(VERINIT_VERSION)
HOST_VERINIT_LDFLAGS = $(VERINIT_LDFLAGS)
VERINIT_BUILD_TARGETS = cmd/init

# The init's optional parts (internal/feature), dropped by build tags.
ifneq ($(BR2_PACKAGE_VERINIT_LVM),y)
VERINIT_TAGS += verinit_nolvm
endif
ifneq ($(BR2_PACKAGE_VERINIT_TPM),y)
VERINIT_TAGS += verinit_notpm
endif
ifneq ($(BR2_PACKAGE_VERINIT_SIGNATURES),y)
VERINIT_TAGS += verinit_nosig
endif
HOST_VERINIT_BUILD_TARGETS = cmd/verinit

# Buildroot vendors Go modules in the download step, which the local
# site method skips: vendor them before the build instead (from the Go
# module cache, or the network the first time), checked against go.sum.
define VERINIT_GO_VENDOR
	if [ ! -d $(@D)/vendor ]; then \
		cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-mod=mod GOPROXY=direct \
			$(GO_BIN) mod vendor; \
	fi
endef
VERINIT_PRE_BUILD_HOOKS += VERINIT_GO_VENDOR
HOST_VERINIT_PRE_BUILD_HOOKS += VERINIT_GO_VENDOR

# The init belongs in the initramfs, not in the root file system: leave
# it in the images directory, where the post-image script packs it.
VERINIT_INSTALL_TARGET = NO
VERINIT_INSTALL_IMAGES = YES
define VERINIT_INSTALL_IMAGES_CMDS
	$(INSTALL) -D -m 0755 $(@D)/bin/init $(BINARIES_DIR)/verinit/init
endef

$(eval $(golang-package))
$(eval $(host-golang-package))
