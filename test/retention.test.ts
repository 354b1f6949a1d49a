/**
 * Retention on a real database: old scans go with their findings; the newest completed scan of
 * each set of folders, unfinished scans and scans a bitrot event points to stay; 0 keeps all.
 */
import test from 'ava';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/repositories/db.js';
import { FindingRepository } from '../src/repositories/finding.repository.js';
import { ScanRepository } from '../src/repositories/scan.repository.js';
import { RetentionService } from '../src/services/retention.service.js';
import { tempDir } from './helpers/bitarr.js';
import { seed } from './server/seed.js';

const DAY_NS = 86_400n * 1_000_000_000n;

test('scans past the retention are deleted with their findings, except the newest per folders, unfinished ones and those events point to', async (t) => {
  const dir = await tempDir(t, 'bitarr-retention-');
  const seeded = await seed(dir, { checkHealth: false });
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  t.teardown(() => db.destroy());
  const scans = new ScanRepository(db);
  const findings = new FindingRepository(db);
  const host = { id: 'seed-host', hostname: 'tiko', address: '192.168.1.25', addresses: [] };
  const root = (path: string) => ({ path, device: { dev: 1n, mountPoint: path, mountType: 'ext4', fsType: 'ext4', source: '/dev/sdz1', uuid: null, label: null, note: null, deviceId: null, mountId: null } });
  const make = async (path: string, daysAgo: number, status: 'completed' | 'interrupted') => {
    const id = await scans.create(host, 'xxh3-128', { excludes: [], threads: 1 }, [root(path)]);
    const [r] = await scans.roots(id);
    await findings.insert(db, [1, 2, 3].map((i) => ({ scanId: id, rootId: r!.id, path: `${path}/f${i}`, status: 'new' as const, detail: null, size: 1n, mtimeNs: 1n, inode: BigInt(i), hash: null })));
    await scans.finish(id, status, null);
    await db('scans').where({ id }).update({ started_at_ns: String(BigInt(Date.now()) * 1_000_000n - BigInt(daysAgo) * DAY_NS) });
    return id;
  };
  const oldPhotos = await make('/mnt/photos', 100, 'completed');
  const onlyMusic = await make('/mnt/music', 100, 'completed');
  const midPhotos = await make('/mnt/photos', 50, 'completed');
  const unfinished = await make('/mnt/photos', 100, 'interrupted');
  const recentPhotos = await make('/mnt/photos', 1, 'completed');
  // The scan an event was opened by, made old: events keep it.
  const event = await db('bitrot_events').where({ id: seeded.eventId }).first();
  await db('scans').where({ id: event.first_scan_id }).update({ started_at_ns: String(BigInt(Date.now()) * 1_000_000n - 200n * DAY_NS) });

  t.deepEqual(await new RetentionService(scans).prune(0), [], '0 days keeps everything');
  const deleted = await new RetentionService(scans).prune(30);
  t.deepEqual(deleted.sort(), [oldPhotos, midPhotos].sort());
  const left = (await db('scans').pluck('id')) as number[];
  for (const id of [onlyMusic, unfinished, recentPhotos, event.first_scan_id]) t.true(left.includes(id), `scan ${id} kept`);
  t.is(Number((await db('scan_findings').whereIn('scan_id', [oldPhotos, midPhotos]).count({ n: '*' }).first())!.n), 0, 'their findings are gone');
  t.is(Number((await db('scan_roots').whereIn('scan_id', [oldPhotos, midPhotos]).count({ n: '*' }).first())!.n), 0, 'and their roots');
  t.is(Number((await db('scan_findings').where({ scan_id: onlyMusic }).count({ n: '*' }).first())!.n), 3, 'kept scans keep their findings');
  t.deepEqual(await new RetentionService(scans).prune(30), [], 'a second run has nothing left to do');
});
