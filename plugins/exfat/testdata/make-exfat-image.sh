#!/bin/sh
# Recorded once as root (exfatprogs 1.2.0 mkfs.exfat, exfat-fuse 1.3.0, Debian 12) to make
# exfat-fuse.img.gz and exfat-fuse.sha256; kept so the recording can be remade. Not run by the tests.
set -eu
out=$(realpath "${1:-.}")
work=$(mktemp -d)
img=$work/exfat.img
mkdir "$work/mnt"
truncate -s 4M "$img"
mkfs.exfat -L RECORDED "$img" >/dev/null
loop=$(losetup -f --show "$img")
cleanup() { umount "$work/mnt" 2>/dev/null || true; losetup -d "$loop"; rm -rf "$work"; }
trap cleanup EXIT
LC_ALL=C.UTF-8 mount.exfat-fuse "$loop" "$work/mnt" >/dev/null
cd "$work/mnt"
MANIFEST="$out/exfat-fuse.sha256" python3 - <<'PY'
import hashlib, os
def content(name, size):  # unique, compressible: "<name> line <n> ..."
    out = bytearray(); n = 0
    while len(out) < size:
        out += f"{name} line {n:06d} the quick brown fox jumps over the lazy dog\n".encode(); n += 1
    return bytes(out[:size])
files = {}
def write(path, size):
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    files[path] = content(os.path.basename(path), size)
    with open(path, 'wb') as f: f.write(files[path])
write('contiguous.bin', 20000)
write('Musik/Ünïcödé Ålbum/Snow ☃ – track.bin', 3000)
write('Musik/Ünïcödé Ålbum/A file name longer than fifteen UTF-16 units, so several 0xC1 entries.txt', 5000)
write('émoji 😀/smile.bin', 100)
write('empty.txt', 0)
# Written a block at a time in turn, so the allocator interleaves them: FAT chains, not NoFatChain.
a, b = content('frag-a.bin', 24576), content('frag-b.bin', 24576)
files['frag-a.bin'], files['frag-b.bin'] = a, b
with open('frag-a.bin', 'wb') as fa, open('frag-b.bin', 'wb') as fb:
    for at in range(0, len(a), 4096):
        fa.write(a[at:at + 4096]); fa.flush(); fb.write(b[at:at + 4096]); fb.flush()
# Enough entries that the directory outgrows its first cluster.
for i in range(60):
    write(f'many/file number {i:03d} with a longish name.txt', 10)
with open(os.environ.get('MANIFEST', '/dev/null'), 'w') as m:
    for path, data in files.items(): m.write(f'{hashlib.sha256(data).hexdigest()}  {path}\n')
PY
cd /
umount "$work/mnt"
gzip -9n < "$img" > "$out/exfat-fuse.img.gz"
