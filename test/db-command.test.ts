/** `bitarr db backup|list|restore`: backups a user can trust, and a restore that asks first and can be undone. */
import test, { type ExecutionContext } from 'ava';
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import knexFactory from 'knex';
import { migrationSource } from '../src/repositories/db.js';
import { bitarr, dump, inSqliteFile, scan, startScanMidway, tempDir } from './helpers/bitarr.js';

async function setup(t: ExecutionContext) {
  const dir = await tempDir(t, 'bitarr-db-');
  const root = join(dir, 'data');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'a.txt'), 'alpha');
  await writeFile(join(root, 'sub/b.txt'), 'beta');
  const cfg = join(dir, 'cfg');
  t.is((await scan(root, cfg)).code, 0);
  return { dir, root, cfg, backups: join(cfg, 'backups') };
}

async function backup(t: ExecutionContext, cfg: string): Promise<string> {
  const r = await bitarr(['db', 'backup', '--json', '--config-dir', cfg]);
  t.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).backup.name;
}

/** A backup file, opened as any SQLite client would. */
test('backup writes a checked single-file copy; list summarises each backup from its own file', async (t) => {
  const s = await setup(t);
  const name = await backup(t, s.cfg);
  t.regex(name, /^bitarr-\d{8}-\d{6}\.db$/);
  const file = join(s.backups, name);
  t.is((await stat(file)).mode & 0o777, 0o600, 'it holds password hashes: for the owner only');
  t.deepEqual((await readdir(s.backups)).sort(), [name], 'no -wal, -shm or partial file beside it');
  await inSqliteFile(file, async (db) => {
    t.deepEqual(await db.raw('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    t.deepEqual(await db.raw('PRAGMA journal_mode'), [{ journal_mode: 'delete' }]);
  });

  await writeFile(join(s.root, 'c.txt'), 'gamma');
  t.is((await scan(s.root, s.cfg)).code, 0);
  const list = await bitarr(['db', 'list', '--json', '--config-dir', s.cfg]);
  t.is(list.code, 0, list.stderr);
  const j = JSON.parse(list.stdout);
  t.like(j.current, { scans: 2, baselines: 3, events: 0 });
  t.is(j.backups.length, 1);
  t.like(j.backups[0], { name, kind: 'bitarr', problem: null, newerMigrations: [], summary: { scans: 1, baselines: 2, events: 0 } });
  t.deepEqual(j.backups[0].summary.migrations, j.current.migrations);
  t.is(j.backups[0].size, (await stat(file)).size);

  const text = await bitarr(['db', 'list', '--config-dir', s.cfg]);
  t.regex(text.stdout, /^NAME +TAKEN +SIZE +MIGRATIONS +SCANS +BASELINES +EVENTS +NEWEST SCAN\n/);
  t.regex(text.stdout, new RegExp(`${name} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +[\\d.]+ KB +\\d+ \\(\\S+\\) +1 +2 +0 +\\d{4}-`));
});

test('restore --yes brings back exactly the backed-up database, and saves the one it replaced to undo it', async (t) => {
  const s = await setup(t);
  const name = await backup(t, s.cfg);
  const backedUp = await dump(s.cfg);
  await writeFile(join(s.root, 'a.txt'), 'alpha, edited');
  await writeFile(join(s.root, 'c.txt'), 'gamma');
  t.is((await scan(s.root, s.cfg)).code, 0);
  const later = await dump(s.cfg);

  const r = await bitarr(['db', 'restore', name, '--yes', '--config-dir', s.cfg]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^ +NOW \(REPLACED\) +BACKUP bitarr-/);
  t.regex(r.stdout, /\nscans +2 +1\n/);
  t.regex(r.stdout, /\nbaselines +3 +2\n/);
  const pre = /saved as (pre-restore-\d{8}-\d{6}\.db)/.exec(r.stdout)?.[1];
  t.truthy(pre, r.stdout);
  t.is(await dump(s.cfg), backedUp, 'scans, baselines, findings, devices, migrations: as backed up');
  const history = JSON.parse((await bitarr(['history', '--json', '--config-dir', s.cfg])).stdout);
  t.deepEqual(history.scans.map((x: { scanId: number }) => x.scanId), [1]);

  // Undo: the pre-restore backup is the database as it was.
  const undo = await bitarr(['db', 'restore', pre!, '--yes', '--json', '--config-dir', s.cfg]);
  t.is(undo.code, 0, undo.stderr);
  t.like(JSON.parse(undo.stdout), { restored: { name: pre, kind: 'pre-restore' }, current: { scans: 2, baselines: 3 } });
  t.is(await dump(s.cfg), later);
});

test('a backup from an older Bitarr is restored and brought up to date by the migrations it lacks', async (t) => {
  const s = await setup(t);
  const all = await migrationSource.getMigrations([]);
  const old = 'bitarr-20200101-000000.db';
  await mkdir(s.backups, { recursive: true });
  const db = knexFactory({ client: 'sqlite3', connection: { filename: join(s.backups, old) }, useNullAsDefault: true, migrations: { migrationSource } });
  for (let i = 0; i < all.length - 1; i++) await db.migrate.up();
  await db.raw('PRAGMA journal_mode = DELETE');
  await db.destroy();

  const r = await bitarr(['db', 'restore', old, '--yes', '--config-dir', s.cfg]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`\\nmigrations +${all.length} \\(${all.at(-1)}\\) +${all.length - 1} \\(${all.at(-2)}\\)\\n`));
  const list = JSON.parse((await bitarr(['db', 'list', '--json', '--config-dir', s.cfg])).stdout);
  t.deepEqual(list.current.migrations, all);
  t.like(list.current, { scans: 0, baselines: 0 });
  t.is((await scan(s.root, s.cfg)).json.counts.new, 2, 'a working database, with the old (empty) content');
});

test('restore asks: without --yes and without a terminal it is refused, and so are unknown names and ../', async (t) => {
  const s = await setup(t);
  const name = await backup(t, s.cfg);
  await writeFile(join(s.root, 'c.txt'), 'gamma');
  t.is((await scan(s.root, s.cfg)).code, 0);
  const before = await dump(s.cfg);
  const cases: Array<[string[], RegExp]> = [
    [['db', 'restore', name], /restoring replaces the database: add --yes, or run it in a terminal to confirm/],
    [['db', 'restore', 'bitarr-20200101-000000.db', '--yes'], /no backup named "bitarr-20200101-000000.db"/],
    [['db', 'restore', `../backups/${name}`, '--yes'], /no backup named "\.\.\/backups\/bitarr-/],
    [['db', 'restore', '../bitarr.db', '--yes'], /no backup named "\.\.\/bitarr\.db"/],
    [['db', 'restore', '--yes'], /usage: bitarr db backup\|list\|restore NAME/],
    [['db', 'backup', '--yes'], /--yes goes with restore/],
    [['db', 'drop'], /usage: bitarr db/],
  ];
  for (const [args, message] of cases) {
    const r = await bitarr([...args, '--config-dir', s.cfg]);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
  t.is(await dump(s.cfg), before);
  t.deepEqual(await readdir(s.backups), [name], 'no pre-restore backup: nothing was started');
});

test('a garbage file and a backup from a newer Bitarr are listed as unusable and never restored', async (t) => {
  const s = await setup(t);
  const name = await backup(t, s.cfg);
  const garbage = 'bitarr-20200101-000000.db';
  await writeFile(join(s.backups, garbage), Buffer.alloc(8192, 'not a database '));
  const newer = 'bitarr-20990101-000000.db';
  await copyFile(join(s.backups, name), join(s.backups, newer));
  const db = knexFactory({ client: 'sqlite3', connection: { filename: join(s.backups, newer) }, useNullAsDefault: true });
  await db('knex_migrations').insert({ name: '20991231_999_from_the_future', batch: 9, migration_time: new Date() });
  await db.destroy();
  const before = await dump(s.cfg);

  const list = JSON.parse((await bitarr(['db', 'list', '--json', '--config-dir', s.cfg])).stdout);
  t.like(list.backups.find((b: { name: string }) => b.name === garbage), { summary: null });
  t.regex(list.backups.find((b: { name: string }) => b.name === garbage).problem, /not a readable SQLite database \(file is not a database\)/);
  t.deepEqual(list.backups.find((b: { name: string }) => b.name === newer).newerMigrations, ['20991231_999_from_the_future']);
  t.regex((await bitarr(['db', 'list', '--config-dir', s.cfg])).stdout, new RegExp(`${garbage} .* unusable: it is not a readable SQLite database`));

  for (const [file, message] of [
    [garbage, /bitarr-20200101-000000\.db cannot be restored: it is not a readable SQLite database/],
    [newer, /bitarr-20990101-000000\.db was written by a newer Bitarr \(unknown migration 20991231_999_from_the_future\); upgrade Bitarr to restore it/],
  ] as const) {
    const r = await bitarr(['db', 'restore', file, '--yes', '--config-dir', s.cfg]);
    t.is(r.code, 2, r.stdout);
    t.regex(r.stderr, message);
  }
  t.is(await dump(s.cfg), before);
  t.false((await readdir(s.backups)).some((f) => f.startsWith('pre-restore-')), 'refused before anything was saved or replaced');
});

test('restore is refused while a scan is running; a backup meanwhile works', async (t) => {
  const s = await setup(t);
  const name = await backup(t, s.cfg);
  const big = join(s.dir, 'big');
  await mkdir(big);
  for (let i = 0; i < 40; i++) await writeFile(join(big, `f${i}.bin`), Buffer.alloc(64 * 1024, i));
  const { child, done } = await startScanMidway(big, s.cfg, '256K');
  try {
    const r = await bitarr(['db', 'restore', name, '--yes', '--config-dir', s.cfg]);
    t.is(r.code, 2);
    t.regex(r.stderr, /scan 2 is running: restore once it has finished or been stopped/);
    const during = await backup(t, s.cfg);
    await inSqliteFile(join(s.backups, during), async (db) => {
      t.deepEqual(await db.raw('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      t.like(await db('scans').where({ id: 2 }).first(), { status: 'running' });
    });
  } finally {
    child.kill('SIGINT');
    await done;
  }
});

test('DATABASE_URL: backups of PostgreSQL are pg_dump’s job, said before anything is opened', async (t) => {
  const dir = await tempDir(t, 'bitarr-db-');
  const r = await bitarr(['db', 'backup', '--config-dir', dir], { env: { DATABASE_URL: 'postgres://bitarr@127.0.0.1:1/bitarr' } });
  t.is(r.code, 2);
  t.regex(r.stderr, /^bitarr: backups of a PostgreSQL database are made with pg_dump/);
  t.deepEqual(await readdir(dir), []);
});
