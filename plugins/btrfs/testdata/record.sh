#!/bin/bash
# Re-records the tool outputs in this folder from real btrfs images (root, loop devices,
# btrfs-progs, e2fsprogs). Usage: sudo plugins/btrfs/testdata/record.sh
# Everything it attaches or mounts it releases again, by the exact name it got.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bitarr-btrfs-record.XXXXXX)
loops=()
cleanup() {
  mountpoint -q "$work/m" && umount "$work/m"
  # mkfs registered the multi-device members with the kernel; forget them before they go.
  for l in "${loops[@]}"; do btrfs device scan --forget "$l" 2>/dev/null || true; losetup -d "$l"; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/m"

dev=
image() { # name sizeMiB -> sets $dev (not $(image): the loop must be recorded in this shell)
  truncate -s "$2M" "$work/$1.img"
  dev=$(losetup --find --show "$work/$1.img")
  loops+=("$dev")
}
chunks() { btrfs inspect-internal dump-tree -t chunk "$1"; }

# 1. One device, single data, filled up: the allocator ends in the gap at the start of the
#    device, so the last data chunk lies *below* the ones before it (logical 226 MiB -> 1 MiB).
image single 256; a=$dev
mkfs.btrfs -q -f -K "$a" >/dev/null
mount "$a" "$work/m"
head -c 40M /dev/urandom >"$work/m/a"
head -c 300M /dev/urandom >"$work/m/b" 2>/dev/null || true
btrfs filesystem sync "$work/m"
chunks "$a" >"$out/chunk-single-full.txt"
btrfs inspect-internal dump-super "$a" >"$out/dump-super-single.txt"
# FIEMAP of the kinds of files the mapper tells apart, in one call like the plugin makes.
rm "$work/m/b"
btrfs filesystem sync "$work/m"
touch "$work/m/compressed" && btrfs property set "$work/m/compressed" compression zstd
(yes "hello compressible world" || true) | head -c 300K >"$work/m/compressed"
printf 'tiny' >"$work/m/inline"
: >"$work/m/empty"
fallocate -l 256K "$work/m/prealloc"
(cd "$work/m" && filefrag -v -b1 -s -- a compressed inline empty prealloc) >"$out/filefrag-kinds.txt"
umount "$work/m"

# 2. DUP data: two copies of every data extent on the one device.
image dup 512; d=$dev
mkfs.btrfs -q -f -K -d dup "$d" >/dev/null
chunks "$d" >"$out/chunk-dup.txt"

# 3. Two devices: RAID1 data (a copy on each) and single data spread over both devids.
image raid1-a 512; r1=$dev
image raid1-b 512; r2=$dev
mkfs.btrfs -q -f -K -d raid1 -m raid1 "$r1" "$r2" >/dev/null
chunks "$r1" >"$out/chunk-raid1.txt"
image two-a 300; s1=$dev
image two-b 300; s2=$dev
mkfs.btrfs -q -f -K -d single -m raid1 "$s1" "$s2" >/dev/null
mount "$s1" "$work/m"
head -c 400M /dev/urandom >"$work/m/fill" 2>/dev/null || true
btrfs filesystem sync "$work/m"
umount "$work/m"
chunks "$s1" >"$out/chunk-two-devices.txt"
btrfs inspect-internal dump-super "$s2" >"$out/dump-super-devid2.txt"

# 4. Enough chunks for a chunk tree of more than one leaf (a node above them). fallocate
#    allocates data chunks without writing data, so the sparse image stays small.
image big 409600; big=$dev
mkfs.btrfs -q -f -K "$big" >/dev/null
mount "$big" "$work/m"
fallocate -l 300G "$work/m/prealloc"
btrfs filesystem sync "$work/m"
umount "$work/m"
chunks "$big" >"$out/chunk-multi-leaf.txt"
