SHELL := /bin/bash
# verinit: see README.md. Every target that needs system packages
# installs them first (as root) through scripts/prereqs.sh.

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 60s
BOOTS     ?= 5
BUILDS    ?= 3
STATICCHECK_VERSION := v0.8.2
# Packages that must never be linked into the init (size, attack surface).
# pkg/sig reads signatures and certificates itself; crypto/x509 (and with
# it net) and the PKCS#7 library are for the host (pkg/sig/sign) only.
INIT_FORBIDDEN := net net/http net/url encoding/json text/template os/user crypto/tls crypto/x509 github.com/smallstep/pkcs7
# encoding/asn1 is in the init's imports only through the cryptobyte
# packages (crypto/ecdsa's and ours), which link none of its reflection
# (Marshal, Unmarshal); test/size checks that on the symbols.
# The size is a ratchet: lower it when the init shrinks, raise it only
# with a reason in the commit. make size also prints the ratio to
# test/sizefloor, which only verifies an RSA and an ECDSA signature with
# the standard library and makes a dm device with devmapper.go.
INIT_MAX_BYTES := 4080000

# The targets of make cross: bin/linux-ARCH/init and bin/linux-ARCH/verinit.
# 32-bit arm is built for ARMv7 with hardware floating point (GOARM=7),
# what Debian's armhf and the ARMv7 boards of its armmp kernels run.
CROSS_ARCHES := amd64 arm64 arm riscv64
# make cross-test: vet for these, and run the init's unit tests under
# qemu-user (ARCH:qemu-binary) for the emulated ones.
CROSS_VET    := arm64 arm riscv64 386
CROSS_QEMU   := arm64:qemu-aarch64 arm:qemu-arm riscv64:qemu-riscv64

.PHONY: help build cross cross-test demo check test unit vmtest bench fuzz lint size clean prereqs man vendor-check

build: bin/init bin/verinit ## bin/init and bin/verinit

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

# The init and verinit for each of CROSS_ARCHES (the host tool too, for
# build machines of those architectures). verinit initramfs --arch ARCH,
# or the modules' architecture, picks bin/linux-ARCH/init.
cross: bin/verinit ## bin/linux-ARCH/init and verinit for amd64, arm64, arm (v7), riscv64
	@for a in $(CROSS_ARCHES); do \
	  for c in init verinit; do \
	    echo "cross: bin/linux-$$a/$$c"; \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$a GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/linux-$$a/$$c ./cmd/$$c || exit 1; \
	  done; \
	done

