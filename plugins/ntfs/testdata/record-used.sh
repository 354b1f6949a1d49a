#!/bin/bash
# Re-records the used-space files in this folder from fresh ntfs-3g volumes (as root): the
# cluster bitmap ($Bitmap, MFT record 6) as ntfscat gives it, ntfsinfo's dump of record 6, and
# the boot sector. Usage: record-used.sh [OUTPUT_DIR] (default: this folder). record.sh makes
# the other files. Everything it makes lives in one temp dir and is removed on exit.
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")}")
work=$(mktemp -d /tmp/ntfs-record-used.XXXXXX)
loops=()
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }; done
  for l in "${loops[@]}"; do
    for _ in $(seq 50); do fuser -s "$l" 2>/dev/null || break; sleep 0.1; done
    losetup -d "$l"
  done
  rm -rf "$work"
}
trap cleanup EXIT

# volume NAME SIZE_MIB CLUSTER_BYTES: sets LOOP and MNT.
volume() {
  truncate -s "$2M" "$work/$1.img"
  mkntfs -q -F -f -c "$3" "$work/$1.img" >/dev/null 2>&1
  LOOP=$(losetup --find --show "$work/$1.img")
  loops+=("$LOOP")
  MNT="$work/$1"
  mkdir "$MNT"
  ntfs-3g "$LOOP" "$MNT"
  mounts+=("$MNT")
}

# record NAME: the bitmap, record 6 and the boot sector of the volume at $LOOP, while mounted.
record() {
  LC_ALL=C ntfsinfo -f -t -v -i 6 "$LOOP" >"$out/$1-inode6.stdout" 2>/dev/null
  ntfscat -f "$LOOP" '$Bitmap' >"$out/$1-bitmap.bin" 2>/dev/null
  dd if="$LOOP" of="$out/$1-bootsector.bin" bs=512 count=1 status=none
}

# 256 MiB, 64 KiB clusters (the lab's default volume): a 20 MiB file and a deleted one between.
volume c64k 256 65536
head -c 3M /dev/urandom >"$MNT/gone.bin"
head -c 20M /dev/urandom >"$MNT/big.bin"
rm "$MNT/gone.bin"
record used-64k

# 16 MiB, 4 KiB clusters: small files, so runs start and end inside bitmap bytes.
volume c4k 16 4096
for i in 1 2 3 4 5; do head -c $((i * 5000)) /dev/urandom >"$MNT/f$i"; done
rm "$MNT/f2" "$MNT/f4"
record used-4k
echo "recorded into $out"
