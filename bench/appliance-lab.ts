/**
 * The home lab the appliance benchmark seeds: one machine, its six storage devices (as detectors
 * report them) with the smartctl output each model gave on a real drive, what a night changes on
 * each, and the damage scans found over the hundred days with what the admin did about it.
 */
import { detectShares } from '../plugins/network/shares.js';
import type { DamageStatus, SmartGrowth } from '../src/domain/events/index.js';
import type { HostIdentity } from '../src/repositories/host.repository.js';
import type { DetectedDevice } from '../src/shared/plugin-api.js';
import type { TreeKind } from './appliance-files.js';

/** Nights of history: one scan a night. */
export const SCANS = 100;

export const HOST: HostIdentity = { id: '6f1c2a9e-5b7d-4e3a-9c1f-2d8e4b6a7c10', hostname: 'tiko', address: '192.168.1.25', addresses: ['192.168.1.25'] };

export interface DeviceSpec {
  kind: TreeKind;
  /** Share of the files. */
  share: number;
  device: DetectedDevice;
  /** A recorded smartctl --json -x output of this model, under test/fixtures/smartctl; null: no SMART (a share). */
  smart: string | null;
  /** Files a night adds / edits / touches / deletes, as [min, max]. */
  nightly: { new: [number, number]; modified: [number, number]; touched: [number, number]; missing: [number, number] };
}

const disk = (o: Partial<DetectedDevice> & Pick<DetectedDevice, 'fsType' | 'devicePath' | 'type' | 'model' | 'sizeBytes'> & { mountPoint: string; mountType?: string; devno: string }): DetectedDevice => ({
  identity: { kind: 'fs-uuid', value: o.fsUuid! },
  devicePath: o.devicePath,
  fsType: o.fsType,
  fsUuid: o.fsUuid ?? null,
  label: o.label ?? null,
  type: o.type,
  evidence: o.evidence ?? [],
  rotational: o.rotational ?? null,
  transport: o.transport ?? null,
  model: o.model,
  serial: o.serial ?? null,
  wwn: o.wwn ?? null,
  sizeBytes: o.sizeBytes,
  network: false,
  mounts: [{ mountPoint: o.mountPoint, root: '/', fsType: o.mountType ?? o.fsType, source: o.devicePath!, options: 'rw,noatime', devno: o.devno }],
  unknown: o.unknown ?? [],
  warnings: o.warnings ?? [],
});

