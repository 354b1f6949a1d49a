/**
 * Damage on a disk this machine does not have, recorded the way Bitarr records it, through our own
 * repositories and domain on the appliance's real database (no mocks of our layers):
 * the device as a detector reports it, a health check by the real HealthService on a recorded
 * smartctl output of a real WD drive, a finished scan row, and events planned by planEvents from
 * damaged files with their extents (what the sector mapper would have said) and stored by
 * EventRepository.apply, as EventService.afterScan does.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { planEvents, type DamagedFile, type DeviceFacts } from '../../src/domain/events/index.js';
import { openDatabase } from '../../src/repositories/db.js';
import { DeviceRepository } from '../../src/repositories/device.repository.js';
import { EventRepository } from '../../src/repositories/event.repository.js';
import { HealthRepository } from '../../src/repositories/health.repository.js';
import { ScanRepository } from '../../src/repositories/scan.repository.js';
import { deviceName } from '../../src/services/event.service.js';
import { HealthService } from '../../src/services/health.service.js';
import type { DetectedDevice } from '../../src/shared/plugin-api.js';

const WD = readFileSync(new URL('../fixtures/smartctl/scrutiny/smart-ata.json', import.meta.url), 'utf8');

export const SIZE = 4_000_000_000_000;
/** Where the band of damage lies: bucket 96 of 256 on a 4 TB disk. */
export const BAND_AT = 1_500_000_000_000;
export const BAND = ['/mnt/photos/2019/a.jpg', '/mnt/photos/2019/b.jpg'];
export const LOST = '/mnt/photos/2019/gone.jpg';
export const FAR = '/mnt/photos/2024/far.jpg';

export const hdd: DetectedDevice = {
  identity: { kind: 'fs-uuid', value: 'uuid-photos' },
  devicePath: '/dev/sdz1',
  fsType: 'ext4',
  fsUuid: 'uuid-photos',
  label: 'photos',
  type: 'hdd',
  evidence: ['rotational=1 in sysfs'],
  rotational: true,
  transport: 'sata',
  model: 'WDC WD40EFRX-68N32N0',
  serial: 'WD-WCC7K1234567',
  wwn: null,
  sizeBytes: SIZE,
  network: false,
  // Not mounted on this machine: used space cannot be read, and the page must say why.
  mounts: [{ mountPoint: '/mnt/photos', root: '/', fsType: 'ext4', source: '/dev/sdz1', options: 'rw', devno: '8:1' }],
  unknown: [{ fact: 'transport speed', reason: 'udevadm gave no answer', needs: 'udevadm' }],
  warnings: [],
};

const file = (path: string, physical: number, length = 65_536): DamagedFile => ({ path, status: 'corrupted', size: length, extents: [{ logical: 0, physical, length }] });

export interface Seeded {
  deviceId: number;
  /** Two files in one cluster at BAND_AT, one file that could not be located. */
  eventId: number;
  /** One file far from the band, a separate event. */
  otherId: number;
  /** null when the seed did not check the device's health. */
  verdict: string | null;
  reasons: string[];
}

export async function seed(dir: string, opts: { checkHealth?: boolean } = {}): Promise<Seeded> {
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  try {
    const devices = new DeviceRepository(db);
    const host = { id: 'seed-host', hostname: 'tiko', address: '192.168.1.25', addresses: ['192.168.1.25'] };
    await devices.upsertHost({ ...host, isLocal: false });
    const ids = await devices.recordDetection(host.id, [{ device: hdd, detectedBy: 'linux' }], { complete: false });
    const deviceId = ids.get('fs-uuid:uuid-photos')!;
    const row = (await devices.device(deviceId))!;

    const events = new EventRepository(db);

    const scans = new ScanRepository(db);
    const root = { dev: 2049n, mountPoint: hdd.mounts[0]!.mountPoint, mountType: 'ext4', fsType: 'ext4', source: '/dev/sdz1', uuid: 'uuid-photos', label: 'photos', note: null, deviceId, mountId: null };
    const facts: DeviceFacts = { name: deviceName(row), devicePath: '/dev/sdz', type: 'hdd', rotational: true, network: false, fsType: 'ext4', mountPoint: null, scanIntervalSeconds: null };
    const open = async (files: DamagedFile[]) => {
      const scanId = await scans.create(host, 'blake3', { excludes: [], threads: 1 }, [{ path: root.mountPoint, device: root }]);
      await scans.finish(scanId, 'completed', null);
      const plan = planEvents({ scanId, atNs: (await scans.get(scanId))!.endedAtNs!, device: facts, files, smartGrowth: [] }, []);
      return (await events.apply(deviceId, [], plan.open))!;
    };
    const eventId = await open([
      file(BAND[0]!, BAND_AT),
      file(BAND[1]!, BAND_AT + 65_536),
      { path: LOST, status: 'corrupted', size: 4096, extents: null, reason: 'the file is gone since the scan' },
    ]);
    const otherId = await open([file(FAR, 3_900_000_000_000)]);
    // Checked after the damage: the open events are among the health's reasons.
    const smart = async () => ({ kind: 'output' as const, json: WD, exitCode: 0 });
    const check = opts.checkHealth === false ? null : await new HealthService(devices, new HealthRepository(db), events, smart, () => '/dev/sdz', () => null).check(row);
    return { deviceId, eventId, otherId, verdict: check?.assessment.verdict ?? null, reasons: check?.assessment.reasons.map((r) => r.message) ?? [] };
  } finally {
    await db.destroy();
  }
}

/** The events as stored: to prove a refused request changed nothing. */
export async function eventsDump(dir: string): Promise<string> {
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  try {
    return JSON.stringify(await db('bitrot_events').select('*').orderBy('id'));
  } finally {
    await db.destroy();
  }
}

/** Text as the templates escape it. */
export const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
