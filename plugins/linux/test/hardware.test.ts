// Hardware this machine does not have, from lsblk/udevadm outputs people published (sources in
// the README), through the same assemble() that detect() uses. Each test is something a user
// would notice on the devices page: the kind of disk, why, and how it is recognised next boot.
import test from 'ava';
import { assemble } from '../assemble.js';
import { parseLsblkJson } from '../lsblk.js';
import { parseUdevDb } from '../udev.js';
import { fixtureMounts, observations, testdata } from './fixtures.js';

const only = <T>(list: T[]): T => {
  if (list.length !== 1) throw new Error(`expected one device, got ${list.length}`);
  return list[0]!;
};
const withoutUuids = (file: string) => parseLsblkJson(testdata(file)).map((d) => ({ ...d, uuid: null }));

test('an NVMe partition is nvme, with the transport as evidence and the disk behind it', (t) => {
  const devices = assemble(observations('nvme-samsung.lsblk.json', [...fixtureMounts('/dev/nvme0n1p2'), ...fixtureMounts('/dev/nvme0n1p1')]));
  t.is(devices.length, 2);
  const root = devices.find((d) => d.devicePath === '/dev/nvme0n1p2')!;
  t.is(root.type, 'nvme');
  t.true(root.evidence.includes('transport nvme'));
  t.true(root.evidence.includes('nvme0n1p2 is partition 2 of nvme0n1'));
  t.deepEqual(root.identity, { kind: 'fs-uuid', value: 'f4c40183-0a2d-4d97-b71e-25a4043ce01f' });
  t.is(root.rotational, false);
  t.is(root.transport, 'nvme');
  t.is(root.model, 'SAMSUNG MZVPV512HDGL-000H1');
  t.is(root.serial, 'S27FNYAH407000');
  t.is(root.wwn, 'eui.002538646100e442');
  t.is(root.sizeBytes, 511571918848);
  t.is(root.fsType, 'ext4');
  const efi = devices.find((d) => d.devicePath === '/dev/nvme0n1p1')!;
  t.deepEqual(efi.identity, { kind: 'fs-uuid', value: '84A0-088E' });
});

test('without filesystem UUIDs, two partitions of one NVMe keep two identities (WWN plus partition)', (t) => {
  const devices = assemble(observations(withoutUuids('nvme-samsung.lsblk.json'), [...fixtureMounts('/dev/nvme0n1p2'), ...fixtureMounts('/dev/nvme0n1p1')]));
  t.deepEqual(
    devices.map((d) => d.identity),
    [
      { kind: 'wwn', value: 'eui.002538646100e442-part2' },
      { kind: 'wwn', value: 'eui.002538646100e442-part1' },
    ],
  );
  t.true(devices.every((d) => d.unknown.some((u) => u.fact === 'filesystem UUID')));
});

test('a SATA HDD from an old lsblk (string values, --paths, human sizes) is hdd, and ntfs under fuseblk says ntfs', (t) => {
  const device = only(assemble(observations('sata-hdd-seagate.lsblk.json', fixtureMounts('/dev/sda1', '/mnt/win7'))));
  t.is(device.type, 'hdd');
  t.true(device.evidence.includes('transport sata'));
  t.true(device.evidence.some((e) => e.startsWith('kernel says rotational=1 on a real sata drive')));
  t.is(device.rotational, true);
  t.is(device.fsType, 'ntfs');
  t.is(device.mounts[0]!.fsType, 'fuseblk');
  t.is(device.label, 'Win7x64');
  t.deepEqual(device.identity, { kind: 'fs-uuid', value: 'D0A43186A4316FD8' });
  t.is(device.wwn, '0x5000c5008a6ce52c');
  // "138G" is a rounded figure: no size is better than a wrong one.
  t.is(device.sizeBytes, null);
});

