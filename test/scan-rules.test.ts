/**
 * The findings rule end to end through `bitarr scan --json`, on an ordinary directory: the
 * legitimate changes a user makes must each get their own finding, and never an alarm.
 * Real corruption under files is in filesystems.test.ts (it needs loop devices).
 */
import test from 'ava';
import { mkdir, rename, rm, stat, symlink, unlink, utimes, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { alarms, bitarr, byPath, openDb, scan, tempDir } from './helpers/bitarr.js';

async function tree(root: string) {
  await mkdir(join(root, 'photos/2020'), { recursive: true });
  await mkdir(join(root, 'docs'), { recursive: true });
  const files: Record<string, number> = {
    'photos/2020/a.jpg': 300_000,
    'photos/2020/b.jpg': 5_000,
    'photos/c.png': 70_000,
    'docs/letter.txt': 1_200,
    'docs/notes.txt': 800,
    'docs/old.txt': 100,
    'docs/tax.pdf': 2_000_000,
    'empty.bin': 0,
  };
  for (const [rel, size] of Object.entries(files)) await writeFile(join(root, rel), randomBytes(size));
  await symlink('docs/letter.txt', join(root, 'latest'));
  // Baselines read within the timestamp granularity of the write prove nothing; age the files.
  const past = new Date(Date.now() - 3600_000);
  for (const rel of Object.keys(files)) await utimes(join(root, rel), past, past);
  return Object.keys(files);
}

test('first scan: everything is new, exit 0, one JSON object with the promised shape', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  const files = await tree(root);
  const r = await scan(root, join(dir, 'cfg'));
  t.is(r.code, 0, r.stderr);
  const j = r.json;
  t.is(j.status, 'completed');
  t.is(j.algorithm, 'xxh3-128');
  t.true(Number.isInteger(j.scanId));
  t.is(j.roots[0].path, root);
  t.truthy(j.roots[0].device.fsType);
  t.true(Date.parse(j.endedAt) >= Date.parse(j.startedAt));
  t.is(j.counts.new, files.length + 1, 'files and the symlink');
  t.is(j.files, files.length + 1);
  t.is(j.findings.length, files.length + 1);
  t.deepEqual(Object.keys(j.findings[0]).sort(), ['detail', 'path', 'root', 'status']);
  t.true(j.findings.every((f) => !f.path.startsWith('/')), 'paths are relative to the root');
});

test('first scan records what it read: each baseline and new finding holds the file\'s size, mtime, ctime, inode and hash', async (t) => {
  // New files are settled in the hashing workers and written from JSON rows; symlinks take the
  // main thread's path. Both must store exactly what a stat and an independent SHA-256 say.
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  const files = await tree(root);
  await writeFile(join(root, 'docs', 'quote"and\\back\nslash.txt'), 'odd name');
  files.push('docs/quote"and\\back\nslash.txt');
  const cfg = join(dir, 'cfg');
  const r = await scan(root, cfg, ['--algorithm', 'sha256']);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.counts.new, files.length + 1);
  const db = openDb(cfg);
  t.teardown(() => db.destroy());
  const text = (c: string) => db.raw(`CAST(${c} AS TEXT) AS ${c}`);
  const baselines = await db('baselines').select('path', 'kind', 'hash', 'algorithm', 'first_scan_id', 'last_seen_scan_id', 'missing_since_scan_id', 'device_id', text('size'), text('mtime_ns'), text('ctime_ns'), text('inode'), text('verified_at_ns'));
  const findings = await db('scan_findings').select('path', 'status', 'root_id', 'hash', text('size'), text('mtime_ns'), text('inode'));
  t.is(baselines.length, files.length + 1);
  t.is(findings.length, files.length + 1);
  const device = baselines[0].device_id;
  for (const rel of [...files, 'latest']) {
    const path = join(root, rel);
    const b = baselines.find((x) => x.path === path);
    const f = findings.find((x) => x.path === path);
    const st = await lstat(path, { bigint: true });
    const content = rel === 'latest' ? Buffer.from(await readlink(path)) : await readFile(path);
    const sha = createHash('sha256').update(content).digest('hex');
    t.like(b, { kind: rel === 'latest' ? 'symlink' : 'file', algorithm: 'sha256', first_scan_id: r.json.scanId, last_seen_scan_id: r.json.scanId, missing_since_scan_id: null, device_id: device }, rel);
    t.deepEqual([b.size, b.mtime_ns, b.ctime_ns, b.inode, b.hash.toString('hex')], [String(st.size), String(st.mtimeNs), String(st.ctimeNs), String(st.ino), sha], rel);
    t.true(BigInt(b.verified_at_ns) >= BigInt(st.ctimeNs) - 1_000_000_000n, rel);
    t.deepEqual([f.status, f.size, f.mtime_ns, f.inode, f.hash.toString('hex')], ['new', b.size, b.mtime_ns, b.inode, sha], rel);
  }
  t.is(new Set(findings.map((f) => f.root_id)).size, 1);
});

