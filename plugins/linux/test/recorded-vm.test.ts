// Outputs recorded on this VM (virtio root disk, loop devices, no udev): lsblk, blkid as root
// and as nobody, the sysfs facts the reader gathered, and mountinfo with btrfs subvolumes, a
// bind mount, a FUSE exfat and pseudo filesystems.
import test from 'ava';
import { assemble } from '../assemble.js';
import { parseBlkidExport } from '../blkid.js';
import type { SysfsFacts } from '../sysfs.js';
import { mountFacts, observations, testdata } from './fixtures.js';

const recorded = JSON.parse(testdata('vm-sysfs.json')) as { sysfs: Record<string, SysfsFacts>; btrfsMembers: Record<string, string[]> };

function vm(blkidFile: string, isRoot: boolean) {
  const mounts = mountFacts(testdata('vm-mountinfo.txt'));
  const blkid = parseBlkidExport(testdata(blkidFile));
  return assemble(
    observations('vm-lsblk.json', mounts, {
      blkid,
      blkidAsked: new Set(['/dev/vda', '/dev/loop4', '/dev/loop5']),
      sysfs: new Map(Object.entries(recorded.sysfs)),
      devnoToKname: new Map([['254:0', 'vda'], ['7:5', 'loop5']]),
      btrfsMembers: new Map(Object.entries(recorded.btrfsMembers)),
      isRoot,
    }),
  );
}

test('pseudo filesystems get no device; each block filesystem gets one', (t) => {
  const devices = vm('vm-blkid.txt', true);
  t.deepEqual(devices.map((d) => d.devicePath), ['/dev/vda', '/dev/loop4', '/dev/loop5']);
  t.false(devices.some((d) => d.mounts.some((m) => ['proc', 'sysfs', 'tmpfs', 'cgroup2'].includes(m.fsType))));
});

test('the virtio root disk is virtual, never hdd, though the kernel says rotational=1', (t) => {
  const vda = vm('vm-blkid.txt', true).find((d) => d.devicePath === '/dev/vda')!;
  t.is(vda.type, 'virtual');
  t.is(vda.rotational, null);
  t.is(vda.transport, 'virtio');
  t.true(vda.evidence.includes('kernel says rotational=1: virtual disks report that by default, ignored'));
  // blkid may not open /dev/vda here even as root (the VM's device cgroup): the serial stands in.
  t.deepEqual(vda.identity, { kind: 'serial', value: 'overlayblk' });
  t.is(vda.unknown.find((u) => u.fact === 'filesystem UUID')?.needs, 'read access to the device');
});

test('a btrfs with subvolume and bind mounts is one loop device with all four mounts', (t) => {
  const btrfs = vm('vm-blkid.txt', true).find((d) => d.devicePath === '/dev/loop4')!;
  t.is(btrfs.type, 'loop');
  t.not(btrfs.type as string, 'hdd');
  t.true(btrfs.evidence.includes('backed by file /tmp/linuxdet-scratch/btrfs.img'));
  t.deepEqual(btrfs.mounts.map((m) => m.root), ['/', '/sv1', '/sv2', '/sv1']);
  t.deepEqual(btrfs.identity, { kind: 'fs-uuid', value: 'c897f812-4276-4e3c-9dfd-0b19c76d6243' });
  t.is(btrfs.label, 'labbtr');
  t.is(btrfs.sizeBytes, 268435456);
});

test('exfat through FUSE reports the content type, not fuseblk', (t) => {
  const exfat = vm('vm-blkid.txt', true).find((d) => d.devicePath === '/dev/loop5')!;
  t.is(exfat.fsType, 'exfat');
  t.is(exfat.mounts[0]!.fsType, 'fuseblk');
  t.deepEqual(exfat.identity, { kind: 'fs-uuid', value: '7F3F-86C6' });
});

test('as nobody blkid answers nothing: the UUID is unknown and needs root, except btrfs, which sysfs names', (t) => {
  const devices = vm('vm-blkid-nobody.txt', false);
  const exfat = devices.find((d) => d.devicePath === '/dev/loop5')!;
  t.is(exfat.fsUuid, null);
  t.deepEqual(exfat.unknown.find((u) => u.fact === 'filesystem UUID'), {
    fact: 'filesystem UUID',
    reason: 'blkid could not read /dev/loop5; lsblk reads UUIDs from udev, absent here',
    needs: 'root',
  });
  t.deepEqual(exfat.identity, { kind: 'kernel-name', value: '/tmp/linuxdet-scratch/exfat.img' });
  const btrfs = devices.find((d) => d.devicePath === '/dev/loop4')!;
  t.is(btrfs.fsUuid, 'c897f812-4276-4e3c-9dfd-0b19c76d6243');
});
