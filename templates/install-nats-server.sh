#!/bin/sh
# Installs nats-server for the unit in /etc/systemd/system/nats-server.service: the nats-io
# release {{natsVersion}}, downloaded from the base below and checked against the SHA-256
# pinned here (constructs/nats-releases.ts), never against a checksum file from the same place.
set -eu

version="{{natsVersion}}"
base="{{releaseUrl}}/v$version"

arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) sha256="{{sha256Amd64}}" ;;
  arm64) sha256="{{sha256Arm64}}" ;;
  *) echo "install-nats-server: no pinned SHA-256 of nats-server $version for $arch" >&2; exit 1 ;;
esac
tarball="nats-server-v$version-linux-$arch.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
curl -fsSL --retry 5 -o "$tarball" "$base/$tarball"
echo "$sha256  $tarball" | sha256sum --check --strict -
tar -xzf "$tarball"
install -m 0755 "nats-server-v$version-linux-$arch/nats-server" /usr/local/bin/nats-server
