/**
 * Faults during a scan lose no data and never turn into false findings: Ctrl-C stops cleanly
 * and resumes, kill -9 leaves a consistent database, files rewritten while being read are
 * retried and never called corrupted.
 */
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { alarms, bitarr, byPath, openDb, scan, startScanMidway, tempDir, type ScanJson } from './helpers/bitarr.js';
import { loadConfig } from '../src/config/index.js';
import { databaseFile, openDatabase, openReader } from '../src/repositories/db.js';
import { loadHostIdentity } from '../src/repositories/host.repository.js';
import { ScanService } from '../src/services/scan.service.js';

const FILES = 400;

async function tree(root: string) {
  for (let d = 0; d < 4; d++) {
    await mkdir(join(root, `d${d}`), { recursive: true });
    for (let i = 0; i < FILES / 4; i++) await writeFile(join(root, `d${d}`, `f${i}.bin`), randomBytes(16_384));
  }
}

async function setup(t: ExecutionContext) {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  return { root, cfg: join(dir, 'cfg') };
}

test('Ctrl-C stops cleanly, marks nothing missing, and --resume finishes the same scan', async (t) => {
  const { root, cfg } = await setup(t);
  // ~6.5 MB at 1 MB/s: a scan that is surely still running when interrupted.
  const { child, done } = await startScanMidway(root, cfg);
  child.kill('SIGINT');
  const r = await done;
  t.is(r.code, 130, r.stderr);
  const first: ScanJson = JSON.parse(r.stdout);
  t.is(first.status, 'interrupted');
  t.regex(first.reason ?? '', /stopped by SIGINT; nothing was marked missing; run again with --resume/);
  t.true(first.files > 0 && first.files < FILES, `stopped part-way (${first.files} files)`);
  t.is(first.counts.missing, 0);

  const resumed = await scan(root, cfg, ['--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(resumed.json.scanId, first.scanId, 'the same scan continues');
  t.is(resumed.json.status, 'completed');
  t.is(resumed.json.counts.new, FILES, 'every file counted once, none twice');
  t.is(resumed.json.files, FILES);
  t.is(resumed.json.findings.length, FILES);

  const next = await scan(root, cfg);
  t.is(next.json.counts.ok, FILES);
  t.deepEqual(byPath(next.json), {});
});

test('kill -9 mid-scan leaves an intact database; the next scan finds nothing wrong', async (t) => {
  const { root, cfg } = await setup(t);
  t.is((await scan(root, cfg)).code, 0);
  // Edit a few files so the killed scan has real work to write.
  for (let i = 0; i < 10; i++) await writeFile(join(root, 'd1', `f${i}.bin`), randomBytes(20_000));

  const { child, done } = await startScanMidway(root, cfg);
  child.kill('SIGKILL');
  t.is((await done).signal, 'SIGKILL');

  const db = openDb(cfg);
  t.deepEqual(await db.raw('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  await db.destroy();

  const r = await scan(root, cfg);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.status, 'completed');
  t.deepEqual(alarms(r.json), []);
  t.is(r.json.counts.missing, 0);
  t.is(r.json.counts.new, 0);
  t.is(r.json.counts.ok + r.json.counts.modified, FILES);
  t.true(r.json.counts.modified <= 10, 'only the edited files can be modified (some were already re-baselined by the killed scan)');

  const history = JSON.parse((await bitarr(['history', '--json', '--config-dir', cfg])).stdout).scans;
  t.is(history[1].status, 'aborted', 'the killed scan is marked aborted, not left running');
  t.regex(history[1].reason, /ended without finishing/);
});

test('a file rewritten while it is read is retried, then modified; one that never settles is busy; never corrupted', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  const cfg = join(dir, 'cfg');
  await mkdir(root, { recursive: true });
  const once = join(root, 'rewritten-once.bin');
  const always = join(root, 'always-changing.log');
  await writeFile(once, randomBytes(4 << 20));
  await writeFile(always, randomBytes(4 << 20));
  const past = new Date(Date.now() - 3600_000);
  await utimes(once, past, past);
  await utimes(always, past, past);
  t.is((await scan(root, cfg)).code, 0);

  // A writer that rewrites one file in place without pause for as long as the scan runs, and
  // rewrites the other exactly once while the throttled scan is reading it.
  const writer = spawn(process.execPath, [
    '-e',
    `const fs=require('fs'),c=require('crypto'),data=c.randomBytes(4<<20),fd=fs.openSync(${JSON.stringify(always)},'r+');
     setTimeout(()=>fs.writeFileSync(${JSON.stringify(once)},c.randomBytes(4<<20)),400);
     const end=Date.now()+60000;(function loop(){data[0]++;fs.writeSync(fd,data,0,data.length,0);if(Date.now()<end)setImmediate(loop)})();`,
  ]);
  t.teardown(() => writer.kill('SIGKILL'));
  const r = await scan(root, cfg, ['--max-rate', '4M', '--threads', '2']);
  writer.kill('SIGKILL');
  t.is(r.code, 0, r.stderr);
  const found = byPath(r.json);
  t.is(found['always-changing.log'], 'busy');
  t.is(found['rewritten-once.bin'], 'modified');
  t.deepEqual(alarms(r.json), []);
});

test('a root emptied mid-scan (a sync gone wrong, a share reset) interrupts the scan: nothing missing, nothing vanished', async (t) => {
  const { root, cfg } = await setup(t);
  t.is((await scan(root, cfg)).code, 0);
  const { done } = await startScanMidway(root, cfg);
  for (let d = 0; d < 4; d++) await rm(join(root, `d${d}`), { recursive: true, force: true });
  const r = await done;
  const j: ScanJson = JSON.parse(r.stdout);
  t.is(r.code, 2);
  t.is(j.status, 'interrupted');
  t.regex(j.reason ?? '', /turned empty during the scan/);
  t.is(j.counts.missing, 0);
  t.is(j.counts.vanished, 0);
});

test('a scan killed with -9 can be resumed: it continues the same scan and counts every file once', async (t) => {
  const { root, cfg } = await setup(t);
  const { child, done } = await startScanMidway(root, cfg);
  child.kill('SIGKILL');
  await done;

  const r = await scan(root, cfg, ['--resume']);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.scanId, 1, 'the killed scan itself is continued');
  t.is(r.json.status, 'completed');
  t.is(r.json.counts.new, FILES);
  t.is(r.json.files, FILES);
  t.is(r.json.findings.length, FILES, 'no file recorded twice');
  t.is(new Set(r.json.findings.map((f) => f.path)).size, FILES);
});

test('a second process may not scan files a running scan is scanning (it would take them for missing); other folders it may', async (t) => {
  const { root, cfg } = await setup(t);
  t.is((await scan(root, cfg)).code, 0);
  const other = join(root, '..', 'other');
  await mkdir(other);
  await writeFile(join(other, 'a.txt'), 'elsewhere');
  // ~6.5 MB at 256 kB/s: still running after the scans below, however slow the machine.
  const { child, done } = await startScanMidway(root, cfg, '256K');
  for (const path of [root, join(root, 'd1')]) {
    const refused = await bitarr(['scan', path, '--config-dir', cfg, '--json']);
    t.is(refused.code, 2, path);
    t.regex(refused.stderr, /^bitarr: scan \d+ of .*data is running on this host \(pid \d+\); two scans of the same files at once would take each other's files for missing/, path);
    t.is(refused.stdout, '', path);
  }
  const beside = await scan(other, cfg);
  t.is(beside.code, 0, beside.stderr);
  t.is(beside.json.counts.new, 1);
  child.kill('SIGINT');
  t.is((await done).code, 130);
  const db = openDb(cfg);
  try {
    t.is(Number((await db('scans').count({ n: '*' }).first())?.n), 3, 'the first scan, the interrupted one and the one beside it: the refused ones left no trace');
  } finally {
    await db.destroy();
  }
  const after = await scan(join(root, 'd1'), cfg);
  t.is(after.code, 0, after.stderr);
  t.is(after.json.counts.ok, FILES / 4);
  t.is(after.json.counts.missing, 0);
});

test('two processes starting scans of the same files at the same moment: one scans, the other is refused', async (t) => {
  const { root, cfg } = await setup(t);
  const config = loadConfig({ configDir: cfg });
  // Two processes' worth of connections: each service writes on its own, as two bitarr processes do.
  const services = [];
  for (let i = 0; i < 2; i++) {
    const db = await openDatabase(config);
    const reader = openReader(config);
    t.teardown(() => Promise.all([db.destroy(), reader.destroy()]));
    services.push(new ScanService(db, reader, loadHostIdentity(cfg), databaseFile(config)));
  }
  const request = { roots: [root], algorithm: 'xxh3-128' as const, excludes: [], threads: 1, resume: false, maxRate: 256_000 };
  // Both look for a running scan before either has written one; the second must still see the first.
  const started = await Promise.allSettled(services.map((s) => s.start(request)));
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const refused = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  for (const h of running) h.stop('test over');
  await Promise.all(running.map((h) => h.done));
  t.is(running.length, 1, `one scan runs (${refused.map((e) => e.message).join('; ')})`);
  t.is(refused.length, 1);
  t.regex(refused[0]?.message ?? '', /^scan \d+ of .*data is running on this host \(pid \d+\); two scans of the same files at once/);
  const db = openDb(cfg);
  try {
    t.is(Number((await db('scans').count({ n: '*' }).first())?.n), 1, 'the refused scan left no row');
  } finally {
    await db.destroy();
  }
});
