#!/usr/bin/env bash
# make-base-image.sh [TAG]
# Builds a stand-in for the official node:22-bookworm-slim image without Docker Hub, for machines
# that reach only a Debian mirror and the npm registry (CI here): debootstrap minbase bookworm,
# the node binary and headers from the npm package node-linux-<arch>@22, npm@10 from npm. The
# Dockerfile then builds unchanged (`FROM node:22-bookworm-slim`).
# Needs root, debootstrap, a running dockerd and npm on the host. The debootstrapped rootfs is
# kept in BITARR_BASE_WORKDIR, so a rebuild (a newer node 22) skips the slow part.
set -euo pipefail
TAG=${1:-node:22-bookworm-slim}
W=${BITARR_BASE_WORKDIR:-/var/cache/bitarr/docker-base}
NODE_MAJOR=22

mirror() {
  local uri
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${MIRROR:-$(mirror)}

case "$(dpkg --print-architecture)" in
  amd64) NODE_ARCH=x64 ;;
  arm64) NODE_ARCH=arm64 ;;
  *) echo "make-base-image: no node-linux package for $(dpkg --print-architecture)" >&2; exit 2 ;;
esac

T0=$(date +%s.%N)
step() { printf '[%6.1fs] %s\n' "$(awk "BEGIN{print $(date +%s.%N) - $T0}")" "$*"; }

mkdir -p "$W/pkg"
cd "$W"
R=$W/rootfs
if [ ! -x "$R/bin/sh" ]; then
  # A half-finished debootstrap leaves a rootfs it cannot resume: start it clean.
  rm -rf "$R"
  debootstrap --variant=minbase bookworm "$R" "$MIRROR" >debootstrap.log 2>&1 \
    || { tail -20 debootstrap.log >&2; exit 1; }
fi
step "debootstrap minbase bookworm from $MIRROR"

(cd pkg && rm -rf ./*.tgz package && npm pack "node-linux-$NODE_ARCH@$NODE_MAJOR" npm@10 --silent >/dev/null)
NODE_TGZ=$(ls pkg/node-linux-*.tgz)
NPM_TGZ=$(ls pkg/npm-*.tgz)
NODE_VERSION=$(basename "$NODE_TGZ" .tgz | sed "s/node-linux-$NODE_ARCH-//")
step "npm pack $(basename "$NODE_TGZ") $(basename "$NPM_TGZ")"

tar -xzf "$NODE_TGZ" -C pkg
install -m755 pkg/package/bin/node "$R/usr/local/bin/node"
# Headers for node-gyp (npm_config_nodedir=/usr/local): it would otherwise download them.
mkdir -p "$R/usr/local/include"
rm -rf "$R/usr/local/include/node"
cp -a pkg/package/include/node "$R/usr/local/include/"
rm -rf "$R/usr/local/lib/node_modules/npm"
mkdir -p "$R/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$R/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
# The official image has a `node` user (1000:1000); keep the same shape.
chroot "$R" getent group node >/dev/null || chroot "$R" groupadd --gid 1000 node
chroot "$R" getent passwd node >/dev/null || chroot "$R" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
  "$MIRROR" "$MIRROR" "$MIRROR" >"$R/etc/apt/sources.list"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/*
# Where outbound TLS is re-signed by a proxy, npm inside the build must trust the host's CAs too
# (NODE_EXTRA_CA_CERTS adds to node's own roots, it does not replace them).
CA_ENV=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$R/usr/local/share/ci-ca"
  cp /etc/ssl/certs/ca-certificates.crt "$R/usr/local/share/ci-ca/ca-bundle.crt"
  CA_ENV=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ci-ca/ca-bundle.crt')
fi
chroot "$R" /usr/local/bin/node -v >/dev/null
chroot "$R" /usr/local/bin/npm -v >/dev/null
step "rootfs populated (node $NODE_VERSION)"

tar -C "$R" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  "${CA_ENV[@]}" \
  --change 'CMD ["node"]' - "$TAG" >/dev/null
step "docker import -> $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"
docker run --rm --network none "$TAG" node -e 'console.log("node", process.version, "ok")'
