#!/bin/bash
# Re-records this folder's ntfsinfo outputs and boot sectors from fresh ntfs-3g volumes (as root).
# Needs mkntfs, ntfs-3g, ntfsinfo, losetup, node, and python3 for the extended attributes (the
# compression flag, a named stream, reparse data) that nothing else here can set.
# Usage: record.sh [OUTPUT_DIR]   (default: this folder). Everything it makes lives in one temp
# dir, on loop devices it attached, and is removed on exit.
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")}")
work=$(mktemp -d /tmp/ntfs-record.XXXXXX)
loops=()
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do umount "$m" || umount -l "$m"; done
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

# dump NAME INODE DEVICE: exactly the call the mapper makes.
dump() { LC_ALL=C ntfsinfo -f -t -v -i "$2" "$3" >"$out/$1.stdout" 2>/dev/null; }

volume small 16 4096
# Last block first: one run per cluster, more than one MFT record holds ($ATTRIBUTE_LIST).
node -e 'const fs = require("fs"), fd = fs.openSync(process.argv[1], "w");
  for (let i = 599; i >= 0; i--) fs.writeSync(fd, require("crypto").randomBytes(4096), 0, 4096, i * 4096);
  fs.closeSync(fd);' "$MNT/fragmented.bin"
echo 'hello, resident' >"$MNT/small.txt"
head -c 70000 /dev/urandom >"$MNT/streams.bin"
node -e 'const fs = require("fs"), c = require("crypto"), fd = fs.openSync(process.argv[1], "w");
  fs.writeSync(fd, c.randomBytes(8192), 0, 8192, 1048576); fs.writeSync(fd, c.randomBytes(4096), 0, 4096, 0);
  fs.closeSync(fd);' "$MNT/sparse.bin"
mkdir "$MNT/compressed"
head -c 70000 /dev/urandom >"$MNT/wof.bin"
wof_ino=$(stat -c %i "$MNT/wof.bin")
python3 - "$MNT" <<'PY'
import os, struct, sys
mnt = sys.argv[1]
# A named $DATA stream: what ntfs-3g makes of a user.* extended attribute.
os.setxattr(f'{mnt}/streams.bin', 'user.extra', os.urandom(9000))
# FILE_ATTRIBUTE_COMPRESSED on a directory: ntfs-3g compresses the files made in it.
attrib = int.from_bytes(os.getxattr(f'{mnt}/compressed', 'system.ntfs_attrib_be'), 'big') | 0x800
os.setxattr(f'{mnt}/compressed', 'system.ntfs_attrib_be', attrib.to_bytes(4, 'big'))
# A WOF reparse point (tag 0x80000017, XPRESS4K), as Windows' compact.exe leaves files.
payload = struct.pack('<IIII', 1, 1, 1, 0)
os.setxattr(f'{mnt}/wof.bin', 'system.ntfs_reparse_data', struct.pack('<IHH', 0x80000017, len(payload), 0) + payload)
PY
# yes dies of SIGPIPE once head has enough, which pipefail would take for a failure.
{ (yes 'compressible text line' || true) | head -c 300000; head -c 100000 /dev/urandom; } >"$MNT/compressed/c.txt"
sync -f "$MNT"
dump fragmented-attribute-list "$(stat -c %i "$MNT/fragmented.bin")" "$LOOP"
dump resident "$(stat -c %i "$MNT/small.txt")" "$LOOP"
dump named-stream "$(stat -c %i "$MNT/streams.bin")" "$LOOP"
dump sparse "$(stat -c %i "$MNT/sparse.bin")" "$LOOP"
dump compressed "$(stat -c %i "$MNT/compressed/c.txt")" "$LOOP"
dump reparse-wof "$wof_ino" "$LOOP"
LC_ALL=C ntfsinfo -f -t -v -i 99999 "$LOOP" 2>"$out/no-such-inode.stderr" >/dev/null
dd if="$LOOP" of="$out/bootsector-4k.bin" bs=512 count=1 status=none

# 64 KiB clusters: ntfs-3g starts each file 4096 clusters (256 MiB) past the last, so some of 24
# small files lie past 4 GiB. The one farthest in is recorded.
volume large 6144 65536
for i in $(seq 1 24); do head -c 100000 /dev/urandom >"$MNT/f$i"; done
sync -f "$MNT"
farthest=0 farthest_ino=
for f in "$MNT"/f*; do
  ino=$(stat -c %i "$f")
  lcn=$(LC_ALL=C ntfsinfo -f -t -v -i "$ino" "$LOOP" 2>/dev/null | awk '/Runlist:/ { getline; print $2; exit }')
  if ((lcn > farthest)); then farthest=$((lcn)) farthest_ino=$ino; fi
done
dump beyond-4gib-64k "$farthest_ino" "$LOOP"
dd if="$LOOP" of="$out/bootsector-64k.bin" bs=512 count=1 status=none
echo "recorded into $out"
