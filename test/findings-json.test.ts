/**
 * `scan --json`'s findings list, built by SQLite a page at a time and several pages at once: every
 * finding exactly once, in path order, paths relative to their root, whatever the page size.
 */
import test from 'ava';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { openDatabase, openReader } from '../src/repositories/db.js';
import { FindingRepository } from '../src/repositories/finding.repository.js';
import { tempDir } from './helpers/bitarr.js';

test('the findings list is every finding once, in path order, on one connection or several, with pages of any size', async (t) => {
  const dir = await tempDir(t);
  const config = { ...loadConfig({ configDir: join(dir, 'cfg') }), databaseUrl: null };
  const db = await openDatabase(config);
  const reader = openReader(config);
  t.teardown(() => Promise.all([db.destroy(), reader.destroy()]));
  const [scanId] = await db('scans').insert({ host_id: 'h', hostname: 'h', algorithm: 'xxh3-128', status: 'completed', options: '{}', counts: '{}', started_at_ns: '1' });
  const roots = ['/mnt/photos', '/srv/music/'];
  const rootIds: number[] = [];
  for (const path of roots) rootIds.push((await db('scan_roots').insert({ scan_id: scanId, path }))[0]!);
  // Inserted out of order, with one path found twice (its rows keep their insertion order).
  const rows: Array<{ root: number; name: string; status: string; detail: string | null }> = [];
  for (let i = 0; i < 23; i++) rows.push({ root: 0, name: `2019/IMG_${String((i * 7) % 23).padStart(4, '0')}.jpg`, status: i % 5 ? 'new' : 'modified', detail: i % 5 ? null : 'content changed, "quoted" too' });
  for (let i = 0; i < 9; i++) rows.push({ root: 1, name: `album ${i % 3}/track ${i}.flac`, status: 'missing', detail: null });
  rows.push({ root: 0, name: '2019/IMG_0003.jpg', status: 'moved', detail: 'moved from 2018/IMG_0003.jpg' });
  const full = (r: (typeof rows)[number]) => (roots[r.root]!.endsWith('/') ? roots[r.root] : roots[r.root] + '/') + r.name;
  for (const r of rows) await db('scan_findings').insert({ scan_id: scanId, root_id: rootIds[r.root], path: full(r), status: r.status, detail: r.detail });

  const expected = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (full(a.r) < full(b.r) ? -1 : full(a.r) > full(b.r) ? 1 : a.i - b.i))
    .map(({ r }) => ({ path: r.name, root: roots[r.root], status: r.status, detail: r.detail }));
  for (const [conn, label] of [[db, 'writer'], [reader, 'readers']] as const) {
    for (const limit of [1, 7, 33, 5000]) {
      for (const ahead of [1, 3]) {
        const chunks: string[] = [];
        for await (const chunk of new FindingRepository(conn).jsonPages(scanId!, limit, ahead)) chunks.push(chunk);
        t.deepEqual(JSON.parse(`[${chunks.join(',')}]`), expected, `${label}, pages of ${limit}, ${ahead} at once`);
        t.is(chunks.length, Math.ceil(rows.length / limit));
      }
    }
  }
});
