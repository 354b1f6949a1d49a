// Two writers on one SQLite file: the appliance's page connection and its scans' own writer, or the
// appliance and a `bitarr scan` run beside it. A transaction that reads before it writes must not
// fail because the other committed in between: it waits its turn instead.
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/index.js';
import { openDatabase, openWriter } from '../src/repositories/db.js';
import { tempDir } from './helpers/bitarr.js';

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
