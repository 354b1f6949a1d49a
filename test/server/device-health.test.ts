/**
 * The device page's health: the SMART table of the latest recorded check with our verdicts, the
 * history as chart data (and as a table), "Check now", and the device map's used space read as
 * recorded instead of measured per view. Checks are recorded by our own HealthService and
 * HealthRepository from real smartctl outputs (test/fixtures/smartctl), never by mocks of our layers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../../src/config/index.js';
import { assessHealth, metricValues, parseSmartctlJson, type SmartReport } from '../../src/domain/health/index.js';
import { migrationSource, openDatabase } from '../../src/repositories/db.js';
import { DeviceRepository, type DeviceRow } from '../../src/repositories/device.repository.js';
import { EventRepository } from '../../src/repositories/event.repository.js';
import { HealthRepository } from '../../src/repositories/health.repository.js';
import { loadHostIdentity } from '../../src/repositories/host.repository.js';
import { UsedSpaceRepository } from '../../src/repositories/used-space.repository.js';
import { scriptJson } from '../../src/services/device-view.js';
import { HealthService } from '../../src/services/health.service.js';
import type { DetectedDevice } from '../../src/shared/plugin-api.js';
import { tempDir } from '../helpers/bitarr.js';
import { Lab, fsNeeds, labTest } from '../lab/index.js';
import { admin, appliance, type Client } from './helpers.js';
import { html } from './seed.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/smartctl/scrutiny/${name}`, import.meta.url), 'utf8');
const DAY_NS = 86_400_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const SIZE = 14_000_519_643_136;

const disk = (over: Partial<DetectedDevice>): DetectedDevice => ({
  identity: { kind: 'fs-uuid', value: 'uuid-archive' },
  devicePath: '/dev/sdy1',
  fsType: 'ext4',
  fsUuid: 'uuid-archive',
  label: 'archive',
  type: 'hdd',
  evidence: ['rotational=1 in sysfs'],
  rotational: true,
  transport: 'sata',
  model: 'WDC WD140EDFZ-11A0VA0',
  serial: '9RK1XXXX',
  wwn: null,
  sizeBytes: SIZE,
  network: false,
  mounts: [],
  unknown: [],
  warnings: [],
  ...over,
});

async function withDb<T>(dir: string, fn: (db: Knex) => Promise<T>): Promise<T> {
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** A device as a detector reports it, on this machine (`local`) or on another one. */
async function addDevice(db: Knex, dir: string, device: DetectedDevice, local: boolean): Promise<DeviceRow> {
  const devices = new DeviceRepository(db);
  const me = loadHostIdentity(dir);
  const host = local ? { id: me.id, hostname: me.hostname, addresses: me.addresses } : { id: 'other-host', hostname: 'tiko', addresses: ['192.168.1.25'] };
  await devices.upsertHost({ ...host, isLocal: local });
  const ids = await devices.recordDetection(host.id, [{ device, detectedBy: 'test' }], { complete: false });
  return (await devices.device(ids.get(`${device.identity.kind}:${device.identity.value}`)!))!;
}

const report = (json: string) => parseSmartctlJson(json) as SmartReport;

/** An earlier check as HealthService records one (its counters, verdict and reasons), at a chosen time. */
async function recordAt(db: Knex, device: DeviceRow, json: string, atNs: bigint): Promise<void> {
  const r = report(json);
  const a = assessHealth(r);
  const counters = { ...metricValues(r), temperature_c: r.temperatureC! };
  await new HealthRepository(db).record({ deviceId: device.id, collectedAtNs: atNs, verdict: a.verdict, score: a.score, reasons: a.reasons, counters, raw: json });
}

/** A check now by the real HealthService, a recorded smartctl output standing in for the disk. */
async function checkWith(db: Knex, device: DeviceRow, json: string) {
  const smart = async () => ({ kind: 'output' as const, json, exitCode: 0 });
  return new HealthService(new DeviceRepository(db), new HealthRepository(db), new EventRepository(db), smart, () => '/dev/sdy', () => null).check(device);
}

/** The WD drive checked 60 and 30 days ago with nothing wrong, and now with ten of everything. */
async function seedHistory(dir: string, over: Partial<DetectedDevice> = {}) {
  return withDb(dir, async (db) => {
    const device = await addDevice(db, dir, disk(over), false);
    const t0 = nowNs() - 60n * DAY_NS;
    await recordAt(db, device, fixture('smart-ata.json'), t0);
    await recordAt(db, device, fixture('smart-ata-date.json'), t0 + 30n * DAY_NS);
    const check = await checkWith(db, device, fixture('smart-ata-date2.json'));
    return { device, times: [t0, t0 + 30n * DAY_NS, check.collectedAtNs].map((ns) => Number(ns / 1_000_000n)), check };
  });
}

