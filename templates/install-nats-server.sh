#!/bin/sh
# Installs nats-server for the unit in /etc/systemd/system/nats-server.service:
# the pinned nats-io release {{natsVersion}}, checked against its SHA256SUMS.
set -eu

version="{{natsVersion}}"

arch=$(dpkg --print-architecture)
tarball="nats-server-v$version-linux-$arch.tar.gz"
base="https://github.com/nats-io/nats-server/releases/download/v$version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
curl -fsSL --retry 5 -o "$tarball" "$base/$tarball"
curl -fsSL --retry 5 -o SHA256SUMS "$base/SHA256SUMS"
grep " $tarball\$" SHA256SUMS | sha256sum --check --strict -
tar -xzf "$tarball"
install -m 0755 "nats-server-v$version-linux-$arch/nats-server" /usr/local/bin/nats-server