test('a disk with no filesystem UUID readable falls back to its WWN, never to /dev/sda1', (t) => {
  const device = only(assemble(observations(withoutUuids('sata-hdd-seagate.lsblk.json'), fixtureMounts('/dev/sda1', '/mnt/win7'))));
  t.deepEqual(device.identity, { kind: 'wwn', value: '0x5000c5008a6ce52c-part1' });
});

test('a SATA SSD seen by non-root in a container without udev: ssd, and each missing fact says what would tell it', (t) => {
  const device = only(assemble(observations('sata-ssd-crucial.lsblk.json', fixtureMounts('/dev/sda1', '/mnt/ssd'), { isRoot: false })));
  t.is(device.type, 'ssd');
  t.true(device.evidence.includes('transport sata'));
  t.true(device.evidence.includes('model CT1000MX500SSD1'));
  t.is(device.rotational, false);
  const needs = Object.fromEntries(device.unknown.map((u) => [u.fact, u.needs]));
  t.is(needs['filesystem UUID'], 'root');
  t.is(needs['serial of sda'], 'root');
  t.is(needs['WWN of sda'], 'udevadm');
  t.regex(device.unknown.find((u) => u.fact === 'serial of sda')!.reason, /vpd_pg80/);
  t.deepEqual(device.identity, { kind: 'model', value: 'CT1000MX500SSD1:1000204886016-part1' });
  t.true(device.warnings.some((w) => /model and size only/.test(w)));
});

test('a USB disk is usb even when it spins, with its serial as identity when no UUID is known', (t) => {
  const device = only(assemble(observations('usb-hdd-toshiba.lsblk.json', fixtureMounts('/dev/sda1', '/media/usb'))));
  t.is(device.type, 'usb');
  t.is(device.transport, 'usb');
  t.is(device.rotational, true);
  t.true(device.evidence.includes('transport usb'));
  t.true(device.evidence.some((e) => /bridge may report 1 for an SSD/.test(e)));
  t.deepEqual(device.identity, { kind: 'serial', value: '47168K6NS-part1' });
});

test('a USB disk whose lsblk has no TRAN is still usb, from its subsystems', (t) => {
  const lsblk = parseLsblkJson(testdata('usb-hdd-toshiba.lsblk.json')).map((d) => ({ ...d, transport: null }));
  const device = only(assemble(observations(lsblk, fixtureMounts('/dev/sda1', '/media/usb'))));
  t.is(device.type, 'usb');
  t.true(device.evidence.includes('subsystems block:scsi:usb:platform'));
});

test('an SD card (old lsblk, no TRAN) is sd, identified by the card serial', (t) => {
  const device = only(assemble(observations('mmc-sd.lsblk.json', fixtureMounts('/dev/mmcblk1p1'))));
  t.is(device.type, 'sd');
  t.is(device.transport, 'mmc');
  t.true(device.evidence.some((e) => e.startsWith('mmcblk1 is an MMC block device')));
  t.deepEqual(device.identity, { kind: 'serial', value: '0x5ca3e900-part1' });
});

test('a cloud "Virtual Disk" that says rotational=1 is virtual, never hdd', (t) => {
  const device = only(assemble(observations('virtual-azure.lsblk.json', fixtureMounts('/dev/sda', '/data'))));
  t.is(device.type, 'virtual');
  t.is(device.rotational, null);
  t.true(device.evidence.includes('model "Virtual Disk" is an emulated disk'));
  t.deepEqual(device.identity, { kind: 'serial', value: '60022480fca81a1c1a9ea1c3c87fa3d4' });
});

test('a VMware "Virtual disk" that says rotational=0 is virtual, not ssd, and keeps the hint', (t) => {
  const device = only(assemble(observations('virtual-vmware.lsblk.json', fixtureMounts('/dev/sda', '/data'))));
  t.is(device.type, 'virtual');
  t.is(device.rotational, false);
  t.true(device.evidence.includes('the hypervisor reports it non-rotational'));
  t.is(device.identity.kind, 'kernel-name');
  t.true(device.warnings.some((w) => /kernel name sda/.test(w)));
});

