#!/usr/bin/env bash
# Installs what building and running the image without a docker engine needs: podman, buildah,
# runc (crun fails on cgroups v1/v2 hybrid hosts), mmdebstrap (the offline base images). Debian/Ubuntu
# and root only; exits 2 with the reason on stderr where it cannot install, so callers can skip.
set -euo pipefail
log() { echo "image-tools: $*" >&2; }
need=()
for t in podman buildah runc mmdebstrap; do command -v "$t" >/dev/null || need+=("$t"); done
# mmdebstrap's bookworm keyring and the ca-certificates for the base come from these.
dpkg -s debian-archive-keyring >/dev/null 2>&1 || need+=(debian-archive-keyring)
[[ ${#need[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then log "cannot install ${need[*]}: not root"; exit 2; fi
if ! command -v apt-get >/dev/null; then log "cannot install ${need[*]}: no apt-get"; exit 2; fi
log "installing ${need[*]} with apt-get..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || { log "apt-get update failed"; exit 2; }
apt-get install -y -qq --no-install-recommends "${need[@]}" uidmap fuse-overlayfs >&2 ||
  { log "apt-get install ${need[*]} failed"; exit 2; }