/** The ATA attributes whose raw value a rule counts (metric-rules.ts), of those this WD drive has. */
const COUNTED = [5, 10, 196, 197, 198, 199];

const ATA_ROW = /<tr class="lvl-([a-z]+)">\s*<td>(\d+)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td><code>([^<]*)<\/code><\/td>\s*<td class="verdict-cell">([^<]*)<\/td>\s*<td>([^<]*)<\/td>\s*<td class="muted">([^<]*)<\/td>/g;
const ataRows = (page: string) =>
  [...page.matchAll(ATA_ROW)].map((m) => ({ level: m[1]!, id: Number(m[2]), name: m[3]!, value: m[4]!, worst: m[5]!, thresh: m[6]!, raw: m[7]!, verdict: m[8]!, why: m[9]!, source: m[10]! }));
const chartData = (page: string) => JSON.parse(/<script type="application\/json" id="health-trends-data">([^<]*)<\/script>/.exec(page)![1]!);

test('the SMART table lists every attribute of the latest check with our verdict, why and whose rule, failing lines first', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const { device } = await seedHistory(app.dir);
  const page = (await c.get(`/devices/${device.id}`)).text;
  const rows = ataRows(page);
  // What the drive said, read straight from its JSON rather than through the code under test.
  const table = JSON.parse(fixture('smart-ata-date2.json')).ata_smart_attributes.table as Array<{ id: number; name: string; value: number; worst: number; thresh: number; raw: { string: string; value: number } }>;
  t.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), table.map((a) => a.id).sort((a, b) => a - b), 'every attribute, once');
  for (const a of table) {
    const r = rows.find((x) => x.id === a.id)!;
    t.deepEqual([r.name, r.value, r.worst, r.thresh], [a.name, String(a.value), String(a.worst), String(a.thresh)], `attribute ${a.id}`);
    // This output was edited by hand: its raw strings say 0 where its raw values say 10, so where a rule counts, the count it read is shown too.
    t.is(r.raw, COUNTED.includes(a.id) ? `${a.raw.string} (read as ${a.raw.value})` : html(a.raw.string), `attribute ${a.id} raw`);
  }
  // Ten pending and ten offline-uncorrectable sectors fail a drive; ten reallocated ones warn.
  const by = (id: number) => rows.find((r) => r.id === id)!;
  t.like(by(197), { level: 'critical', verdict: 'failing' });
  t.regex(by(197).why, /pending sectors 10: critical range \(3–16\); Backblaze drives there failed at 61\.1–68\.2% a year/);
  t.regex(by(197).source, /Backblaze/);
  t.like(by(198), { level: 'critical' });
  t.like(by(5), { level: 'warning', verdict: 'warning' });
  t.regex(by(5).why, /reallocated sectors went from 0 to 10 since/, 'the growth the check recorded is part of the why');
  t.like(by(199), { level: 'warning' });
  t.regex(by(199).why, /interface CRC errors 10/);
  t.like(by(1), { verdict: 'ok' });
  t.regex(by(1).why, /vendor-specific error rate/);
  t.regex(by(1).source, /drive’s own threshold/);
  const rank = (l: string) => (l === 'critical' ? 0 : l === 'warning' ? 1 : 2);
  t.deepEqual(rows.map((r) => rank(r.level)), [...rows.map((r) => rank(r.level))].sort(), 'failing, then warning, then the rest');
  t.is(rows[0]!.level, 'critical');
  t.regex(page, /<dt>Drive’s own verdict<\/dt><dd>PASSED<\/dd>/);
  t.regex(page, /<dt>Temperature<\/dt><dd>62 °C<\/dd>/);
});

