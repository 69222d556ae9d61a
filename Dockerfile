# syntax=docker/dockerfile:1
# machine-controller-manager-provider-stackit: Gardener MCM's machine-controller (Go, static) which
# runs the TypeScript STACKIT driver as a plugin subprocess on Node.js 24.
#
#   make image           # docker when an engine answers, else podman; public bases below
#   make image-offline   # bases built locally from Debian packages and the npm registry (hack/image-bases.sh)
#
# Layout of the final image (built and run by test/image/image.test.ts):
#   /app/machine-controller         ENTRYPOINT; finds the plugin at /app/dist/src/plugin/main.js
#   /app/dist/src/**                compiled driver, plugin, simulator (`npm pack` contents)
#   /app/node_modules               production dependencies only
#   /app/package.json
# Runs as uid 65532 and writes nothing but the plugin's socket under $TMPDIR (/tmp: mount an
# emptyDir there with readOnlyRootFilesystem, as kubernetes/control/deployment.yaml does).
# The runtime stage runs no command, so RUNTIME_IMAGE may be a base without a shell; it must have
# Node 24 as `node` on PATH.

ARG GO_IMAGE=golang:1.26.8-bookworm
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG RUNTIME_IMAGE=node:24.21.0-bookworm-slim

# --- 1. The Go machine-controller, static ------------------------------------------------------
FROM ${GO_IMAGE} AS go-build
ENV GOTOOLCHAIN=local CGO_ENABLED=0 GOPATH=/go GOCACHE=/root/.cache/go-build
WORKDIR /src/cmd/machine-controller
COPY cmd/machine-controller/go.mod cmd/machine-controller/go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd/machine-controller/ ./
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags=-s -o /out/machine-controller .

# --- 2. The TypeScript driver: build, pack, production dependencies -----------------------------
FROM ${NODE_IMAGE} AS ts-build
WORKDIR /src
# `npm install`, not `npm ci`: see the Makefile (the lockfile still pins every version).
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY api/stackit-iaas/ api/stackit-iaas/
RUN npm run build
COPY README.md CHANGELOG.md LICENSE ./
COPY kubernetes/ kubernetes/
COPY samples/ samples/
COPY docs/ docs/
# What ships is exactly the npm package (package.json "files"), plus its production dependencies
# without what Node never loads (half of node_modules, @kubernetes/client-node's mostly): TypeScript
# sources and declarations (Node does not strip types under node_modules), the dependencies' source
# maps (they point at .ts sources not shipped; a missing map only costs the mapping), @types/*
# (client-node's typings), Markdown but licences, and test/example/docs folders at a package's root
# only (yaml's dist/doc is code).
RUN --mount=type=cache,target=/root/.npm npm pack --pack-destination /tmp \
 && mkdir -p /out/app \
 && tar -xzf /tmp/machine-controller-manager-provider-stackit-*.tgz -C /out/app --strip-components=1 \
 && cp package-lock.json .npmrc /out/app/ \
 && cd /out/app \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline \
 && rm -f package-lock.json .npmrc \
 && find /out/app/node_modules -regextype posix-extended -type d \
      -regex '.*/node_modules/(@[^/]+/)?[^@/][^/]*/(test|tests|__tests__|example|examples|docs)' \
      -prune -exec rm -rf {} + \
 && find /out/app/node_modules -type d -path '*/node_modules/@types' -prune -exec rm -rf {} + \
 && find /out/app/node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
      -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete \
 && find /out/app/node_modules -type d -empty -delete

# --- 3. Runtime: two layers on the base, no command run ------------------------------------------
FROM ${RUNTIME_IMAGE}
COPY --from=ts-build /out/app /app
COPY --from=go-build /out/machine-controller /app/machine-controller
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    TMPDIR=/tmp
USER 65532:65532
EXPOSE 10259
ENTRYPOINT ["/app/machine-controller"]
