#!/bin/bash
# Re-records the used-space outputs in this folder (root, loop devices, btrfs-progs).
# Usage: sudo plugins/btrfs/testdata/record-used.sh. The other files here come from record.sh.
# Everything it attaches or mounts it releases again, by the exact name it got.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bitarr-btrfs-used.XXXXXX)
loops=()
cleanup() {
  mountpoint -q "$work/m" && umount "$work/m"
  for l in "${loops[@]}"; do btrfs device scan --forget "$l" 2>/dev/null || true; losetup -d "$l"; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/m"

dev=
image() { # name sizeMiB -> sets $dev
  truncate -s "$2M" "$work/$1.img"
  dev=$(losetup --find --show "$work/$1.img")
  loops+=("$dev")
}

# 1. One 256 MiB device filled 1 MiB at a time (each fsynced): data chunks one after another,
#    the last one in the gap at the start of the device, so logical != physical. Then a file
#    is deleted, leaving holes in the data chunks: used space is not the chunks.
image single 256; a=$dev
mkfs.btrfs -q -f "$a" >/dev/null
mount "$a" "$work/m"
for i in $(seq 1 170); do head -c 1M /dev/urandom >>"$work/m/fill"; sync "$work/m/fill"; done
head -c 3M /dev/urandom >"$work/m/gone"
printf 'tiny' >"$work/m/inline"
btrfs filesystem sync "$work/m"
rm "$work/m/gone"
btrfs filesystem sync "$work/m"
umount "$work/m"
btrfs inspect-internal dump-tree -e "$a" >"$out/extent-dev-single.txt"
btrfs inspect-internal dump-tree -t dev "$a" >"$out/dev-tree-single.txt"
dd if="$a" of="$out/superblock-single.bin" bs=4096 skip=16 count=1 status=none
btrfs inspect-internal dump-super "$a" >"$out/superblock-single.dump-super.txt"

# 2. Two devices, RAID0 data (striped: no linear translation) and RAID1 metadata.
image r0a 512; r1=$dev
image r0b 512; r2=$dev
mkfs.btrfs -q -f -d raid0 -m raid1 "$r1" "$r2" >/dev/null
mount "$r1" "$work/m"
head -c 100M /dev/urandom >"$work/m/striped"
btrfs filesystem sync "$work/m"
umount "$work/m"
btrfs inspect-internal dump-tree -e "$r1" >"$out/extent-dev-raid0.txt"