test('an NVMe drive shows its health log fields, media errors failing', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const device = await withDb(app.dir, async (db) => {
    const d = await addDevice(db, app.dir, disk({ identity: { kind: 'fs-uuid', value: 'uuid-nvme' }, fsUuid: 'uuid-nvme', type: 'nvme', label: 'fast' }), false);
    await checkWith(db, d, fixture('smart-nvme-failed.json'));
    return d;
  });
  const page = (await c.get(`/devices/${device.id}`)).text;
  const first = /<tbody>\s*<tr class="lvl-([a-z]+)">\s*<td>([^<]*)<\/td><td>([^<]*)<\/td>/.exec(page.slice(page.indexOf('<table class="smart">')))!;
  t.deepEqual([first[1], first[2], first[3]], ['critical', 'Media and data integrity errors', '7'], 'the failing line first');
  const log = JSON.parse(fixture('smart-nvme-failed.json')).nvme_smart_health_information_log;
  t.regex(page, new RegExp(`<td>Available spare \\(%\\)</td><td>${log.available_spare}</td><td>${log.available_spare_threshold}</td>\\s*<td class="verdict-cell">ok</td>`));
  t.regex(page, /<td>Critical warning<\/td><td>0<\/td>/);
  const api = (await c.get(`/api/v1/devices/${device.id}`)).json();
  t.is(api.smart.drive.protocol, 'NVMe');
  t.is(api.smart.rows.find((r: { name: string }) => r.name === 'Power-on hours').verdict, null, 'shown, not judged');
});

test('the chart data on the page is the recorded history: score, counters, temperature and the projection; the table has the same numbers', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const { device, times, check } = await seedHistory(app.dir);
  const page = (await c.get(`/devices/${device.id}`)).text;
  t.regex(page, /<script src="\/static\/vendor\/chart\.js-4\.6\.1\.umd\.min\.js" defer><\/script>/);
  t.regex(page, /<script src="\/static\/js\/device-charts\.js\?v=[^"]+" defer><\/script>/);
  const data = chartData(page);
  const history = await withDb(app.dir, (db) => new HealthRepository(db).history(device.id, 10));
  t.deepEqual(data.score, history.map((h) => [Number(h.collectedAtNs / 1_000_000n), h.score]));
  t.is(data.score.at(-1)[1], check.assessment.score);
  const series = (m: string) => data.series.find((s: { metric: string }) => s.metric === m);
  t.deepEqual(series('reallocated_sectors').points, [[times[0], 0], [times[1], 0], [times[2], 10]]);
  t.deepEqual(series('pending_sectors').points.map((p: number[]) => p[1]), [0, 0, 10]);
  t.deepEqual(series('offline_uncorrectable').points.map((p: number[]) => p[1]), [0, 0, 10]);
  t.deepEqual(series('crc_errors').points.map((p: number[]) => p[1]), [0, 0, 10]);
  t.deepEqual(series('temperature_c').points.map((p: number[]) => p[1]), [32, 32, 62]);
  t.is(series('media_errors'), undefined, 'an ATA drive has no NVMe media errors to chart');
  // 0, 0, 10 over 60 days is 5 a month: the failing range (17) in about 42 days, drawn from the last check.
  const p = series('reallocated_sectors').projection;
  t.like(p, { perMonth: 5.1, failingAt: 17 });
  t.true(p.days >= 41 && p.days <= 43, String(p.days));
  t.deepEqual(p.line[0], [times[2], 10]);
  t.is(p.line[1][1], 17);
  t.is(series('pending_sectors').projection, null, 'already failing: nothing to project');
  t.regex(page, /<strong>reallocated sectors<\/strong>: at 5\.1 a month, the failing range \(17\) in about 4\d days/);
  // Without JS the numbers are a table, newest first.
  const numbers = page.slice(page.indexOf('<table class="checks">'));
  const cells = [...numbers.slice(0, numbers.indexOf('</table>')).matchAll(/<tr><td><time datetime="([^"]+)">/g)].map((m) => Date.parse(m[1]!));
  t.deepEqual(cells, [...times].reverse());
  t.regex(numbers, /<th>reallocated sectors<\/th>/);
});

