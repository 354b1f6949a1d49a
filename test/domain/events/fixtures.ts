/** Builders shared by the event tests: damaged files at given disk offsets, a device, a scan. */
import { planEvents } from '../../../src/domain/events/merge.js';
import type { BitrotEvent, DamagedFile, DamageStatus, DeviceFacts, ScanDamage } from '../../../src/domain/events/types.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const DAY = 86400;

/** A damaged file whose extents are [physical, length] pairs, laid out one after the other in the file. */
export function file(path: string, status: DamageStatus, ...extents: Array<[number, number]>): DamagedFile {
  let logical = 0;
  const ext = extents.map(([physical, length]) => {
    const e = { logical, physical, length };
    logical += length;
    return e;
  });
  return { path, status, size: logical, extents: ext };
}

export const unmapped = (path: string, status: DamageStatus, reason?: string): DamagedFile => ({
  path,
  status,
  size: 4096,
  extents: null,
  ...(reason ? { reason } : {}),
});

export const disk: DeviceFacts = {
  name: 'WDC WD40EFRX (WD-WCC7K1234567)',
  devicePath: '/dev/sdb',
  type: 'hdd',
  rotational: true,
  network: false,
  fsType: 'ext4',
  mountPoint: '/mnt/disk1',
  scanIntervalSeconds: 7 * DAY,
};

export const share: DeviceFacts = {
  name: '//nas/photos',
  devicePath: null,
  type: 'network',
  rotational: null,
  network: true,
  fsType: 'cifs',
  mountPoint: '/mnt/photos',
  scanIntervalSeconds: 7 * DAY,
};

export const S = 1_000_000_000n;

export function scan(scanId: number, files: DamagedFile[], more: Partial<ScanDamage> = {}): ScanDamage {
  return { scanId, atNs: BigInt(scanId) * 1000n * S, device: disk, files, smartGrowth: [], ...more };
}

/** The event a first scan opens, stored with an id (what the service would do). */
export function opened(damage: ScanDamage, id: number, existing: BitrotEvent[] = []): BitrotEvent {
  const plan = planEvents(damage, existing);
  if (!plan.open) throw new Error('expected the scan to open an event');
  return { ...plan.open, id };
}
