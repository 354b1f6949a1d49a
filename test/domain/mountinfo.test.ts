import test from 'ava';
import { mountFor, parseMountinfo, splitDev } from '../../src/domain/mountinfo.js';

// Recorded from this machine and from hosts with NFS/CIFS (no kernel client exists here).
const TEXT = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '97 22 7:3 / /mnt/my\\040disk rw,relatime shared:50 - xfs /dev/loop3 rw,attr2',
  '98 22 0:52 /@photos /srv/photos rw,relatime shared:51 - btrfs /dev/sdb2 rw,space_cache=v2,subvolid=257,subvol=/@photos',
  '99 22 0:53 / /mnt/nas rw,relatime shared:52 - nfs4 192.168.1.10:/export rw,vers=4.2',
].join('\n');

test('parses mountinfo, unescaping mount points', (t) => {
  const m = parseMountinfo(TEXT);
  t.is(m.length, 4);
  t.deepEqual(
    { ...m[1] },
    { major: 7, minor: 3, root: '/', mountPoint: '/mnt/my disk', options: 'rw,relatime', fsType: 'xfs', source: '/dev/loop3' },
  );
  t.is(m[2].root, '/@photos');
  t.is(m[3].fsType, 'nfs4');
});

test('finds the mount holding a path by device number and longest prefix', (t) => {
  const m = parseMountinfo(TEXT);
  const dev = (major: number, minor: number) => (BigInt(major) << 8n) | BigInt(minor);
  t.is(mountFor(m, '/mnt/my disk/a/b', dev(7, 3))?.source, '/dev/loop3');
  t.is(mountFor(m, '/srv/photos/2020', dev(0, 52))?.fsType, 'btrfs');
  t.is(mountFor(m, '/home/x', dev(254, 0))?.mountPoint, '/');
  t.is(mountFor(m, '/mnt/my disk', dev(254, 0))?.mountPoint, '/', 'an unmounted mount point belongs to the parent');
});

test('splits Linux dev_t like glibc', (t) => {
  t.deepEqual(splitDev(0x0703n), { major: 7, minor: 3 });
  t.deepEqual(splitDev(0xfe00n), { major: 254, minor: 0 });
  t.deepEqual(splitDev((259n << 8n) | 1n | (0x12n << 12n << 8n)), { major: 259, minor: 1 | (0x12 << 8) });
});