const none: [number, number] = [0, 0];
export const DEVICES: DeviceSpec[] = [
  {
    kind: 'photos', share: 0.42, smart: 'scrutiny/smart-ata.json',
    nightly: { new: [20, 80], modified: none, touched: [0, 4], missing: [0, 2] },
    device: disk({ fsUuid: '3f6c1b2e-8d4a-4c57-9e21-7a5b0c9d1e11', devicePath: '/dev/sdb1', fsType: 'ext4', label: 'photos', type: 'hdd', evidence: ['the drive spins at 5400 rpm', 'rotational=1 on a real sata drive'], rotational: true, transport: 'sata', model: 'WDC WD140EDFZ-11A0VA0', serial: '9RK1XXXX', wwn: '0x5000cca28ac1d2e3', sizeBytes: 14_000_519_643_136, mountPoint: '/mnt/photos', devno: '8:17' }),
  },
  {
    kind: 'media', share: 0.2, smart: 'smartctl_exporter/sat-Toshiba_MG09ACA..._Enterprise_Capacity_HDD-TOSHIBA_MG09ACA18TE-sdd.json',
    nightly: { new: [0, 30], modified: none, touched: [0, 2], missing: [0, 3] },
    device: disk({ fsUuid: '9b2d7e40-1f3c-4a8b-b6d5-0e4f2a1c3b22', devicePath: '/dev/sdc1', fsType: 'xfs', label: 'media', type: 'hdd', evidence: ['the drive spins at 7200 rpm', 'rotational=1 on a real sata drive'], rotational: true, transport: 'sata', model: 'TOSHIBA MG09ACA18TE', serial: 'X1R0A0ABCDEF', wwn: '0x5000039b28c1f0a4', sizeBytes: 18_000_207_937_536, mountPoint: '/mnt/media', devno: '8:33' }),
  },
  {
    kind: 'docs', share: 0.15, smart: 'scrutiny/smart-ata-full.json',
    nightly: { new: [10, 40], modified: [5, 30], touched: [0, 10], missing: [0, 5] },
    device: disk({ fsUuid: 'c4e8a1f2-6b3d-4f90-8a7c-5d1e2b3f4a33', devicePath: '/dev/sda2', fsType: 'ext4', label: 'docs', type: 'ssd', evidence: ['the drive reports solid state (rotation rate 0)', 'rotational=0 on a real sata drive'], rotational: false, transport: 'sata', model: 'Samsung SSD 860 EVO 500GB', serial: 'S3YZNB0KB00864E', wwn: '0x5002538e40a1b2c3', sizeBytes: 500_107_862_016, mountPoint: '/mnt/docs', devno: '8:2' }),
  },
  {
    kind: 'home', share: 0.15, smart: 'scrutiny/smart-nvme.json',
    nightly: { new: [20, 80], modified: [20, 100], touched: [10, 50], missing: [10, 60] },
    device: disk({ fsUuid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c44', devicePath: '/dev/nvme0n1p2', fsType: 'btrfs', label: 'home', type: 'nvme', evidence: ['NVMe transport'], rotational: false, transport: 'nvme', model: 'INTEL SSDPEKNW010T8', serial: 'BTNH93710FS91P0B', sizeBytes: 1_024_209_543_168, mountPoint: '/home', devno: '0:45' }),
  },
  {
    kind: 'archive', share: 0.07, smart: 'scrutiny/smart-fail2.json',
    nightly: { new: none, modified: none, touched: none, missing: none },
    device: disk({ fsUuid: '5E2A9C1B2A9BF0D1', devicePath: '/dev/sdd1', fsType: 'ntfs', mountType: 'fuseblk', label: 'ARCHIVE', type: 'hdd', evidence: ['the drive spins at 7200 rpm', 'rotational=1 behind a USB bridge'], rotational: true, transport: 'usb', model: 'Hitachi HDS721050DLE630', serial: 'MSK423Y20S3HBC', sizeBytes: 500_107_862_016, mountPoint: '/mnt/archive', devno: '8:49' }),
  },
  {
    kind: 'nas', share: 0.01, smart: null,
    // A nightly laptop backup in, the oldest night's out.
    nightly: { new: [40, 40], modified: none, touched: none, missing: [40, 40] },
    device: detectShares([{ mountPoint: '/mnt/nas', root: '/', fsType: 'cifs', source: '//nas.local/backup', options: 'rw,vers=3.1.1', devno: '0:52' }], new Set(['cifs']))[0]!,
  },
];

/** Damage as scans found it: which files (a band of neighbours or spread out), what, and what the user did. */
export interface Damage {
  kind: TreeKind;
  scan: number;
  files: number;
  status: DamageStatus;
  layout: 'band' | 'spread';
  /** Where the band lies, as a fraction of the device (and of the files in path order). Damage at the same place continues the band. */
  at?: number;
  smartGrowth?: SmartGrowth[];
  then?: Array<{ scan: number; action: 'acknowledge' | 'resolve' | 'dismiss'; note: string }>;
}

export const DAMAGE: Damage[] = [
  { kind: 'photos', scan: 23, files: 1, status: 'corrupted', layout: 'band', at: 0.31, then: [{ scan: 24, action: 'acknowledge', note: 'restored from the offsite copy' }, { scan: 30, action: 'resolve', note: 'verified good after the restore' }] },
  { kind: 'archive', scan: 71, files: 9, status: 'corrupted', layout: 'band', at: 0.62, smartGrowth: [{ counter: 'reallocated', before: 1812, after: 1890 }] },
  { kind: 'archive', scan: 71, files: 2, status: 'unreadable', layout: 'band', at: 0.62 },
  { kind: 'archive', scan: 85, files: 5, status: 'corrupted', layout: 'band', at: 0.62, smartGrowth: [{ counter: 'pending', before: 2, after: 8 }] },
  { kind: 'media', scan: 92, files: 2, status: 'corrupted', layout: 'band', at: 0.44, then: [{ scan: 93, action: 'acknowledge', note: 'long SMART test scheduled for the weekend' }] },
  { kind: 'photos', scan: 98, files: 6, status: 'corrupted', layout: 'spread' },
  { kind: 'home', scan: 99, files: 1, status: 'unstable', layout: 'spread', then: [{ scan: 100, action: 'dismiss', note: 'bad RAM stick replaced; memtest86 clean since' }] },
];

export const DETAIL: Record<string, string> = {
  corrupted: 'content differs from the baseline while size and mtime and ctime are unchanged; confirmed by a second read that bypassed the page cache',
  unreadable: 'EIO: the read failed; the disk or the filesystem\'s checksums could not return this file\'s data',
  unstable: 'two reads of the same bytes gave different hashes while size, mtime and ctime stayed the same: suspect the disk, cable, controller or RAM',
};

