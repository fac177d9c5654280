SHELL := /bin/bash
# verinit: see README.md. Every target that needs system packages
# installs them first (as root) through test/vm/prereqs.sh.

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 60s
BOOTS     ?= 5
STATICCHECK_VERSION := v0.8.2
# Packages that must never be linked into the init (size, attack surface).
INIT_FORBIDDEN := net/http encoding/json text/template os/user crypto/tls
# net itself is only allowed as crypto/x509 imports it (for the IP and URI
# types of certificates, to verify root-hash signatures): nothing else in
# the init may import it.
NET_ALLOWED_IMPORTERS := crypto/x509 github.com/smallstep/pkcs7/internal/legacy/x509

.PHONY: build demo test unit vmtest bench fuzz lint size clean prereqs

build: bin/init bin/verinit

bin/init: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/init

bin/verinit: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/verinit

FORCE:

prereqs:
	sh test/vm/prereqs.sh

demo: prereqs build
	bash test/vm/demo.sh

test: prereqs lint size unit vmtest

unit:
	$(GO) test -count=1 ./...

vmtest:
	$(GO) test -count=1 -tags vm -timeout 45m -v ./test/vm

bench: prereqs
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	$(GO) test -tags vm -run '^$$' -bench . -benchtime $(BOOTS)x -timeout 60m ./test/vm

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

size: bin/init
	@deps=$$($(GO) list -deps ./cmd/init); bad=""; \
	for p in $(INIT_FORBIDDEN); do echo "$$deps" | grep -qx "$$p" && bad="$$bad $$p"; done; \
	if [ -n "$$bad" ]; then echo "bin/init links forbidden packages:$$bad"; exit 1; fi; \
	importers=$$($(GO) list -f '{{.ImportPath}} {{join .Imports " "}}' $$deps | awk '{for (i = 2; i <= NF; i++) if ($$i == "net") print $$1}'); \
	for p in $$importers; do case " $(NET_ALLOWED_IMPORTERS) " in *" $$p "*) ;; *) echo "bin/init: $$p imports net"; exit 1;; esac; done
	@echo "bin/init: $$(stat -c %s bin/init) bytes"

clean:
	rm -rf bin