test('btrfs on dm-crypt on md RAID1: one device for both subvolume mounts, the whole stack in the evidence', (t) => {
  const device = only(assemble(observations('md-luks-btrfs.lsblk.json', fixtureMounts('/dev/mapper/cr_root'))));
  t.deepEqual(device.mounts.map((m) => [m.mountPoint, m.root]), [['/', '/@'], ['/home', '/@/home']]);
  t.is(device.evidence[0], 'dm-0 (crypt) on md127p2 (part) on md127 (raid1) on sda, sdb');
  t.true(device.evidence.some((e) => e.startsWith('sda: unknown (transport ata')));
  // The source printed no ROTA column: SSD or HDD is not guessed.
  t.is(device.type, 'unknown');
  t.is(device.transport, 'ata');
  t.is(device.fsType, 'btrfs');
  t.is(device.model, null);
  t.deepEqual(device.identity, { kind: 'kernel-name', value: '/dev/mapper/cr_root' });
  t.true(device.unknown.some((u) => u.fact === 'rotational of sdb'));
});

test('ext4 on LVM on an Intel RST mirror: the libata vendor is evidence of ATA disks', (t) => {
  const device = only(assemble(observations('lvm-md-intel.lsblk.json', fixtureMounts('/dev/mapper/kube--storage--01--vg-root'))));
  t.is(device.evidence[0], 'kube--storage--01--vg-root (lvm) on md126p2 (part) on md126 (raid1) on sda, sdb');
  t.true(device.evidence.some((e) => e.startsWith('sdb: unknown (SCSI vendor "ATA" (a libata disk); model INTEL_SSDSC2BB15')));
  t.is(device.transport, 'ata');
  t.deepEqual(device.identity, { kind: 'kernel-name', value: '/dev/mapper/kube--storage--01--vg-root' });
});

test('md RAID5 of three SATA HDDs is hdd, naming each member and not the disk outside the array', (t) => {
  const device = only(assemble(observations('md-raid-hdd.lsblk.json', fixtureMounts('/dev/md127'))));
  t.is(device.type, 'hdd');
  t.is(device.rotational, true);
  t.is(device.evidence[0], 'md127 (raid5) on sda, sdb, sdd');
  t.true(device.evidence.some((e) => e.startsWith('sdd: hdd (transport sata; model SAMSUNG HD103UI')));
  t.false(device.evidence.some((e) => e.includes('sdc')));
  t.is(device.serial, null);
});

test('an array of an SSD and HDDs is unknown, and says the members disagree', (t) => {
  const lsblk = parseLsblkJson(testdata('md-raid-hdd.lsblk.json')).map((d) => (d.kname === 'sdb' ? { ...d, rotational: false } : d));
  const device = only(assemble(observations(lsblk, fixtureMounts('/dev/md127'))));
  t.is(device.type, 'unknown');
  t.is(device.rotational, null);
  t.true(device.evidence.includes('the disks disagree (sda hdd, sdb ssd, sdd hdd)'));
});

test('when lsblk fails, udev alone still tells a USB bridge and its serial, and the missing lsblk is said', (t) => {
  const mounts = fixtureMounts('/dev/sda', '/data');
  const device = only(
    assemble(
      observations([], mounts, {
        lsblk: null,
        lsblkProblem: 'lsblk failed: exit 1',
        udev: parseUdevDb(testdata('usb-sabrent.udevadm.txt')),
        udevProblem: null,
        devnoToKname: new Map([['8:0', 'sda']]),
      }),
    ),
  );
  t.is(device.type, 'usb');
  t.deepEqual(device.identity, { kind: 'serial', value: '000000123AD2' });
  t.true(device.unknown.some((u) => u.fact.startsWith('lsblk facts') && u.reason === 'lsblk failed: exit 1'));
});
