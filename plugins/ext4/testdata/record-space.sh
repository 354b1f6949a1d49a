#!/bin/sh
# Records what the used-space reader runs, on a filesystem in a known state (ext4 here, xfs into
# ../../xfs/testdata/). Run as root from this folder: ./record-space.sh ext4 | ./record-space.sh xfs.
# It makes an image in a temp dir on a loop device, writes a 20 MiB file and 1100 small files,
# deletes every other small one (free and used space alternate: more than the 1024 records of one
# GETFSMAP batch), and removes everything it made. Outputs (FS = ext4 or xfs):
#   fsmap-FS.txt       stdout of `xfs_io -r -c syncfs -c 'fsmap -m' MNT` (as the plugin runs it)
#   fsmap-FS.device    "MAJOR:MINOR SIZE_BYTES" of the loop device (blockdev --getsize64)
#   fsmap-FS-big.txt   stdout of `filefrag -v -b1 -s -- big.bin`: where the 20 MiB file is
#   dumpe2fs-ext4.txt  stdout of `dumpe2fs DEV`, same state (ext4 only)
#   fsmap-xfs-rmap.txt, fsmap-xfs-rmap-nobody.txt, fsmap-xfs-rmap.device: an xfs made with
#                      -m rmapbt=1, read by root and by nobody (xfs only)
set -eu
fs=$1
here=$(cd "$(dirname "$0")" && pwd)
case $fs in
  ext4) out=$here ;;
  xfs) out=$here/../../xfs/testdata ;;
  *) echo "usage: $0 ext4|xfs" >&2; exit 2 ;;
esac
work=$(mktemp -d)
chmod 755 "$work"
loop=
cleanup() {
  cd /
  mountpoint -q "$work/mnt" && umount "$work/mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

# $1: extra mkfs.xfs options. Leaves the filesystem mounted at $work/mnt on $loop.
make_fs() {
  truncate -s 0 "$work/img"
  if [ "$fs" = ext4 ]; then
    truncate -s 256M "$work/img"
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$work/img"
  else
    truncate -s 320M "$work/img"
    mkfs.xfs -q -f $1 "$work/img"
  fi
  loop=$(losetup --find --show "$work/img")
  mkdir -p "$work/mnt"
  mount -t "$fs" "$loop" "$work/mnt"
  head -c 20971520 /dev/urandom > "$work/mnt/big.bin"
  mkdir "$work/mnt/small"
  i=0
  while [ $i -lt 1100 ]; do head -c 1000 /dev/urandom > "$work/mnt/small/$i"; i=$((i + 1)); done
  sync -f "$work/mnt"
  i=0
  while [ $i -lt 1100 ]; do rm "$work/mnt/small/$i"; i=$((i + 2)); done
}

device_line() {
  printf '%d:%d %s\n' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")" "$(blockdev --getsize64 "$loop")"
}

unmount_fs() {
  umount "$work/mnt"
  losetup -d "$loop"
  loop=
}

make_fs ''
xfs_io -r -c syncfs -c 'fsmap -m' "$work/mnt" > "$out/fsmap-$fs.txt"
[ "$fs" = ext4 ] && dumpe2fs "$loop" 2>/dev/null > "$out/dumpe2fs-ext4.txt"
device_line > "$out/fsmap-$fs.device"
(cd "$work/mnt" && filefrag -v -b1 -s -- big.bin) > "$out/fsmap-$fs-big.txt"
unmount_fs

if [ "$fs" = xfs ]; then
  make_fs '-m rmapbt=1'
  xfs_io -r -c syncfs -c 'fsmap -m' "$work/mnt" > "$out/fsmap-xfs-rmap.txt"
  setpriv --reuid=nobody --regid=nogroup --clear-groups xfs_io -r -c 'fsmap -m' "$work/mnt" > "$out/fsmap-xfs-rmap-nobody.txt"
  device_line > "$out/fsmap-xfs-rmap.device"
  unmount_fs
fi
echo "recorded $fs into $out"
