# Gardener-style entry points. Every target installs what it needs first, so a fresh clone works.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help
export GOTOOLCHAIN := local

NPM_STAMP := node_modules/.install-stamp
MC_BIN    := cmd/machine-controller/bin/machine-controller

.PHONY: help install generate check lint format typecheck build machine-controller kube-binaries \
        test test-go test-ts test-mcm-integration test-image demo dev start bench image image-offline clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

# `npm install` (not `npm ci`): the lockfile pins every version, but the registry mirror here lacks
# some foreign-platform optional packages that `npm ci` insists on listing.
$(NPM_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## install Node 24 (from the npm registry) and all npm dependencies

generate: install ## regenerate API types, CRD types and protocol code
	npm run generate

check: install ## generated files fresh, typecheck, lint, go vet
	npm run check:generated
	npm run typecheck
	npm run lint
	cd cmd/machine-controller && go vet ./...

lint: install
	npm run lint

format: install
	npm run format

typecheck: install
	npm run typecheck

build: install ## compile the TypeScript driver and simulator to dist/
	npm run build

machine-controller: ## build the Go machine-controller (MCM controller + gRPC bridge)
	cd cmd/machine-controller && go build -trimpath -ldflags=-s -o bin/machine-controller .

kube-binaries: ## build (or reuse) kube-apiserver, etcd, machine-controller-manager from source
	hack/kube-binaries.sh

test: install kube-binaries machine-controller ## every test: checks, Go, TypeScript unit, integration, e2e, the image, MCM's integration suite
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory test-go
	$(MAKE) --no-print-directory test-ts
	$(MAKE) --no-print-directory test-mcm-integration

test-go:
	cd cmd/machine-controller && go test ./...

test-ts: install
	npm test

test-mcm-integration: install kube-binaries machine-controller ## Gardener MCM's provider integration suite on the local stack (join delays 20 s and 3 s)
	npm run test:mcm-integration

demo: install kube-binaries machine-controller ## the whole local stack on the simulator (Ctrl-C stops it)
	npm run demo

dev: demo ## alias used by the justfile (`just dev`)

start: install machine-controller ## run the machine-controller against CONTROL_KUBECONFIG/TARGET_KUBECONFIG/CONTROL_NAMESPACE
	npm run start

bench: install kube-binaries machine-controller ## benchmarks (npm run bench)
	npm run bench

IMAGE ?= machine-controller-manager-provider-stackit
IMAGE_TAG ?= v$(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)

image: ## build the container image: docker when an engine answers, else podman (public Node 24 bases)
	hack/image.sh $(IMAGE):$(IMAGE_TAG)

image-offline: install ## the image on bases built here from Debian packages and the npm registry (no container registry)
	hack/image.sh --offline $(IMAGE):$(IMAGE_TAG)

# Also part of `npm test` (test/image): builds the image offline with podman and runs it as the
# Deployment does against the local stack; skipped with the reason where podman cannot be installed.
test-image: install kube-binaries ## build the image and run a MachineDeployment 0 -> 2 -> 0 with it
	npm run test:image

clean:
	rm -rf dist cmd/machine-controller/bin node_modules
