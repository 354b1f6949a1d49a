#!/bin/sh
# Recorded once (mtools 4.0.32, dosfstools 4.2, Debian 12) to make fat12-mtools.img.gz and
# fat12-mtools.sha256; kept so the recording can be remade. Not run by the tests.
# fusefat refuses non-ASCII names, so the Unicode long names come from mtools instead.
set -eu
out=${1:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
line() { # unique, compressible content: "<name> line <n> ..." up to <size> bytes
  python3 -c 'import sys
name, size = sys.argv[1], int(sys.argv[2]); out = bytearray(); n = 0
while len(out) < size: out += f"{name} line {n:06d} the quick brown fox jumps over the lazy dog\n".encode(); n += 1
sys.stdout.buffer.write(bytes(out[:size]))' "$1" "$2" > "$work/$1"
}
img=$work/fat12.img
truncate -s 1440K "$img"
mkfs.vfat -F 12 -n RECORDED -i 12345678 "$img" >/dev/null
export LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1
for spec in readme:700 snow:3000 long:9000 one:2000 two:2000 three:2000 grown:6000; do line "${spec%%:*}" "${spec##*:}"; done
: > "$work/empty"
mmd -i "$img" ::/Musik "::/Musik/Ünïcödé Ålbum" ::/frag
mcopy -i "$img" "$work/readme" ::/README.TXT
mcopy -i "$img" "$work/empty" ::/empty.txt
mcopy -i "$img" "$work/snow" "::/Musik/Ünïcödé Ålbum/Snow ☃ – track.bin"
mcopy -i "$img" "$work/long" "::/Musik/Ünïcödé Ålbum/A very long file name that needs several LFN entries.txt"
mcopy -i "$img" "$work/one" ::/frag/one.bin
mcopy -i "$img" "$work/two" ::/frag/two.bin
mcopy -i "$img" "$work/three" ::/frag/three.bin
mdel -i "$img" ::/frag/two.bin
mcopy -i "$img" "$work/grown" ::/frag/grown.bin # fills two.bin's hole, then goes on after three.bin
gzip -9n < "$img" > "$out/fat12-mtools.img.gz"
sum() { printf '%s  %s\n' "$(sha256sum < "$work/$1" | cut -d' ' -f1)" "$2"; }
{
  sum readme README.TXT
  sum empty empty.txt
  sum snow "Musik/Ünïcödé Ålbum/Snow ☃ – track.bin"
  sum long "Musik/Ünïcödé Ålbum/A very long file name that needs several LFN entries.txt"
  sum one frag/one.bin
  sum three frag/three.bin
  sum grown frag/grown.bin
} > "$out/fat12-mtools.sha256"