test('check now on a loop device and on a share says why there is no SMART, records the check and comes back', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const [loop, share] = await withDb(app.dir, async (db) => [
    await addDevice(db, app.dir, disk({ identity: { kind: 'fs-uuid', value: 'uuid-loop' }, fsUuid: 'uuid-loop', devicePath: '/dev/loop57', type: 'loop', label: 'image', model: null, serial: null, evidence: ['loop device backed by /srv/img/a.img'] }), true),
    await addDevice(db, app.dir, disk({ identity: { kind: 'network-source', value: 'nas:/export' }, fsUuid: null, fsType: 'nfs4', devicePath: null, type: 'network', network: true, label: null, model: null, serial: null, sizeBytes: null }), true),
  ]);
  let page = (await c.get(`/devices/${loop.id}`)).text;
  t.regex(page, /Never checked/);
  t.regex(page, /No SMART here: a loop device has no SMART/, 'says why before any check');
  t.regex(page, /<button type="submit">Check now<\/button>/);

  const plain = await c.post(`/devices/${loop.id}/health`, { csrf: true });
  t.is(plain.status, 303, plain.text.slice(0, 300));
  t.is(plain.headers.get('location'), `/devices/${loop.id}#health`);
  page = (await c.get(`/devices/${loop.id}`)).text;
  t.regex(page, /<span class="verdict verdict-unknown">unknown<\/span>/);
  t.regex(page, /no SMART data: a loop device has no SMART: ask about the disk that holds its backing file/);
  t.regex(page, /Used space not known: the device is not mounted now/, 'the check also tried the used space, and says why not');
  t.notRegex(page, /not measured yet/);

  const htmx = await c.post(`/devices/${share.id}/health`, { csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(htmx.status, 200);
  t.regex(htmx.text, /^<div id="health">/, 'the health fragment, not the page');
  t.notRegex(htmx.text, /<!doctype/i);
  t.regex(htmx.text, /no SMART data: network storage: the disks belong to the server/);
  t.regex(htmx.text, /<section class="card" id="map" hx-swap-oob="true">/, 'the map comes along');
  t.is(await withDb(app.dir, async (db) => (await new HealthRepository(db).history(share.id, 10)).length), 1);
});

test('check now is refused for another machine’s device (409, nothing recorded) and without the form token (403)', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const { device } = await seedHistory(app.dir);
  const page = (await c.get(`/devices/${device.id}`)).text;
  t.regex(page, /This device is on [^:]+: its health is checked there\./);
  t.notRegex(page, /<button type="submit">Check now<\/button>/);
  const before = await withDb(app.dir, async (db) => (await new HealthRepository(db).history(device.id, 10)).length);
  const r = await c.post(`/devices/${device.id}/health`, { csrf: true });
  t.is(r.status, 409);
  t.regex(r.text, /this device is on tiko: its health is checked there, not from here/);
  t.regex(r.text, /<table class="smart">/, 'the page comes back with the message, as it was');
  const forged = await c.post(`/devices/${device.id}/health`, { csrf: 'not-the-token' });
  t.is(forged.status, 403);
  t.is(await withDb(app.dir, async (db) => (await new HealthRepository(db).history(device.id, 10)).length), before);
  t.is((await c.post('/devices/999999/health', { csrf: true })).status, 404);
});

test('the map draws the recorded used space with its age, and viewing the page does not measure it again', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const { device } = await seedHistory(app.dir);
  const measuredAtNs = nowNs() - 2n * 3_600_000_000_000n;
  const bucket = Math.floor(SIZE / 256);
  const half = Math.floor(bucket / 2);
  await withDb(app.dir, (db) =>
    new UsedSpaceRepository(db).saveMeasurement(device.id, { atNs: measuredAtNs, sizeBytes: SIZE, bucketUsedBytes: Array.from({ length: 256 }, (_, i) => (i < 64 ? bucket : i < 128 ? half : 0)), granularity: 'block', mapper: 'ext4' }),
  );
  const iso = new Date(Number(measuredAtNs / 1_000_000n)).toISOString();
  const first = (await c.get(`/devices/${device.id}`)).text;
  t.true(first.includes(`Used space as of <time datetime="${iso}">${iso}</time> (2 hours ago), in blocks.`), first.slice(first.indexOf('id="map"'), first.indexOf('id="map"') + 400));
  t.is((first.match(/<rect class="used"/g) ?? []).length, 128);
  t.notRegex(first, /Used space not known/);
  const a = (await c.get(`/api/v1/devices/${device.id}`)).json().deviceMap;
  const second = (await c.get(`/devices/${device.id}`)).text;
  const b = (await c.get(`/api/v1/devices/${device.id}`)).json().deviceMap;
  // A measurement per view would move these times (or, for this disk of another machine, record a failed attempt).
  t.deepEqual([a.usedMeasuredAt, a.usedAttemptedAt, a.usedUnknown], [iso, iso, []]);
  t.deepEqual([b.usedMeasuredAt, b.usedAttemptedAt, b.usedUnknown], [iso, iso, []]);
  t.is(a.usedGranularity, 'block');
  t.is(a.buckets[0].usedBytes, bucket);
  t.is(a.buckets[100].usedBytes, half);
  t.is(a.buckets[200].usedBytes, 0);
  t.is(second.match(/<rect class="used"/g)?.length, 128);
});

