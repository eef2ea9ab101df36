# Berth — build, test and benchmark targets. `make help` lists them.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/berth
PKGS     := ./...
APT_DEPS := bc runc busybox-static iproute2 nftables util-linux bsdutils procps tar gzip xz-utils bzip2 file ca-certificates docker-registry skopeo curl python3 wrk docker-compose git crun debootstrap \
            build-essential pkgconf libseccomp-dev libcap-dev gperf dpkg-dev
VERSION  ?= 0.1.0
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null)$(shell git diff --quiet 2>/dev/null || echo -dirty)
BUILT    := $(shell date -u +'%Y-%m-%dT%H:%M:%SZ')
PKG      := github.com/berth-engine/berth/internal/version
LDFLAGS  := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).GitCommit=$(COMMIT) -X $(PKG).BuildTime=$(BUILT)

.PHONY: help deps build test test-unit integration compat lint bench demo clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install the system packages Berth and its tests need (Debian, root)
	@missing=$$(for p in $(APT_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	fi

build: ## build the CLI bin/berth, the engine bin/berth-daemon, the shim bin/berth-shim, the compose plugin bin/berth-compose and the runtime bin/berth-crun
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/berth
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)-daemon ./cmd/berth-daemon
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)-shim ./cmd/berth-shim
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)-compose ./cmd/berth-compose
	@# crun from the installed package's Debian source, static and without
	@# systemd: a third of the exec cost (scripts/build-crun.sh); rebuilt only
	@# when that package's version changes.
	scripts/build-crun.sh $(BIN)-crun

test: deps build lint test-unit integration ## everything CI runs

test-unit: ## unit tests (root ones included when run as root), with -race
	$(GO) test -race -count=1 -timeout 20m ./internal/... ./cmd/...

integration: build ## end-to-end tests: real daemons, crun and runc, docker CLI
	BERTH_BINARY=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 40m -p 1 ./integration/...
	@# The default runtime is crun where installed: the container suite once more with runc.
	BERTH_TEST_RUNTIME=runc BERTH_BINARY=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m -p 1 ./integration/container/

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench: build ## side-by-side benchmarks (Berth vs Docker when installed)
	bench/run.sh
	bench/runtime.sh
	bench/pull.sh
	bench/net.sh
	bench/build.sh
	bench/compose.sh

demo: deps build ## import a busybox image and run a container in it
	scripts/demo.sh

clean: ## remove build output
	rm -rf bin
