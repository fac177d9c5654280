SHELL := /bin/bash
# verinit: see README.md. Every target that needs system packages
# installs them first (as root) through test/vm/prereqs.sh.

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
# (Marshal, Unmarshal); the size target checks that on the symbols.
# The size is a ratchet, not yet the 2,500,000-byte goal (see
# docs/architecture.md): test/sizefloor, which only verifies an RSA and an
# ECDSA signature with the standard library and makes a dm device with
# devmapper.go, is already about that size; make size prints the ratio.
INIT_MAX_BYTES := 3850000

# The targets of make cross: bin/linux-ARCH/init and bin/linux-ARCH/verinit.
# 32-bit arm is built for ARMv7 with hardware floating point (GOARM=7),
# what Debian's armhf and the ARMv7 boards of its armmp kernels run.
CROSS_ARCHES := amd64 arm64 arm riscv64
# make cross-test: vet for these, and run the init's unit tests under
# qemu-user (ARCH:qemu-binary) for the emulated ones.
CROSS_VET    := arm64 arm riscv64 386
CROSS_QEMU   := arm64:qemu-aarch64 arm:qemu-arm riscv64:qemu-riscv64

.PHONY: build cross cross-test demo test unit vmtest bench fuzz lint size clean prereqs man vendor-check

build: bin/init bin/verinit

# The init and verinit for each of CROSS_ARCHES (the host tool too, for
# build machines of those architectures). verinit initramfs --arch ARCH,
# or the modules' architecture, picks bin/linux-ARCH/init.
cross: bin/verinit
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
cross-test:
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

prereqs:
	sh test/vm/prereqs.sh

demo: prereqs build
	bash test/vm/demo.sh

test: prereqs lint size vendor-check unit cross-test vmtest

unit:
	$(GO) test -count=1 ./...

vmtest:
	$(GO) test -count=1 -tags vm -timeout 45m -v ./test/vm

# One run, one table (docs/bench.md): the Go microbenchmarks of the hot
# paths (bench/micro.txt), then test/vm's BenchmarkTable, which builds
# and boots verinit, initramfs-tools, dracut and a trivial floor /init
# BOOTS times each (BUILDS builds each for the build time) and writes
# bench/table.txt and bench/results.json.
bench:
	sh test/vm/prereqs.sh bench
	@mkdir -p bench
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem ./pkg/... | tee bench/micro.txt
	BOOTS=$(BOOTS) BUILDS=$(BUILDS) VERINIT_BENCH_OUT=$(CURDIR)/bench \
	  $(GO) test -tags vm -run '^$$' -bench '^BenchmarkTable$$' -benchtime 1x -timeout 150m ./test/vm

# Every fuzz target of every package, one after the other (go test -fuzz
# takes one target of one package). A crasher fails the run; go test saves
# it under the package's testdata/fuzz/FuzzX, where plain go test then runs
# it as a regression case. A package that does not compile fails too,
# instead of silently listing no targets.
fuzz:
	@n=0; for pkg in $$($(GO) list ./...); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
	  for t in $$(echo "$$list" | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; n=$$((n + 1)); \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || { echo "fuzz: $$pkg $$t failed"; exit 1; }; \
	  done; \
	done; echo "fuzz: $$n targets, $(FUZZTIME) each, no crashers"

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags vm ./test/vm
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags vm ./...

# A verinit that runs on this machine renders the manual pages and the
# completions (set it when bin/verinit is cross-compiled).
HOST_VERINIT ?= bin/verinit

# Generated, never committed: verinit man and verinit completion render
# them from the code, so they cannot drift from it.
man: $(HOST_VERINIT)
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
vendor-check:
	@tmp=$$(mktemp -d) && trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT && \
	git ls-files -co --exclude-standard | while read -r f; do [ -e "$$f" ] && printf '%s\n' "$$f"; done | \
	  tar -cf - -T - | tar -xf - -C "$$tmp" && \
	cd "$$tmp" && $(GO) mod vendor && \
	export GOFLAGS=-mod=vendor GOPROXY=off GOMODCACHE="$$tmp/.empty-modcache" GOTOOLCHAIN=local && \
	$(MAKE) --no-print-directory build VERSION=vendor-check && \
	$(GO) vet ./... && $(GO) vet -tags vm ./test/vm && \
	test -z "$$(ls -A "$$GOMODCACHE" 2>/dev/null)" && \
	echo "vendor-check: built and vetted offline from vendor/ ($$(grep -c '^# ' vendor/modules.txt) modules)"

size: bin/init
	@deps=$$($(GO) list -deps ./cmd/init); bad=""; \
	for p in $(INIT_FORBIDDEN); do echo "$$deps" | grep -qx "$$p" && bad="$$bad $$p"; done; \
	if [ -n "$$bad" ]; then echo "bin/init links forbidden packages:$$bad"; exit 1; fi
	@tmp=$$(mktemp); CGO_ENABLED=0 $(GO) build -trimpath -o $$tmp ./cmd/init; \
	syms=$$($(GO) tool nm $$tmp | grep -E ' encoding/asn1\.(Unmarshal|Marshal)' ); rm -f $$tmp; \
	if [ -n "$$syms" ]; then echo "bin/init links encoding/asn1's reflection: $$syms"; exit 1; fi
	@tmp=$$(mktemp); CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $$tmp ./test/sizefloor; \
	f=$$(stat -c %s $$tmp); rm -f $$tmp; n=$$(stat -c %s bin/init); \
	echo "bin/init: $$n bytes (limit $(INIT_MAX_BYTES)); test/sizefloor, only the standard library's RSA and ECDSA verification and devmapper.go: $$f bytes ($$(awk "BEGIN {printf \"%.2f\", $$n / $$f}")x)"; \
	if [ $$n -gt $(INIT_MAX_BYTES) ]; then echo "bin/init is larger than $(INIT_MAX_BYTES) bytes"; exit 1; fi
	@# What the init links beyond the floor, by package (unstripped builds keep the symbols).
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	CGO_ENABLED=0 $(GO) build -trimpath -o $$d/init ./cmd/init && \
	CGO_ENABLED=0 $(GO) build -trimpath -o $$d/sizefloor ./test/sizefloor && \
	$(GO) run ./test/sizediff $$d/init $$d/sizefloor 15 | sed "s|$$d/||g"

clean:
	rm -rf bin
