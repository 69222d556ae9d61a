#!/usr/bin/env bash
# Builds the image from the repository's Dockerfile with docker when a docker engine answers,
# otherwise with podman (CONTAINER_ENGINE=docker|podman overrides). --offline first builds the
# base images locally (hack/image-bases.sh) and builds on them, for hosts without a registry.
#   hack/image.sh [--offline] [IMAGE_REF]     # stdout: the image reference
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HACK/.." && pwd)"
log() { echo "image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

offline=false
if [[ "${1:-}" == --offline ]]; then offline=true; shift; fi
VERSION="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$ROOT/package.json")"
REF="${1:-machine-controller-manager-provider-stackit:v$VERSION}"

if [[ -z "${CONTAINER_ENGINE:-}" ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then CONTAINER_ENGINE=docker
  else
    "$HACK/image-tools.sh" || die "no docker engine, and podman could not be installed (see above)"
    CONTAINER_ENGINE=podman
  fi
fi
export CONTAINER_ENGINE

args=()
if $offline; then
  [[ $CONTAINER_ENGINE == docker ]] || "$HACK/image-tools.sh" || die "mmdebstrap could not be installed (see above)"
  read -r -a args <<<"$("$HACK/image-bases.sh")"
fi
case "$CONTAINER_ENGINE" in
  # runc: crun cannot create containers on cgroups v1/v2 hybrid hosts. Explicit ulimits: podman's
  # defaults (raise nofile to the host's hard limit) are refused without CAP_SYS_RESOURCE. Host
  # network: RUN steps reach the npm registry and the Go module proxy without a CNI setup.
  podman) args+=(--runtime runc --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --jobs 2)
    # The local bases must never be looked up in a registry; the public ones are pulled as usual.
    if $offline; then args+=(--pull=never); fi ;;
  docker) ;;
  *) die "CONTAINER_ENGINE must be docker or podman, not '$CONTAINER_ENGINE'" ;;
esac
start=$SECONDS
log "building $REF with $CONTAINER_ENGINE (offline bases: $offline)..."
"$CONTAINER_ENGINE" build "${args[@]}" -t "$REF" -f "$ROOT/Dockerfile" "$ROOT" >&2 ||
  die "$CONTAINER_ENGINE build failed (see above)"
log "built $REF in $((SECONDS - start)) s"
echo "$REF"