test('hostile model names and labels are escaped, and the chart data cannot end its script element', async (t) => {
  const evil = '</script><script>alert(1)</script><!--';
  const app = await appliance(t);
  const c = await admin(app);
  const doc = JSON.parse(fixture('smart-ata.json'));
  doc.model_name = evil;
  doc.model_family = '<img src=x onerror=alert(2)>';
  const device = await withDb(app.dir, async (db) => {
    const d = await addDevice(db, app.dir, disk({ label: '<b onmouseover=alert(3)>x</b>', model: evil, serial: '"><svg onload=alert(4)>' }), false);
    await checkWith(db, d, JSON.stringify(doc));
    return d;
  });
  const page = (await c.get(`/devices/${device.id}`)).text;
  t.false(page.includes('<script>alert(1)'));
  t.false(page.includes('<img src=x'));
  t.false(page.includes('<b onmouseover'));
  t.false(page.includes('<svg onload'));
  t.true(page.includes(html(evil)), 'shown, escaped');
  t.true(page.includes(html('<img src=x onerror=alert(2)>')), 'the drive’s family from smartctl, escaped');
  t.is((page.match(/<\/script>/g) ?? []).length, (page.match(/<script[ >]/g) ?? []).length, 'every script element closes where ours does');
  t.truthy(chartData(page).score.length);
  const data = { name: evil, more: 'a & b > c\u2028' };
  const json = scriptJson(data);
  t.false(/[<>&\u2028]/.test(json));
  t.deepEqual(JSON.parse(json), data);
});

test('checks recorded before the charts existed get their temperature from the smartctl output kept with them', async (t) => {
  const dir = await tempDir(t);
  // The database as the previous version left it: every migration before 007.
  const old = knexFactory({
    client: 'sqlite3',
    connection: { filename: join(dir, 'bitarr.db') },
    useNullAsDefault: true,
    migrations: { migrationSource: { ...migrationSource, getMigrations: async () => (await migrationSource.getMigrations([])).filter((n) => n < '20261125_007') } },
  });
  await old.migrate.latest();
  const device = await addDevice(old, dir, disk({}), false);
  const health = new HealthRepository(old);
  const record = (atNs: bigint, counters: Record<string, number>, raw: string | null) => health.record({ deviceId: device.id, collectedAtNs: atNs, verdict: 'passed', score: 100, reasons: [], counters, raw });
  const ata = report(fixture('smart-ata.json'));
  const nvme = report(fixture('smart-nvme.json'));
  await record(1n, metricValues(ata), fixture('smart-ata.json'));
  await record(2n, metricValues(nvme), fixture('smart-nvme.json'));
  await record(3n, {}, readFileSync(new URL('../fixtures/smartctl/bitarr/virtio-vda-x.json', import.meta.url), 'utf8'));
  await record(4n, { reallocated_sectors: 0 }, null);
  await old.destroy();

  const counters = await withDb(dir, async (db) => (await new HealthRepository(db).history(device.id, 10)).map((h) => h.counters));
  t.deepEqual(counters, [
    { ...metricValues(ata), temperature_c: 32 },
    { ...metricValues(nvme), temperature_c: JSON.parse(fixture('smart-nvme.json')).nvme_smart_health_information_log.temperature },
    {},
    { reallocated_sectors: 0 },
  ]);
});

const ext4 = labTest(fsNeeds('ext4'));

ext4('check now measures a real filesystem’s used space; the page then shows it as of that moment', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  await lab.randomTree(30, { seed: 5 });
  const app = await appliance(t);
  const c: Client = await admin(app);
  const hosts = (await c.get('/api/v1/hosts')).json().hosts as Array<{ local: boolean; devices: Array<{ id: number; mounts: Array<{ mountPoint: string }> }> }>;
  const device = hosts.find((h) => h.local)?.devices.find((d) => d.mounts.some((m) => m.mountPoint === lab.mnt));
  t.truthy(device, `the appliance detected the lab at ${lab.mnt}`);
  t.regex((await c.get(`/devices/${device!.id}`)).text, /Used space not known: not measured yet/);
  const r = await c.post(`/devices/${device!.id}/health`, { csrf: true });
  t.is(r.status, 303, r.text.slice(0, 300));
  const page = (await c.get(`/devices/${device!.id}`)).text;
  t.regex(page, /Used space as of <time datetime="[^"]+">[^<]+<\/time> \((\d+ seconds?) ago\), in blocks\./);
  const map = (await c.get(`/api/v1/devices/${device!.id}`)).json().deviceMap;
  const used = map.buckets.reduce((n: number, b: { usedBytes: number }) => n + b.usedBytes, 0);
  t.true(used > 0 && used < map.sizeBytes, `${used} of ${map.sizeBytes} bytes used`);
  t.regex(page, /<span class="verdict verdict-unknown">/, 'a loop device has no SMART of its own');
});
