#!/bin/sh
# Mounts this node's block-storage volume for JetStream's store and records it in /etc/fstab.
# A replaced droplet gets the same volume: it must find its data, so a filesystem is created
# only when the volume has none. Any failure exits non-zero, and the unit refuses to start
# without the mount (RequiresMountsFor=, ExecStartPre=mountpoint): JetStream never writes to
# the root disk.
set -eu

device="{{volumeDevice}}"
mount_point="{{mountPoint}}"
filesystem="{{filesystem}}"

# Attached at creation, the volume's device link can still appear a moment after boot.
waited=0
until [ -b "$device" ]; do
  if [ "$waited" -ge 120 ]; then
    echo "mount-nats-volume: $device did not appear within 120 s" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done

# blkid -p exits 0 when it finds a filesystem (or any signature), 2 when the device is empty;
# anything else is an error, and an error must never lead to mkfs.
status=0
blkid -p "$device" >/dev/null || status=$?
if [ "$status" -eq 2 ]; then
  mkfs -t "$filesystem" "$device"
elif [ "$status" -ne 0 ]; then
  echo "mount-nats-volume: blkid -p $device failed with status $status" >&2
  exit 1
fi

mkdir -p "$mount_point"
if ! grep -q "^$device " /etc/fstab; then
  echo "$device $mount_point $filesystem defaults,nofail,noatime,discard 0 2" >> /etc/fstab
fi
systemctl daemon-reload
mountpoint -q "$mount_point" || mount "$mount_point"

# The nats user's id can differ on a new droplet (another image): the store must stay its own.
install -d -m 0750 "$mount_point/jetstream"
chown -R nats:nats "$mount_point/jetstream"
