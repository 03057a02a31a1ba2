#!/bin/sh
# Installs nats-server for the unit in /etc/systemd/system/nats-server.service.
#   release: the pinned GitHub release {{natsVersion}}, checked against its SHA256SUMS
#   apt:     the distribution's nats-server package
set -eu

method="{{installMethod}}"
version="{{natsVersion}}"

if [ "$method" = apt ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nats-server
  exit 0
fi

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