# go vet for other architectures (32-bit ones catch constants that
# overflow int), and the unit tests of every package the init links, run
# under qemu-user: the init must work where it cannot be booted here
# (riscv64: Debian 12 has no kernel for it). pivot's FindInit tests are
# skipped there: qemu-user 7.2 lacks openat2, which FindInit needs.
cross-test: ## go vet for arm64, arm, riscv64, 386; the init's unit tests under qemu-user
	@for a in $(CROSS_VET); do echo "vet GOARCH=$$a"; GOARCH=$$a GOARM=7 $(GO) vet ./... || exit 1; done
	@pkgs=$$($(GO) list -deps ./cmd/init | grep '^github.com/verinit/verinit/pkg/'); \
	for pair in $(CROSS_QEMU); do \
	  a=$${pair%%:*}; q=$${pair#*:}; echo "test GOARCH=$$a under $$q"; \
	  GOARCH=$$a GOARM=7 $(GO) test -count=1 -exec $$q -skip '^TestFindInit' $$pkgs || exit 1; \
	done

bin/init: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/init

bin/verinit: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/verinit

FORCE:

prereqs: ## install what demo and test need (Debian, as root)
	sh scripts/prereqs.sh

demo: prereqs build ## build everything and boot a verified, signed A/B system in QEMU
	bash scripts/demo.sh

# The daily loop: needs no root, installs nothing (the tools the unit
# tests run, such as veritysetup and openssl, must be there; see
# scripts/prereqs.sh), and no network once the Go modules are cached.
check: lint unit size ## gofmt, vet, staticcheck, unit tests and fuzz seeds, size

test: prereqs check vendor-check cross-test vmtest ## prerequisites, check, an offline build, the other architectures, then the QEMU boot tests

# The init's optional parts (internal/feature) can be dropped with build
# tags; the init's own packages are tested without them too.
LEAN_TAGS := verinit_nolvm,verinit_notpm,verinit_nosig

unit:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags $(LEAN_TAGS) $$($(GO) list -tags $(LEAN_TAGS) -deps ./cmd/init | grep '^github.com/verinit/')

vmtest: ## the QEMU boot tests (test/vm), as root
	$(GO) test -count=1 -tags vm -timeout 45m -v ./test/vm

# One run, one table (docs/bench.md): the Go microbenchmarks of the hot
# paths (bench/micro.txt), then test/bench's BenchmarkTable, which builds
# and boots verinit, initramfs-tools, dracut and a trivial floor /init
# BOOTS times each (BUILDS builds each for the build time) and writes
# bench/table.txt and bench/results.json.
bench: ## the benchmark table (docs/bench.md), as root
	sh scripts/prereqs.sh bench
	@mkdir -p bench
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem ./pkg/... | tee bench/micro.txt
	BOOTS=$(BOOTS) BUILDS=$(BUILDS) VERINIT_BENCH_OUT=$(CURDIR)/bench \
	  $(GO) test -tags vm -run '^$$' -bench '^BenchmarkTable$$' -benchtime 1x -timeout 150m ./test/bench

# Every fuzz target of every package, one after the other (go test -fuzz
# takes one target of one package). A crasher fails the run; go test saves
# it under the package's testdata/fuzz/FuzzX, where plain go test then runs
# it as a regression case. A package that does not compile fails too,
# instead of silently listing no targets.
fuzz: ## every fuzz target for FUZZTIME (default 60s)
	@n=0; for pkg in $$($(GO) list ./...); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
	  for t in $$(echo "$$list" | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; n=$$((n + 1)); \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || { echo "fuzz: $$pkg $$t failed"; exit 1; }; \
	  done; \
	done; echo "fuzz: $$n targets, $(FUZZTIME) each, no crashers"

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags vm ./test/vm ./test/bench
	$(GO) vet -tags $(LEAN_TAGS) ./cmd/init ./pkg/... ./internal/...
	@# The module cache first, so that a machine without network that has
	@# run this once still can (go run PKG@VERSION asks the proxy otherwise).
	GOPROXY="file://$$($(GO) env GOMODCACHE)/cache/download,$$($(GO) env GOPROXY)" \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags vm ./...
	GOPROXY="file://$$($(GO) env GOMODCACHE)/cache/download,$$($(GO) env GOPROXY)" \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags $(LEAN_TAGS) ./cmd/init ./pkg/... ./internal/...

# A verinit that runs on this machine renders the manual pages and the
# completions (set it when bin/verinit is cross-compiled).
HOST_VERINIT ?= bin/verinit

# Generated, never committed: verinit man and verinit completion render
# them from the code, so they cannot drift from it.
man: $(HOST_VERINIT) ## verinit(1), verinit-init(7) and the shell completions, in bin/
	@mkdir -p bin/man bin/completion
	$(HOST_VERINIT) man --section 1 >bin/man/verinit.1
	$(HOST_VERINIT) man --section 7 >bin/man/verinit-init.7
	$(HOST_VERINIT) completion bash >bin/completion/verinit
	$(HOST_VERINIT) completion zsh >bin/completion/_verinit
	$(HOST_VERINIT) completion fish >bin/completion/verinit.fish

# Offline builds, as Buildroot and Yocto do them: in a copy of the tree,
# go mod vendor (the one step that may use the network or the module
# cache), then build and vet with the vendor directory alone: no proxy,
# an empty module cache, no toolchain download.
vendor-check: ## build and vet offline from vendor/, as Buildroot and Yocto do
	@tmp=$$(mktemp -d) && trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT && \
	git ls-files -co --exclude-standard | while read -r f; do [ -e "$$f" ] && printf '%s\n' "$$f"; done | \
	  tar -cf - -T - | tar -xf - -C "$$tmp" && \
	cd "$$tmp" && $(GO) mod vendor && \
	export GOFLAGS=-mod=vendor GOPROXY=off GOMODCACHE="$$tmp/.empty-modcache" GOTOOLCHAIN=local && \
	$(MAKE) --no-print-directory build VERSION=vendor-check && \
	$(GO) vet ./... && $(GO) vet -tags vm ./test/vm ./test/bench && \
	test -z "$$(ls -A "$$GOMODCACHE" 2>/dev/null)" && \
	echo "vendor-check: built and vetted offline from vendor/ ($$(grep -c '^# ' vendor/modules.txt) modules)"

size: bin/init ## what bin/init links, and its size against the ratchet and test/sizefloor
	$(GO) run ./test/size -init bin/init -max $(INIT_MAX_BYTES) -forbid '$(INIT_FORBIDDEN)'

clean: ## remove bin/
	rm -rf bin
