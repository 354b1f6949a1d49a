/**
 * The health service on the real database, with a recorded smartctl output of a real WD drive
 * standing in for a disk this machine does not have: every check is recorded, a count that grew
 * since the previous check is noticed, and it feeds a bitrot event's severity.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/repositories/db.js';
import { DeviceRepository } from '../src/repositories/device.repository.js';
import { EventRepository } from '../src/repositories/event.repository.js';
import { HealthRepository } from '../src/repositories/health.repository.js';
import type { SmartctlResult } from '../src/repositories/smartctl.repository.js';
import { HealthService } from '../src/services/health.service.js';
import type { DetectedDevice } from '../src/shared/plugin-api.js';
import { tempDir } from './helpers/bitarr.js';

const WD = readFileSync(new URL('./fixtures/smartctl/scrutiny/smart-ata.json', import.meta.url), 'utf8');

/** The same drive later, with `reallocated` sectors (attribute 5) remapped since. */
function withReallocated(count: number): string {
  const doc = JSON.parse(WD);
  const attr = doc.ata_smart_attributes.table.find((a: { id: number }) => a.id === 5);
  attr.raw = { value: count, string: String(count) };
  return JSON.stringify(doc);
}

const hdd: DetectedDevice = {
  identity: { kind: 'fs-uuid', value: 'uuid-photos' },
  devicePath: '/dev/sdz1',
  fsType: 'ext4',
  fsUuid: 'uuid-photos',
  label: 'photos',
  type: 'hdd',
  evidence: ['recorded'],
  rotational: true,
  transport: 'sata',
  model: 'WDC WD140EDFZ-11A0VA0',
  serial: '9RK1XXXX',
  wwn: null,
  sizeBytes: 14e12,
  network: false,
  mounts: [{ mountPoint: '/mnt/photos', root: '/', fsType: 'ext4', source: '/dev/sdz1', options: 'rw', devno: '8:1' }],
  unknown: [],
  warnings: [],
};

test('each check is recorded; reallocated sectors that grew since the last check are named, and a loop device says where SMART is', async (t) => {
  const dir = await tempDir(t);
  const db = await openDatabase({ ...loadConfig({ configDir: join(dir, 'cfg') }), databaseUrl: null });
  t.teardown(() => db.destroy());
  const devices = new DeviceRepository(db);
  await devices.upsertHost({ id: 'h', hostname: 'tiko', addresses: [], isLocal: true });
  const loop: DetectedDevice = { ...hdd, identity: { kind: 'fs-uuid', value: 'uuid-loop' }, type: 'loop', devicePath: '/dev/loop9', mounts: [{ ...hdd.mounts[0]!, mountPoint: '/mnt/img' }] };
  await devices.recordDetection('h', [{ device: hdd, detectedBy: 'test' }, { device: loop, detectedBy: 'test' }], { complete: true });
  const [disk, loopDevice] = await devices.devices('h');

  const outputs = [WD, withReallocated(8)];
  const asked: Array<[string, string | undefined]> = [];
  const read = async (device: string, opts: { deviceType?: string } = {}): Promise<SmartctlResult> => {
    asked.push([device, opts.deviceType]);
    return { kind: 'output', json: outputs.shift()!, exitCode: 0 };
  };
  const history = new HealthRepository(db);
  const health = new HealthService(devices, history, new EventRepository(db), read, () => '/dev/sdz');

  const first = await health.check(disk!);
  t.is(first.assessment.verdict, 'passed', JSON.stringify(first.assessment.reasons));
  const growth = await health.growthNow({ ...disk!, smartDeviceType: 'sat' });
  t.like(growth.find((g) => g.counter === 'reallocated'), { before: 0, after: 8 }, JSON.stringify(growth));
  t.deepEqual(asked, [
    ['/dev/sdz', undefined],
    ['/dev/sdz', 'sat'],
  ], 'smartctl is asked about the whole disk, with the device type set for it');
  t.is((await history.samples(disk!.id)).length, 2, 'both checks are in the history');
  const latest = await history.latest(disk!.id);
  t.true(latest!.reasons.some((r) => r.code === 'count_grew' && /from 0 to 8/.test(r.message)), JSON.stringify(latest!.reasons));

  t.false(latest!.reasons.some((r) => r.code === 'projected_failure'), 'two checks seconds apart give no monthly projection');

  const loopCheck = await health.check(loopDevice!);
  t.is(loopCheck.assessment.verdict, 'unknown');
  t.regex(JSON.stringify(loopCheck.assessment.reasons), /loop device has no SMART/);
  t.is(asked.length, 2, 'smartctl is not asked about a loop device');
});

test('kernel I/O errors count from the previous check, not since boot', async (t) => {
  const dir = await tempDir(t);
  const db = await openDatabase({ ...loadConfig({ configDir: join(dir, 'cfg') }), databaseUrl: null });
  t.teardown(() => db.destroy());
  const devices = new DeviceRepository(db);
  await devices.upsertHost({ id: 'h', hostname: 'tiko', addresses: [], isLocal: true });
  await devices.recordDetection('h', [{ device: hdd, detectedBy: 'test' }], { complete: true });
  const [disk] = await devices.devices('h');
  const counts = [7, 7, 10];
  const health = new HealthService(devices, new HealthRepository(db), new EventRepository(db), async () => ({ kind: 'output', json: WD, exitCode: 0 }), () => '/dev/sdz', () => counts.shift()!);
  const io = async () => (await health.check(disk!)).assessment.reasons.find((r) => r.code === 'io_errors');
  t.regex((await io())?.message ?? '', /7/, 'the first check counts the kernel total');
  t.is(await io(), undefined, 'no new errors since: no reason');
  t.regex((await io())?.message ?? '', /3/, 'three new since the last check');
});
