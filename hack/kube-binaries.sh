#!/usr/bin/env bash
# Builds (or reuses) kube-apiserver, etcd and Gardener's machine-controller-manager from source
# through the Go module proxy, cached outside the repo and keyed by every version involved.
# Progress goes to stderr; stdout carries only the bin directory, so callers can do
#   BIN=$(hack/kube-binaries.sh)
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HACK/versions.env"

export GOTOOLCHAIN=local # a dependency needing a newer Go must fail, not download a toolchain
export CGO_ENABLED=0

log() { echo "kube-binaries: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (need Go >= 1.26.2, see docs/local-control-plane.md)"
GOVERSION="$(go env GOVERSION)" || die "'go env GOVERSION' failed"

CACHE="${MCM_STACKIT_CACHE:-$HOME/.cache/mcm-provider-stackit}"
BIN="$CACHE/bin/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_mcm-${MCM_VERSION}_${GOVERSION}"
mkdir -p "$BIN"

# Two test processes may ask at once; let one build while the other waits.
if command -v flock >/dev/null; then
  exec 9>"$BIN/.lock"
  flock 9
fi

# `go version -m` names the module version a binary was built from; it works for all three.
built_from() { # binary module version
  local info
  info="$(go version -m "$1" 2>/dev/null)" || return 1
  awk -v m="$2" -v v="$3" '($1=="mod"||$1=="dep") && $2==m && $3==v {ok=1} END {exit !ok}' <<<"$info"
}

kas_ok() {
  [[ -x "$BIN/kube-apiserver" ]] && [[ "$("$BIN/kube-apiserver" --version 2>/dev/null)" == "Kubernetes ${K8S_VERSION}" ]]
}
etcd_ok() {
  # Captured first: `etcd --version | grep -q` would race with SIGPIPE under pipefail.
  local out
  [[ -x "$BIN/etcd" ]] && out="$("$BIN/etcd" --version 2>/dev/null)" &&
    grep -qx "etcd Version: ${ETCD_VERSION#v}" <<<"$out"
}
mcm_ok() {
  [[ -x "$BIN/machine-controller-manager" ]] &&
    built_from "$BIN/machine-controller-manager" github.com/gardener/machine-controller-manager "$MCM_VERSION"
}

# build NAME WRAPPER_DIR PACKAGE [LDFLAGS]: builds into a temp name, then renames, so an interrupted
# build never leaves a binary that looks finished.
BUILD_TMP=""
trap '[[ -z "$BUILD_TMP" ]] || rm -f "$BUILD_TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
build() {
  local name="$1" dir="$2" pkg="$3" ldflags="${4:-}" start
  BUILD_TMP="$(mktemp "$BIN/.$name.XXXXXX")"
  start=$SECONDS
  (cd "$HACK/tools/$dir" &&
    go build -trimpath -buildvcs=false -ldflags "-s -w $ldflags" -o "$BUILD_TMP" "$pkg") >&2 ||
    die "building $name failed (wrapper module hack/tools/$dir; see the go output above)"
  chmod +x "$BUILD_TMP"
  mv -f "$BUILD_TMP" "$BIN/$name"
  BUILD_TMP=""
  log "built $name in $((SECONDS - start)) s"
}

K8S_MINOR="${K8S_VERSION#v1.}"
K8S_MINOR="${K8S_MINOR%%.*}"
KAS_LDFLAGS="-X k8s.io/component-base/version.gitVersion=${K8S_VERSION}
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_MINOR}
 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
MCM_PKG=github.com/gardener/machine-controller-manager
MCM_LDFLAGS="-X ${MCM_PKG}/pkg/version.Version=${MCM_VERSION}"

grep -q "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}" "$HACK/tools/etcd/go.mod" ||
  die "hack/tools/etcd/go.mod does not require etcd ${ETCD_VERSION} (versions.env and the wrapper disagree)"
grep -q "k8s.io/kubernetes ${K8S_VERSION}" "$HACK/tools/kube-apiserver/go.mod" ||
  die "hack/tools/kube-apiserver/go.mod does not require k8s.io/kubernetes ${K8S_VERSION}"
grep -q "${MCM_PKG} ${MCM_VERSION}" "$HACK/tools/mcm/go.mod" ||
  die "hack/tools/mcm/go.mod does not require ${MCM_PKG} ${MCM_VERSION}"

if etcd_ok; then log "etcd ${ETCD_VERSION}: cached"; else
  log "building etcd ${ETCD_VERSION} (cold: ~1 min on 2 cores)..."
  build etcd etcd go.etcd.io/etcd/server/v3
  etcd_ok || die "the built etcd does not report version ${ETCD_VERSION}"
fi

if kas_ok; then log "kube-apiserver ${K8S_VERSION}: cached"; else
  log "building kube-apiserver ${K8S_VERSION} (cold: ~5-10 min on 2 cores, seconds with a warm Go build cache)..."
  build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$KAS_LDFLAGS"
  kas_ok || die "the built kube-apiserver does not report 'Kubernetes ${K8S_VERSION}'"
fi

if mcm_ok; then log "machine-controller-manager ${MCM_VERSION}: cached"; else
  log "building machine-controller-manager ${MCM_VERSION} (cold: ~3 min on 2 cores)..."
  build machine-controller-manager mcm "${MCM_PKG}/cmd/machine-controller-manager" "$MCM_LDFLAGS"
  mcm_ok || die "the built machine-controller-manager is not from ${MCM_PKG} ${MCM_VERSION}"
fi

echo "$BIN"
