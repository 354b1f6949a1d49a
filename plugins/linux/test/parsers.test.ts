// The pure parsers on recorded outputs, and on the broken ones a user's machine can produce.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifest } from '../../../src/plugin-host/manifest.js';
import { wwnFromWwid } from '../assemble.js';
import { blkidCalls, parseBlkidExport } from '../blkid.js';
import { classifyDisk, type DiskFacts } from '../classify.js';
import { LsblkParseError, parseLsblkJson } from '../lsblk.js';
import { filesystemKey, mountVerdict, NETWORK_FILESYSTEMS, PSEUDO_FILESYSTEMS } from '../mounts.js';
import { serialFromVpd80 } from '../sysfs.js';
import { parseUdevDb } from '../udev.js';
import { TESTDATA, mountFacts, testdata } from './fixtures.js';

test('lsblk 2.38 JSON (typed values) parses, loop and virtio disks included', (t) => {
  const devices = parseLsblkJson(testdata('vm-lsblk.json'));
  const vda = devices.find((d) => d.kname === 'vda')!;
  t.is(vda.majMin, '254:0');
  t.is(vda.sizeBytes, 274877906944);
  t.is(vda.rotational, true);
  t.is(vda.subsystems, 'block:virtio:pci');
  t.is(vda.uuid, null);
  t.is(devices.find((d) => d.kname === 'loop4')!.type, 'loop');
});

test('old lsblk JSON (all strings, --paths) parses to the same kinds of values', (t) => {
  const [sda, sda1] = parseLsblkJson(testdata('sata-hdd-seagate.lsblk.json'));
  t.is(sda!.kname, 'sda');
  t.is(sda!.rotational, true);
  t.is(sda!.removable, false);
  t.is(sda!.vendor, 'ATA');
  t.is(sda!.sizeBytes, null);
  t.deepEqual(sda1!.parents, ['sda']);
  t.is(sda1!.majMin, '8:1');
});

test('a RAID member listed under each of its disks becomes one record with every parent', (t) => {
  const devices = parseLsblkJson(testdata('md-luks-btrfs.lsblk.json'));
  t.deepEqual(devices.find((d) => d.kname === 'md127')!.parents, ['sda', 'sdb']);
  const root = devices.find((d) => d.kname === 'dm-0')!;
  t.is(root.name, 'cr_root');
  t.deepEqual(root.parents, ['md127p2']);
  t.is(devices.filter((d) => d.kname === 'dm-0').length, 1);
});

test('truncated or foreign lsblk output is a clear parse error, not a crash elsewhere', (t) => {
  const cut = testdata('vm-lsblk.json').slice(0, 500);
  t.throws(() => parseLsblkJson(cut), { instanceOf: LsblkParseError, message: /not JSON/ });
  t.throws(() => parseLsblkJson('{"devices": []}'), { instanceOf: LsblkParseError, message: /blockdevices/ });
});

test('blkid export: one record per device, shell escapes undone, unanswered devices absent', (t) => {
  const records = parseBlkidExport(testdata('vm-blkid.txt'));
  t.deepEqual([...records.keys()], ['/dev/loop4', '/dev/loop5']);
  t.is(records.get('/dev/loop4')!.UUID_SUB, '798276c2-392c-47fc-9552-6dd45af2f16b');
  t.is(parseBlkidExport('DEVNAME=/dev/sdb1\nLABEL=My\\ Disk\\ \\$1\nTYPE=vfat\n').get('/dev/sdb1')!.LABEL, 'My Disk $1');
  t.is(parseBlkidExport(testdata('vm-blkid-nobody.txt')).size, 0);
});

test('blkid is batched: 1200 devices are three calls, never one per device', (t) => {
  const calls = blkidCalls(Array.from({ length: 1200 }, (_, i) => `/dev/loop${i}`));
  t.deepEqual(calls.map((c) => c.length - 4), [500, 500, 200]);
  t.deepEqual(calls[0]!.slice(0, 4), ['-c', '/dev/null', '-o', 'export']);
});

test('udevadm export-db: properties keyed by device node', (t) => {
  const usb = parseUdevDb(testdata('usb-sabrent.udevadm.txt')).get('/dev/sda')!;
  t.is(usb.ID_BUS, 'usb');
  t.is(usb.ID_SERIAL_SHORT, '000000123AD2');
  const part = parseUdevDb(testdata('sata-samsung-part.udevadm.txt')).get('/dev/sda4')!;
  t.is(part.ID_ATA_ROTATION_RATE_RPM, '0');
  t.is(parseUdevDb('').size, 0);
});

const udevDisk = (props: Record<string, string>, kname: string): DiskFacts => ({
  kname,
  blockType: null,
  transport: null,
  rotational: true,
  model: props.ID_MODEL ?? null,
  vendor: props.ID_VENDOR ?? null,
  serial: props.ID_SERIAL_SHORT ?? null,
  wwn: null,
  sizeBytes: null,
  removable: null,
  subsystems: null,
  devicePath: props.DEVPATH ? `/sys${props.DEVPATH}` : null,
  backingFile: null,
  cardType: null,
  udevBus: props.ID_BUS ?? null,
  rotationRpm: props.ID_ATA_ROTATION_RATE_RPM ? Number(props.ID_ATA_ROTATION_RATE_RPM) : null,
});

