/** The command line a user types: bad input gets one clear line, exit 2, and changes nothing. */
import test, { type ExecutionContext } from 'ava';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { bitarr, CLI, collect, dump, openDb, scan, tempDir } from './helpers/bitarr.js';
import { labTest } from './lab/index.js';

async function setup(t: ExecutionContext) {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'a.txt'), 'alpha');
  await writeFile(join(root, 'sub/b.txt'), 'beta');
  const cfg = join(dir, 'cfg');
  t.is((await scan(root, cfg)).code, 0);
  return { dir, root, cfg };
}

const refusals: Array<[string, (s: { dir: string; root: string; cfg: string }) => string[], RegExp]> = [
  ['a path that does not exist', (s) => ['scan', join(s.dir, 'nope'), '--config-dir', s.cfg], /no such path: .*nope/],
  ['an unknown algorithm', (s) => ['scan', s.root, '--algorithm', 'crc32', '--config-dir', s.cfg], /unknown algorithm "crc32"; choose one of xxh3-128, blake3/],
  ['a file instead of a folder', (s) => ['scan', join(s.root, 'a.txt'), '--config-dir', s.cfg], /not a directory/],
  ['an unknown option', (s) => ['scan', s.root, '--fast', '--config-dir', s.cfg], /Unknown option '--fast'/],
  ['zero threads', (s) => ['scan', s.root, '--threads', '0', '--config-dir', s.cfg], /--threads must be a whole number/],
  ['a nested root', (s) => ['scan', s.root, join(s.root, 'sub'), '--config-dir', s.cfg], /is inside/],
  ['--resume with nothing to resume', (s) => ['scan', s.root, '--resume', '--config-dir', s.cfg], /nothing to resume/],
  ['an unknown command', () => ['frobnicate'], /unknown command "frobnicate"/],
  ['show of a scan that does not exist', (s) => ['show', '999', '--config-dir', s.cfg], /no scan 999/],
  ['show with an unknown finding', (s) => ['show', '1', '--status', 'weird', '--config-dir', s.cfg], /unknown finding "weird"/],
];

for (const [what, args, message] of refusals) {
  test(`refuses ${what}: one line, exit 2, nothing changed`, async (t) => {
    const s = await setup(t);
    const before = await dump(s.cfg);
    const r = await bitarr(args(s));
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, message);
    t.regex(r.stderr, /^bitarr: /);
    t.notRegex(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    t.is(r.stdout, '');
    t.is(await dump(s.cfg), before);
  });
}

