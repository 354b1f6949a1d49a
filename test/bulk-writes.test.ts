/**
 * The scan's bulk writes on a real SQLite file: baselines sent as one JSON text a batch must write
 * exactly the rows given, and a failing row must fail the transaction (nothing half-written) and
 * leave a database that still closes: an unfinalized statement would make SQLite refuse to close.
 */
import test from 'ava';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/repositories/db.js';
import { BaselineRepository, type BaselineWrite } from '../src/repositories/baseline.repository.js';
import { BaselineLookup } from '../src/repositories/baseline-lookup.js';
import { FindingRepository } from '../src/repositories/finding.repository.js';
import { JsonRows } from '../src/repositories/baseline-json.js';
import { ScanRepository } from '../src/repositories/scan.repository.js';
import { ScanWriter } from '../src/services/scan-writer.js';
import { tempDir } from './helpers/bitarr.js';

const row = (i: number): BaselineWrite => ({
  path: `/mnt/photos/${String(i).padStart(6, '0')}.jpg`,
  kind: 'file',
  size: BigInt(1000 + i),
  // Nanosecond times beyond 2^53 must survive exactly.
  mtimeNs: 1_795_643_878_355_211_876n + BigInt(i),
  ctimeNs: 1_795_643_878_355_211_877n,
  inode: BigInt(i + 12),
  hash: Buffer.alloc(16, i % 256),
  algorithm: 'xxh3-128',
  verifiedAtNs: 1_795_643_878_000_000_000n,
  firstScanId: 1,
  lastSeenScanId: 1,
  missingSinceScanId: null,
  deviceId: null,
});

async function open(t: { teardown(fn: () => unknown): void }) {
  const dir = await tempDir(t);
  return openDatabase({ ...loadConfig({ configDir: join(dir, 'cfg') }), databaseUrl: null });
}

test('upserts 6,123 baselines in batches: every value read back exactly, an update replaces', async (t) => {
  const db = await open(t);
  const repo = new BaselineRepository(db);
  const rows = Array.from({ length: 6123 }, (_, i) => row(i));
  await db.transaction((trx) => repo.upsert(trx, rows));
  const back = await repo.listAt('/mnt/photos', null, 10_000);
  t.is(back.length, 6123);
  const last = back[6122]!;
  t.deepEqual([last.size, last.mtimeNs, last.inode, last.hash.length, last.hash[0]], [7122n, 1_795_643_878_355_211_876n + 6122n, 6134n, 16, 6122 % 256]);
  t.is(last.missingSinceScanId, null);
  await db.transaction((trx) => repo.upsert(trx, [{ ...row(6122), size: 5n, lastSeenScanId: 2, missingSinceScanId: 2 }]));
  const [updated] = await repo.listAt(row(6122).path, null, 1);
  t.deepEqual([updated!.size, updated!.lastSeenScanId, updated!.missingSinceScanId], [5n, 2, 2]);
  await db.destroy();
});

test('rows that share nothing (kind, scans, device, missing) are each written with their own values', async (t) => {
  const db = await open(t);
  const repo = new BaselineRepository(db);
  await db('scan_hosts').insert({ id: 'h1', hostname: 'nas', first_seen_ns: 1, last_seen_ns: 1 });
  const device = (n: number) => ({ host_id: 'h1', identity_kind: 'fs-uuid', identity_value: `uuid-${n}`, first_seen_ns: 1, last_seen_ns: 1 });
  await db('storage_devices').insert([device(1), device(2)]);
  const devices = [null, ...(await db('storage_devices').pluck('id'))];
  t.is(devices.length, 3);
  const rows = Array.from({ length: 2700 }, (_, i): BaselineWrite => ({
    ...row(i),
    kind: i % 7 === 0 ? 'symlink' : 'file',
    firstScanId: 1 + (i % 3),
    lastSeenScanId: 4,
    missingSinceScanId: i % 5 === 0 ? 4 : null,
    deviceId: devices[i % devices.length] ?? null,
  }));
  await db.transaction((trx) => repo.upsert(trx, rows));
  const back = new Map((await repo.listAt('/mnt/photos', null, 10_000)).map((b) => [b.path, b]));
  t.is(back.size, 2700);
  const wrong = rows.filter((r) => {
    const b = back.get(r.path)!;
    return b.kind !== r.kind || b.firstScanId !== r.firstScanId || b.missingSinceScanId !== r.missingSinceScanId || b.size !== r.size || b.mtimeNs !== r.mtimeNs || !b.hash.equals(r.hash);
  });
  t.deepEqual(wrong.map((r) => r.path), []);
  const devicesBack = await db('baselines').select('path', 'device_id');
  t.true(devicesBack.every((d: { path: string; device_id: number | null }) => d.device_id === (rows.find((r) => r.path === d.path)!.deviceId ?? null)));
  await db.destroy();
});