test('from udev alone: a SATA SSD is ssd by the drive\'s rotation rate, a USB bridge is usb by its bus', (t) => {
  const ssd = classifyDisk(udevDisk(parseUdevDb(testdata('sata-samsung-part.udevadm.txt')).get('/dev/sda4')!, 'sda'));
  t.is(ssd.type, 'ssd');
  t.is(ssd.rotational, false);
  t.true(ssd.evidence.includes('the drive reports solid state (rotation rate 0)'));
  const usb = classifyDisk(udevDisk(parseUdevDb(testdata('usb-sabrent.udevadm.txt')).get('/dev/sda')!, 'sda'));
  t.is(usb.type, 'usb');
});

test('loop devices are never hdd, whatever rotational says', (t) => {
  const loop = udevDisk({}, 'loop3');
  const c = classifyDisk({ ...loop, backingFile: '/srv/images/disk.img', transport: 'sata' });
  t.is(c.type, 'loop');
  t.is(c.rotational, null);
  t.true(c.evidence.includes('backed by file /srv/images/disk.img'));
});

test('a disk with no transport known is unknown: rotational alone decides nothing', (t) => {
  const c = classifyDisk(udevDisk({}, 'sdz'));
  t.is(c.type, 'unknown');
  t.true(c.evidence.includes('kernel says rotational=1: not trusted without a known transport'));
});

test('VPD page 0x80 and sysfs wwid decode to a serial and lsblk-style WWNs', (t) => {
  const page = Buffer.concat([Buffer.from([0x00, 0x80, 0x00, 0x0e]), Buffer.from('  S3Z1NB0K123X ', 'latin1')]);
  t.is(serialFromVpd80(page), 'S3Z1NB0K123X');
  t.is(serialFromVpd80(Buffer.from([0x00, 0x83, 0x00, 0x00])), null);
  t.is(wwnFromWwid('naa.5000C5008A6CE52C'), '0x5000c5008a6ce52c');
  t.is(wwnFromWwid('eui.002538646100e442'), 'eui.002538646100e442');
  t.is(wwnFromWwid('t10.ATA     ST500LM000-1EJ16                        W76570S8'), null);
});

test('pseudo and network filesystems are left alone; /dev sources and block devnos are taken', (t) => {
  const mounts = mountFacts(testdata('vm-mountinfo.txt'));
  t.deepEqual(
    mounts.filter((m) => mountVerdict(m).handled).map((m) => m.fsType),
    ['ext4', 'btrfs', 'btrfs', 'btrfs', 'btrfs', 'fuseblk'],
  );
  const nfs = { mountPoint: '/mnt/nas', root: '/', fsType: 'nfs4', source: 'nas:/export', options: 'rw', devno: '0:55' };
  t.deepEqual(mountVerdict(nfs), { handled: false, reason: 'nfs4 is a network filesystem' });
  t.deepEqual(mountVerdict({ ...nfs, fsType: 'zfs', source: 'tank/data' }).handled, false);
  t.true(PSEUDO_FILESYSTEMS.includes('tmpfs') && PSEUDO_FILESYSTEMS.includes('overlay'));
  t.true(NETWORK_FILESYSTEMS.includes('cifs') && NETWORK_FILESYSTEMS.includes('fuse.sshfs'));
  // btrfs subvolumes share the superblock's anonymous devno: one filesystem.
  t.is(new Set(mounts.filter((m) => m.fsType === 'btrfs').map(filesystemKey)).size, 1);
});

test('plugin.json passes the host\'s manifest check and index exports a detector', async (t) => {
  const check = validateManifest(JSON.parse(readFileSync(join(TESTDATA, '..', 'plugin.json'), 'utf8')), 'linux');
  t.true(check.ok, JSON.stringify(check));
  const plugin = (await import('../index.js')).default;
  t.is(typeof plugin.detector?.detect, 'function');
  t.is(plugin.sectorMapper, undefined);
});

test('a FUSE daemon names its device beside the mount point (fusefat); other processes and files do not count', async (t) => {
  const { deviceFromArgs } = await import('../fuse-daemon.js');
  const isBlock = (a: string) => a === '/dev/loop7';
  t.is(deviceFromArgs(['fusefat', '-o', 'rw+', '/dev/loop7', '/mnt/usb'], '/mnt/usb', isBlock), '/dev/loop7');
  t.is(deviceFromArgs(['fusefat', '/dev/loop7', '/mnt/other'], '/mnt/usb', isBlock), null, 'another mount point');
  t.is(deviceFromArgs(['fusefat', '/dev/null', '/mnt/usb'], '/mnt/usb', isBlock), null, 'not a block device');
});