test('refuses a config dir that is a file', async (t) => {
  const s = await setup(t);
  const file = join(s.dir, 'not-a-dir');
  await writeFile(file, 'x');
  const r = await bitarr(['scan', s.root, '--config-dir', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^bitarr: .*config dir .*not-a-dir/);
});

labTest(['root'])('refuses an unreadable config dir for an unprivileged user', async (t) => {
  const s = await setup(t);
  await chmod(s.dir, 0o755);
  await chmod(s.cfg, 0o700);
  const r = await bitarr(['history', '--config-dir', s.cfg], { uid: 65534, gid: 65534 });
  t.is(r.code, 2);
  t.regex(r.stderr, /^bitarr: the config dir .* is not readable and writable by this user/);
});

test('refuses a database written by a newer Bitarr, and leaves it as it was', async (t) => {
  const s = await setup(t);
  const db = openDb(s.cfg);
  await db('knex_migrations').insert({ name: '20991231_999_future', batch: 9, migration_time: new Date() });
  await db.destroy();
  const before = await dump(s.cfg);
  for (const args of [['scan', s.root], ['history']]) {
    const r = await bitarr([...args, '--config-dir', s.cfg]);
    t.is(r.code, 2);
    t.regex(r.stderr, /written by a newer Bitarr .*20991231_999_future.*upgrade Bitarr/);
  }
  t.is(await dump(s.cfg), before);
});

test('history, show and files tell what Bitarr knows', async (t) => {
  const s = await setup(t);
  await writeFile(join(s.root, 'a.txt'), 'alpha, edited');
  await scan(s.root, s.cfg);

  const h = await bitarr(['history', '--config-dir', s.cfg, '--json']);
  const scans = JSON.parse(h.stdout).scans;
  t.deepEqual(scans.map((x: { scanId: number; status: string }) => [x.scanId, x.status]), [[2, 'completed'], [1, 'completed']]);
  const text = await bitarr(['history', '--config-dir', s.cfg]);
  t.regex(text.stdout, /^ID\s+STATUS\s+STARTED/);
  t.regex(text.stdout, /\n2\s+completed/);

  const show = JSON.parse((await bitarr(['show', '2', '--config-dir', s.cfg, '--json'])).stdout);
  t.deepEqual(show.findings, [{ path: 'a.txt', root: s.root, status: 'modified', detail: 'size 5 → 13, mtime changed' }]);
  const firstNew = JSON.parse((await bitarr(['show', '1', '--status', 'new', '--config-dir', s.cfg, '--json'])).stdout);
  t.is(firstNew.total, 2);
  t.deepEqual(firstNew.findings.map((f: { path: string }) => f.path), ['a.txt', 'sub/b.txt']);

  const files = JSON.parse((await bitarr(['files', s.root, '--config-dir', s.cfg, '--json'])).stdout).files;
  t.deepEqual(files.map((f: { path: string }) => f.path), [join(s.root, 'a.txt'), join(s.root, 'sub/b.txt')]);
  t.is(files[0].algorithm, 'xxh3-128');
  t.regex(files[0].hash, /^[0-9a-f]{32}$/);
  t.true(Date.parse(files[0].lastVerifiedGood) > 0);
  const one = await bitarr(['files', join(s.root, 'sub/b.txt'), '--config-dir', s.cfg]);
  t.regex(one.stdout, /sub\/b\.txt\n\s+4 bytes, last verified good \d{4}-.*xxh3-128 [0-9a-f]{32}/);
});

test('BITARR_CONFIG_DIR is the default config dir', async (t) => {
  const s = await setup(t);
  const r = await bitarr(['history', '--json'], { env: { BITARR_CONFIG_DIR: s.cfg } });
  t.is(JSON.parse(r.stdout).scans.length, 1);
});

test('says plainly that PostgreSQL is not supported yet instead of half-working', async (t) => {
  const s = await setup(t);
  const before = await dump(s.cfg);
  const r = await bitarr(['scan', s.root, '--config-dir', s.cfg], { env: { DATABASE_URL: 'postgres://bitarr@127.0.0.1/bitarr' } });
  t.is(r.code, 2);
  t.regex(r.stderr, /^bitarr: DATABASE_URL \(PostgreSQL\) is not supported yet/);
  t.is(await dump(s.cfg), before);
});

test('on a terminal, scan shows live progress: files, bytes, rate and the file being read', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 20; i++) await writeFile(join(s.root, `big${i}.bin`), Buffer.alloc(200_000, i));
  // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
  const cmd = `${process.execPath} ${CLI} scan ${s.root} --config-dir ${s.cfg} --max-rate 2M --threads 1`;
  const r = await collect(spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.is(r.code, 0, r.stdout + r.stderr);
  const frames = r.stdout.split('\r\x1b[K').filter((f) => /files/.test(f) && !/Scan \d/.test(f));
  t.true(frames.length >= 3, `several progress frames were drawn (${frames.length})`);
  t.regex(frames[frames.length - 1], /^\d[\d,]* files {2}[\d.]+ [KM]?B {2}[\d.]+ [KM]?B\/s .*big\d+\.bin/);
  t.regex(frames.join(''), / ETA [\d.]+s/, 'an ETA from the previous scan of these roots');
  t.regex(r.stdout, /Scan 2 completed/);
});