test('legitimate changes are each classified right, with no false alarm', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  const cfg = join(dir, 'cfg');
  t.is((await scan(root, cfg)).code, 0);

  const p = (rel: string) => join(root, rel);
  await appendFile(p('docs/letter.txt'), 'PS: edited'); // edit
  const old = await stat(p('docs/notes.txt'));
  await writeFile(p('docs/notes.txt'), randomBytes(800)); // same size, mtime put back by a "sync tool"
  await utimes(p('docs/notes.txt'), old.atime, old.mtime);
  const now = new Date();
  await utimes(p('photos/c.png'), now, now); // touch
  await unlink(p('docs/old.txt')); // delete
  await rename(p('photos/2020/b.jpg'), p('photos/b-renamed.jpg')); // rename
  await writeFile(p('photos/2020/new.jpg'), randomBytes(4096)); // add
  await rm(p('latest'));
  await symlink('docs/tax.pdf', p('latest')); // symlink now points elsewhere

  const r = await scan(root, cfg);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(byPath(r.json), {
    'docs/letter.txt': 'modified',
    'docs/notes.txt': 'modified_mtime_preserved',
    'photos/c.png': 'touched',
    'docs/old.txt': 'missing',
    'photos/b-renamed.jpg': 'moved',
    'photos/2020/new.jpg': 'new',
    latest: 'modified',
  });
  t.is(r.json.findings.find((f) => f.path === 'photos/b-renamed.jpg')?.detail, 'moved from photos/2020/b.jpg');
  t.is(r.json.counts.ok, 3, 'a.jpg, tax.pdf, empty.bin');
  t.deepEqual(alarms(r.json), []);

  const again = await scan(root, cfg);
  t.deepEqual(byPath(again.json), {}, 'a third scan finds everything ok, and the missing file is not reported twice');
  t.is(again.json.counts.ok, 9);
});

test('another algorithm re-baselines instead of comparing', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  const cfg = join(dir, 'cfg');
  await scan(root, cfg);
  const r = await scan(root, cfg, ['--algorithm', 'sha256']);
  t.is(r.code, 0);
  t.is(r.json.algorithm, 'sha256');
  t.is(r.json.counts.rehashed, 9);
  const back = await scan(root, cfg, ['--algorithm', 'sha256']);
  t.is(back.json.counts.ok, 9);
});

test('every algorithm hashes and verifies', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  for (const algorithm of ['xxh3-128', 'blake3', 'sha256', 'sha512', 'sha1', 'md5', 'blake2b', 'xxh64']) {
    const cfg = join(dir, `cfg-${algorithm}`);
    t.is((await scan(root, cfg, ['--algorithm', algorithm])).json.counts.new, 9, algorithm);
    const again = await scan(root, cfg, ['--algorithm', algorithm]);
    t.is(again.json.counts.ok, 9, algorithm);
  }
});

test('exclusions by glob and .bitarrignore; excluded files keep their baselines', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  const cfg = join(dir, 'cfg');
  await writeFile(join(root, 'photos/.bitarrignore'), '*.png\n2020/\n');
  const first = await scan(root, cfg, ['--exclude', '*.pdf']);
  const seen = Object.keys(byPath(first.json)).sort();
  t.deepEqual(seen, ['docs/letter.txt', 'docs/notes.txt', 'docs/old.txt', 'empty.bin', 'latest', 'photos/.bitarrignore']);

  // Baseline everything, then exclude a folder: its files must not turn missing.
  await rm(join(root, 'photos/.bitarrignore'));
  await scan(root, cfg);
  const r = await scan(root, cfg, ['--exclude', 'photos']);
  t.deepEqual(byPath(r.json), {});
  t.is(r.json.counts.missing, 0);
});

test('special files are skipped, not read', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [join(root, 'pipe')]);
  const r = await scan(root, join(dir, 'cfg'));
  t.is(r.code, 0);
  t.is(byPath(r.json).pipe, 'skipped');
});

test('one scan over several roots reports each finding against its own root, and records this host', async (t) => {
  const dir = await tempDir(t);
  const a = join(dir, 'music');
  const b = join(dir, 'photos');
  await mkdir(a, { recursive: true });
  await mkdir(b, { recursive: true });
  await writeFile(join(a, 'song.flac'), randomBytes(1000));
  await writeFile(join(b, 'cat.jpg'), randomBytes(1000));
  const cfg = join(dir, 'cfg');
  const r = await scan([a, b], cfg);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.json.roots.map((x) => x.path), [a, b]);
  t.deepEqual(
    r.json.findings.map((f) => [f.root, f.path, f.status]),
    [
      [a, 'song.flac', 'new'],
      [b, 'cat.jpg', 'new'],
    ],
  );
  const host = (r.json as unknown as { host: { id: string; hostname: string } }).host;
  t.regex(host.id, /^[0-9a-f-]{36}$/);
  t.is(host.hostname, (await import('node:os')).hostname());
  const again = await scan([a, b], cfg);
  t.is((again.json as unknown as { host: { id: string } }).host.id, host.id, 'the host id is kept in the config dir');
});

test('without --json a person gets a short summary and the findings that matter', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'data');
  await tree(root);
  const cfg = join(dir, 'cfg');
  const first = await bitarr(['scan', root, '--config-dir', cfg]);
  t.is(first.code, 0);
  t.regex(first.stdout, /^Scan 1 completed in [\d.]+s: 9 files, [\d.]+ [KM]B .*xxh3-128\n/);
  t.regex(first.stdout, /\n {2}new 9\n {2}No corruption found\.\n$/, 'new files are counted, not listed');
  await appendFile(join(root, 'docs/letter.txt'), 'more');
  const second = await bitarr(['scan', root, '--config-dir', cfg]);
  t.regex(second.stdout, /ok 8 · modified 1\n {2}No corruption found\.\nFindings:\n {2}modified {17}docs\/letter\.txt {2}— size 1200 → 1204, mtime changed\n$/);
  t.is(second.stderr, '', 'no progress line when stderr is not a terminal');
});
