#!/bin/sh
# Records the filefrag outputs under testdata/ (ext4 here, xfs into ../../xfs/testdata/).
# Run as root from this folder: ./record.sh ext4 | ./record.sh xfs. It makes an image in a temp
# dir, mounts it on a loop device, writes the files, runs filefrag the way the mapper does, and
# removes everything it made. Outputs: filefrag-FS.txt (stdout of `filefrag -v -b1 -s -- NAMES`),
# filefrag-FS.names (NAMES, one a line), filefrag-FS-nosync.txt (a fresh file without -s),
# filefrag-FS-missing.txt (stdout, then stderr and exit status, of a run naming a missing file).
set -eu
fs=$1
here=$(cd "$(dirname "$0")" && pwd)
case $fs in
  ext4) out=$here ;;
  xfs) out=$here/../../xfs/testdata ;;
  *) echo "usage: $0 ext4|xfs" >&2; exit 2 ;;
esac
work=$(mktemp -d)
loop=
cleanup() {
  cd /
  mountpoint -q "$work/mnt" && umount "$work/mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT
truncate -s 320M "$work/img"
if [ "$fs" = ext4 ]; then
  # inline_data so that a tiny file shows the "inline" flag; larger files are unaffected.
  mkfs.ext4 -q -F -O inline_data -E lazy_itable_init=0,lazy_journal_init=0 "$work/img"
else
  mkfs.xfs -q -f "$work/img"
fi
loop=$(losetup --find --show "$work/img")
mkdir "$work/mnt"
mount -t "$fs" "$loop" "$work/mnt"
cd "$work/mnt"

head -c 100000 /dev/urandom > plain.bin
: > empty
head -c 5000 /dev/urandom > 'with space.bin'
head -c 5000 /dev/urandom > -dash.bin
head -c 5000 /dev/urandom > 'ünïcode.bin'
# Appends to two files in turn, each synced, so their blocks interleave: several extents each.
for i in 1 2 3 4 5 6 7 8; do
  for f in frag.bin other.bin; do
    dd if=/dev/urandom of=$f bs=64k count=1 oflag=append conv=notrunc,fsync status=none
  done
done
# A 1 MiB hole, then 4 KiB of data.
dd if=/dev/urandom of=sparse.bin bs=4096 count=1 seek=256 conv=fsync status=none
# 1 MiB preallocated, the first 4 KiB written: the rest is an unwritten extent.
fallocate -l 1M prealloc.bin
dd if=/dev/urandom of=prealloc.bin bs=4096 count=1 conv=notrunc,fsync status=none
printf 'small enough to live in the inode\n' > tiny.txt
# Appended while held open: xfs preallocates past EOF (an unwritten extent beyond the size).
exec 3>>grow.bin
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do head -c 131072 /dev/urandom >&3; done
# Written and not synced: mapped below while still a delayed allocation.
head -c 300000 /dev/urandom > fresh.bin

printf '%s\n' plain.bin empty 'with space.bin' -dash.bin 'ünïcode.bin' frag.bin sparse.bin prealloc.bin tiny.txt fresh.bin grow.bin > "$out/filefrag-$fs.names"
filefrag -v -b1 -- fresh.bin > "$out/filefrag-$fs-nosync.txt"
filefrag -v -b1 -s -- plain.bin empty 'with space.bin' -dash.bin 'ünïcode.bin' frag.bin sparse.bin prealloc.bin tiny.txt fresh.bin grow.bin > "$out/filefrag-$fs.txt"
exec 3>&-
status=0
filefrag -v -b1 -s -- plain.bin missing.bin empty > "$out/filefrag-$fs-missing.txt" 2> "$work/stderr" || status=$?
{ echo '--- stderr:'; cat "$work/stderr"; echo "--- exit status: $status"; } >> "$out/filefrag-$fs-missing.txt"
echo "recorded $fs into $out"
