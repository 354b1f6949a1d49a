import test from 'ava';
import { mountFor, parseMountinfo } from '../../src/domain/mountinfo.js';

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

test('finds the mount holding a path: the deepest mount point above it', (t) => {
  const m = parseMountinfo(TEXT);
  t.is(mountFor(m, '/mnt/my disk/a/b')?.source, '/dev/loop3');
  t.is(mountFor(m, '/mnt/my disk')?.source, '/dev/loop3');
  t.is(mountFor(m, '/mnt/my diskette')?.mountPoint, '/', 'a name that only starts like a mount point is not under it');
  t.is(mountFor(m, '/srv/photos/2020')?.fsType, 'btrfs');
  t.is(mountFor(m, '/home/x')?.mountPoint, '/');
});

test('the last of stacked mounts is the one on top', (t) => {
  const m = parseMountinfo(TEXT + '\n100 97 7:4 / /mnt/my\\040disk rw - ext4 /dev/loop4 rw');
  t.is(mountFor(m, '/mnt/my disk/x')?.source, '/dev/loop4');
});