test('a row SQLite refuses fails the whole batch, writes nothing, and the database still closes', async (t) => {
  const db = await open(t);
  const repo = new BaselineRepository(db);
  const rows = Array.from({ length: 3000 }, (_, i) => row(i));
  // NOT NULL: a kind the schema refuses, in the second statement of the batch.
  (rows[2600] as { kind: unknown }).kind = null;
  await t.throwsAsync(db.transaction((trx) => repo.upsert(trx, rows)), { message: /NOT NULL/ });
  t.is((await repo.listAt('/mnt/photos', null, 10_000)).length, 0, 'the transaction rolled back');
  await t.notThrowsAsync(db.destroy());
});

test('inode numbers above 2^63 (overlayfs xino, some NFS) survive exactly: baselines, findings and the worker\'s fingerprint', async (t) => {
  const db = await open(t);
  const repo = new BaselineRepository(db);
  const inodes = [2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 12n];
  const rows = inodes.map((inode, i) => ({ ...row(i), inode }));
  await db.transaction((trx) => repo.upsert(trx, rows));
  const back = await repo.listAt('/mnt/photos', null, 10);
  t.deepEqual(back.map((b) => b.inode), inodes);

  // The fingerprint a worker compares its read with: the inode as the same 16 hex digits it reads.
  const lookup = new BaselineLookup((db.client.config.connection as { filename: string }).filename, 'xxh3-128', false);
  t.teardown(() => lookup.close());
  const matches = await lookup.match(rows.map((r) => r.path));
  t.deepEqual(
    matches.map((m) => m?.fingerprint?.slice(2 + 48, 2 + 64)),
    inodes.map((i) => i.toString(16).padStart(16, '0')),
  );
  const full = await lookup.full(matches.map((m) => m!.id));
  t.deepEqual([...full.values()].map((b) => b.inode), inodes);

  const [scanId] = await db('scans').insert({ host_id: 'h', hostname: 'h', algorithm: 'xxh3-128', status: 'running', options: '{}', counts: '{}', started_at_ns: '1' });
  const [rootId] = await db('scan_roots').insert({ scan_id: scanId, path: '/mnt/photos' });
  const findings = new FindingRepository(db);
  await db.transaction((trx) => findings.insert(trx, rows.map((r) => ({ scanId: scanId!, rootId: rootId!, path: r.path, status: 'missing' as const, detail: null, size: r.size, mtimeNs: r.mtimeNs, inode: r.inode, hash: r.hash }))));
  t.deepEqual((await findings.withStatuses(scanId!, ['missing'])).map((f) => f.inode), inodes);
  await db.destroy();
});

test('files the workers settled as new get a baseline and a `new` finding with the same values each, also after the newest baselines were deleted and when a path already had one', async (t) => {
  const db = await open(t);
  t.teardown(() => db.destroy());
  const baselines = new BaselineRepository(db);
  const findings = new FindingRepository(db);
  const scans = new ScanRepository(db);
  const [scanId] = await db('scans').insert({ host_id: 'h', hostname: 'h', algorithm: 'xxh3-128', status: 'running', options: '{}', counts: '{}', started_at_ns: '1' });
  await db('scan_roots').insert({ scan_id: scanId, path: '/mnt/photos' });
  const [root] = await scans.roots(scanId!);
  const writer = new ScanWriter(db, scanId!, 'xxh3-128', { baselines, findings, scans }, { counts: {}, filesDone: 0, bytesDone: 0n });
  const settle = async (rows: BaselineWrite[]) => {
    const json = new JsonRows();
    for (const r of rows) json.add(r.path, r.size, r.mtimeNs, r.ctimeNs, r.inode, r.hash.toString('hex'), r.verifiedAtNs);
    writer.settledNew(root!, { rows: json.text(), count: rows.length, bytes: 0 });
    await writer.flush();
  };
  const rows = Array.from({ length: 900 }, (_, i) => row(i));
  await settle(rows.slice(0, 300));
  // The newest baselines gone (a file moved, say): AUTOINCREMENT numbers new rows above them still.
  await db('baselines').whereIn('path', rows.slice(280, 300).map((r) => r.path)).delete();
  await settle(rows.slice(300, 600));
  // A path that already has a baseline is updated, not inserted, and still gets its finding.
  await settle([rows[0]!, ...rows.slice(600, 900)]);

  const line = (r: { path: string; size: bigint | null; mtimeNs: bigint | null; inode: bigint | null; hash: Buffer | null }) => [r.path, r.size, r.mtimeNs, r.inode, r.hash?.toString('hex')].join(' ');
  const written = (await findings.withStatuses(scanId!, ['new'])).map(line);
  t.is(written.length, 901, 'a finding for every file settled, the updated one too');
  t.deepEqual(written.sort(), [...rows, rows[0]!].map(line).sort());
  const stored = (await baselines.listAt('/mnt/photos', null, 10_000)).map(line);
  t.deepEqual(stored.sort(), [...rows.slice(0, 280), ...rows.slice(300)].map(line).sort());
  t.is(writer.counts.new, 901);
});
