#!/usr/bin/env bash
# Builds (or reuses) the base images for an image build without any container registry, from
# Debian packages (mmdebstrap) and the npm registry, and imports them into the container engine:
#   runtime: glibc, libstdc++, libgcc, the CA bundle, /etc/passwd with nonroot (65532), /tmp, and
#            Node 24 (the project's pinned `node` package, stripped) as /usr/local/bin/node.
#            No shell, no package manager, no other binary.
#   build:   Debian minbase + ca-certificates, the host's Go toolchain as /usr/local/go, Node 24 and
#            npm; stands in for both the golang and the node build images.
# Tarballs are cached in $MCM_STACKIT_CACHE/image (default ~/.cache/mcm-provider-stackit/image),
# images are tagged with a hash of their inputs, so a second run costs two `image exists` checks.
# stdout: "--build-arg GO_IMAGE=... --build-arg NODE_IMAGE=... --build-arg RUNTIME_IMAGE=..."
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HACK/.." && pwd)"
# shellcheck source=image-versions.env
source "$HACK/image-versions.env"
log() { echo "image-bases: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ENGINE="${CONTAINER_ENGINE:?CONTAINER_ENGINE (docker or podman) must be set; hack/image.sh does}"
CACHE="${MCM_STACKIT_CACHE:-$HOME/.cache/mcm-provider-stackit}/image"
mkdir -p "$CACHE"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (hack/image-tools.sh installs it as root with apt)"
[[ $(id -u) -eq 0 ]] || die "mmdebstrap runs as root here (rootless modes need user namespaces set up)"

NODE_BIN="$ROOT/node_modules/node/bin/node"
[[ -x "$NODE_BIN" ]] || die "$NODE_BIN is missing: run 'make install' first"
NODE_VERSION="$("$NODE_BIN" --version)"
[[ "$NODE_VERSION" == v24.* ]] || die "$NODE_BIN is $NODE_VERSION, not Node 24"
command -v go >/dev/null || die "go is not on PATH (the build base takes the host's Go toolchain)"
GOROOT="$(go env GOROOT)"
GOVERSION="$(go env GOVERSION)"

if command -v flock >/dev/null; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

# One tag per set of inputs: the script itself, the versions, the binaries' identities.
key() { { cat "${BASH_SOURCE[0]}" "$HACK/image-versions.env"; echo "$NODE_VERSION $GOVERSION $*"; } | sha256sum | cut -c1-16; }
RUNTIME_REF="localhost/mcm-stackit-base-runtime:node${NODE_VERSION#v}-$(key runtime)"
HOST_CAS="$(sha256sum /etc/ssl/certs/ca-certificates.crt 2>/dev/null | cut -c1-64 || true)"
BUILD_REF="localhost/mcm-stackit-base-build:node${NODE_VERSION#v}-${GOVERSION}-$(key build "$HOST_CAS")"

exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

# Only the listed packages' files, unpacked without maintainer scripts ("extract"): libc6 and
# libstdc++6 pull in libgcc-s1 and gcc-12-base, nothing with a shell. The CA bundle is assembled from
# ca-certificates' files the way update-ca-certificates does, outside the image.
runtime_rootfs() { # out.tar
  local work certs
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  mmdebstrap --quiet --variant=extract --include=libc6,libstdc++6 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="rm -rf \"\$1\"/usr/share/doc \"\$1\"/usr/share/lintian \"\$1\"/usr/share/gcc \"\$1\"/usr/share/gdb \"\$1\"/usr/share/locale \"\$1\"/usr/lib/x86_64-linux-gnu/gconv \"\$1\"/var/cache/* \"\$1\"/var/lib/apt \"\$1\"/var/log/*" \
    "$DEBIAN_SUITE" "$work/root" >&2
  certs="$work/certs"
  mmdebstrap --quiet --variant=extract --include=ca-certificates "$DEBIAN_SUITE" "$certs" >&2
  local r="$work/root"
  if find "$r" \( -name sh -o -name bash -o -name dash \) | grep -q .; then die "the runtime base has a shell"; fi
  mkdir -p "$r/etc/ssl/certs" "$r/usr/local/bin" "$r/tmp" "$r/home/nonroot"
  cat "$certs"/usr/share/ca-certificates/mozilla/*.crt >"$r/etc/ssl/certs/ca-certificates.crt"
  chmod 1777 "$r/tmp"
  chown 65532:65532 "$r/home/nonroot"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$r/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
  # Debug info is 18 MB of the binary; the dynamic symbols addons link against stay.
  install -m 0755 "$NODE_BIN" "$r/usr/local/bin/node"
  strip "$r/usr/local/bin/node"
  tar --numeric-owner -C "$r" -cf "$1" .
}

build_rootfs() { # out.tar
  local npm_tgz="$CACHE/npm-$NPM_VERSION.tgz"
  if [[ ! -s "$npm_tgz" ]]; then
    log "fetching npm@$NPM_VERSION from the npm registry..."
    (cd "$CACHE" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) || die "npm pack npm@$NPM_VERSION failed"
    [[ -s "$npm_tgz" ]] || die "npm pack did not write $npm_tgz"
  fi
  # Hooks get the rootfs as $1; the host's Go (without its own test tree) and Node 24 + npm go in.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="mkdir -p \"\$1\"/usr/local/go && tar -C '$GOROOT' --exclude=./test -cf - . | tar -C \"\$1\"/usr/local/go -xf -" \
    --customize-hook="install -m 0755 '$NODE_BIN' \"\$1\"/usr/local/bin/node" \
    --customize-hook="mkdir -p \"\$1\"/usr/local/lib/node_modules/npm && tar -C \"\$1\"/usr/local/lib/node_modules/npm --strip-components=1 -xzf '$npm_tgz'" \
    --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1\"/usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1\"/usr/local/bin/npx" \
    --customize-hook="$(host_cas_hook)" \
    "$DEBIAN_SUITE" "$1" >&2
}

# The build base runs only on this host, for its downloads: it trusts what the host trusts too
# (a TLS-intercepting proxy's CA, say). The runtime base gets Debian's bundle only.
host_cas_hook() {
  local bundle=/etc/ssl/certs/ca-certificates.crt
  if [[ -s "$bundle" ]]; then echo "cat '$bundle' >>\"\$1\"$bundle"; else echo true; fi
}

# import REF TAR ENV...: one layer, the given environment.
import() {
  local ref="$1" tar="$2" changes=()
  shift 2
  for e in "$@"; do changes+=(--change "ENV $e"); done
  "$ENGINE" import --quiet "${changes[@]}" --change 'CMD ["node"]' "$tar" "$ref" >/dev/null
}

if exists "$RUNTIME_REF"; then log "$RUNTIME_REF: cached"; else
  start=$SECONDS
  tar="$CACHE/base-runtime-$(key runtime).tar"
  [[ -s "$tar" ]] || { log "building the runtime base (Debian $DEBIAN_SUITE, Node $NODE_VERSION)..."; runtime_rootfs "$tar.part.tar" && mv "$tar.part.tar" "$tar"; }
  import "$RUNTIME_REF" "$tar" PATH=/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  log "$RUNTIME_REF: built in $((SECONDS - start)) s"
fi
if exists "$BUILD_REF"; then log "$BUILD_REF: cached"; else
  start=$SECONDS
  tar="$CACHE/base-build-$(key build "$HOST_CAS").tar"
  [[ -s "$tar" ]] || { log "building the build base (Debian $DEBIAN_SUITE, $GOVERSION, Node $NODE_VERSION, npm $NPM_VERSION)..."; build_rootfs "$tar.part.tar" && mv "$tar.part.tar" "$tar"; }
  import "$BUILD_REF" "$tar" PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin GOTOOLCHAIN=local \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  log "$BUILD_REF: built in $((SECONDS - start)) s"
fi
# Older bases of ours (other inputs) only take space.
for repo in localhost/mcm-stackit-base-runtime localhost/mcm-stackit-base-build; do
  "$ENGINE" images --format '{{.Repository}}:{{.Tag}}' "$repo" 2>/dev/null |
    grep -vxF -e "$RUNTIME_REF" -e "$BUILD_REF" | xargs -r "$ENGINE" rmi >/dev/null 2>&1 || true
done
find "$CACHE" -maxdepth 1 -name 'base-*.tar' ! -name "base-runtime-$(key runtime).tar" \
  ! -name "base-build-$(key build "$HOST_CAS").tar" -delete
echo "--build-arg GO_IMAGE=$BUILD_REF --build-arg NODE_IMAGE=$BUILD_REF --build-arg RUNTIME_IMAGE=$RUNTIME_REF"
