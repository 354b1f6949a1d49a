// Two writers on one SQLite file: the appliance's page connection and its scans' own writer, or the
// appliance and a `bitarr scan` run beside it. A transaction that reads before it writes must not
// fail because the other committed in between: it waits its turn instead.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/index.js';
import { openDatabase, openWriter } from '../src/repositories/db.js';
import { bitarr, tempDir, type ScanJson } from './helpers/bitarr.js';

test('a write transaction that read first still commits after another writer committed meanwhile, and so does the other', async (t) => {
  const config = loadConfig({ configDir: await tempDir(t) });
  const pages = await openDatabase(config);
  const scans = openWriter(config);
  t.teardown(() => Promise.all([pages.destroy(), scans.destroy()]));
  const setting = (key: string) => ({ key, value: '"x"', updated_at_ms: Date.now(), updated_by: null });

  let otherDone: Promise<string> = Promise.resolve('not started');
  const outcome = await scans
    .transaction(async (trx) => {
      // Read first, as the scan writer does (the top baseline id) before it inserts.
      await trx('settings').count({ n: '*' });
      // The other connection writes while this transaction is open; it may have to wait for it.
      otherDone = pages('settings')
        .insert(setting('written-meanwhile'))
        .then(() => 'done', (e: Error) => e.message);
      await sleep(200);
      // In a transaction begun with a plain BEGIN this failed with SQLITE_BUSY: its snapshot was
      // older than the other's commit, and no busy timeout helps with that.
      await trx('settings').insert(setting('written-after-reading'));
    })
    .then(() => 'committed', (e: Error) => e.message);
  t.is(outcome, 'committed');
  t.is(await otherDone, 'done');
  t.deepEqual((await pages('settings').orderBy('key').pluck('key')) as string[], ['written-after-reading', 'written-meanwhile']);
});

test('two first scans of sibling folders, started together into a new config dir, both complete with every file new', async (t) => {
  const root = await tempDir(t);
  const configDir = await tempDir(t);
  // Enough files for many write batches each, so the two writers' transactions interleave.
  const FILES = 12_000;
  for (const side of ['left', 'right']) {
    for (let d = 0; d < FILES / 1000; d++) {
      const dir = join(root, side, `d${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(join(dir, `f${i}`), `${side} ${d} ${i}\n`)));
    }
  }
  // Before: one of the two often failed, either creating the database ("table knex_migrations
  // already exists") or mid-scan (SQLITE_BUSY in a batch write: aborted).
  const runs = await Promise.all(['left', 'right'].map((side) => bitarr(['scan', join(root, side), '--config-dir', configDir, '--json'])));
  for (const r of runs) {
    t.is(r.code, 0, r.stderr.slice(0, 500));
    const json = JSON.parse(r.stdout) as ScanJson;
    t.is(json.status, 'completed');
    t.is(json.counts.new, FILES);
  }
});
