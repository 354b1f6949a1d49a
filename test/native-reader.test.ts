// The native file reader against the JavaScript one, on the same real files: what a worker
// reports for each (hash, size, times, inode, failures) must not depend on which read it.
import { spawnSync } from 'node:child_process';
import { constants, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { textFromBytes } from '../src/domain/path-bytes.js';
import type { Algorithm } from '../src/domain/algorithms.js';
import { HashPool } from '../src/repositories/hash-pool.js';
import type { HashJob, HashResult } from '../src/repositories/hash-protocol.js';
import { NativeReader, nativeReaderPath } from '../src/repositories/native-reader.js';
import { testWhen } from './lab/ava.js';

const built = nativeReaderPath() ? null : 'the native file reader is not built (npm rebuild; it needs a C compiler, make and python3)';
const test = testWhen(built, 'native reader tests');

/** Deterministic bytes, so a wrong chunk boundary changes the hash. */
const bytes = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
};

function makeTree(t: ExecutionContext): { dir: string; jobs: HashJob[]; regular: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bitarr-native-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one', bytes(1, 1)],
    ['page', bytes(4095, 2)],
    // The read buffer is 128 KiB: exactly one, one more byte, and several reads.
    ['buffer', bytes(128 * 1024, 3)],
    ['buffer+1', bytes(128 * 1024 + 1, 4)],
    ['several', bytes(1024 * 1024 + 7, 5)],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  // Beyond what the native reader takes (64 MiB): read the JavaScript way in both runs. Sparse.
  writeFileSync(join(dir, 'large'), '');
  truncateSync(join(dir, 'large'), 65 * 1024 * 1024);
  // A name that is not UTF-8 reaches the reader as bytes.
  const latin1 = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x63, 0x61, 0x66, 0xe9])]);
  writeFileSync(latin1, bytes(300, 6));
  mkdirSync(join(dir, 'a-directory'));
  symlinkSync(join(dir, 'one'), join(dir, 'a-symlink'));
  const fifo = spawnSync('mkfifo', [join(dir, 'a-fifo')]);
  if (fifo.status !== 0) t.fail('mkfifo failed');
  const paths = [...files.map(([n]) => join(dir, n)), join(dir, 'large'), textFromBytes(latin1)];
  const odd = ['a-directory', 'a-symlink', 'a-fifo', 'vanished'].map((n) => join(dir, n));
  const jobs = [...paths, ...odd].map((path, id): HashJob => ({ id, path, kind: 'file' }));
  return { dir, jobs, regular: files.length + 1 };
}

async function read(jobs: HashJob[], algorithm: Algorithm, nativeReader: boolean) {
  const pool = new HashPool(1, { algorithm, lookup: null, bufferSize: 128 * 1024, maxBytesPerSecond: 0, nativeReader });
  try {
    const { results } = await pool.submit(jobs);
    return { results: results.map(comparable), nativeReads: pool.nativeReads };
  } finally {
    await pool.close();
  }
}

/** What a worker reports of a read; the read start is a clock reading, so only its type. */
function comparable(r: HashResult) {
  if (r.ok !== true) return r;
  const { id, ok, kind, size, mtimeNs, ctimeNs, inode, dev, changedWhileReading, shortRead, cacheBypassed } = r;
  const hash = Buffer.from(r.hash).toString('hex');
  return { id, ok, kind, size, mtimeNs, ctimeNs, inode, dev, hash, changedWhileReading, shortRead, cacheBypassed, readStarted: typeof r.readStartedNs };
}

for (const algorithm of ['xxh3-128', 'xxh64'] as const) {
  test(`${algorithm}: the native and the JavaScript reader report the same for every kind of file`, async (t) => {
    const { jobs, regular } = makeTree(t);
    const js = await read(jobs, algorithm, false);
    const native = await read(jobs, algorithm, true);
    t.is(js.nativeReads, 0);
    t.is(native.nativeReads, regular, 'every regular file up to 64 MiB went through the native reader');
    t.deepEqual(native.results, js.results);
    // And both are right: the 1 MiB file's size and the failures a user would see.
    const byName = (name: string) => native.results[jobs.findIndex((j) => j.path.endsWith('/' + name))];
    t.like(byName('several'), { ok: true, size: 1024n * 1024n + 7n, changedWhileReading: false });
    t.like(byName('a-symlink'), { ok: false, code: 'ELOOP' });
    t.like(byName('vanished'), { ok: false, code: 'ENOENT' });
    t.like(byName('a-directory'), { ok: false, notRegular: 'directory' });
    t.like(byName('a-fifo'), { ok: false, notRegular: 'fifo' });
  });
}

test('a native digest is the xxHash of the bytes, as xxhash-addon computes it on its own', async (t) => {
  const { jobs } = makeTree(t);
  const { results } = await read(jobs.filter((j) => j.path.endsWith('/several')), 'xxh3-128', true);
  const { default: xxhash } = await import('xxhash-addon');
  t.is((results[0] as { hash: string }).hash, xxhash.XXHash128.hash(bytes(1024 * 1024 + 7, 5)).toString('hex'));
});

test('a second reader opened in one thread replaces the first, which refuses to read instead of reporting the other one’s results', (t) => {
  const { jobs } = makeTree(t);
  const one = jobs.find((j) => j.path.endsWith('/one'))!.path;
  const first = NativeReader.open('xxh3-128', Buffer.alloc(4096))!;
  const second = NativeReader.open('xxh64', Buffer.alloc(4096))!;
  t.throws(() => first.read(one, constants.O_RDONLY, null, 1e9), { message: /replaced/ });
  const read = second.read(one, constants.O_RDONLY, null, 1e9);
  t.like(read, { size: 1n, bytesRead: 1 });
  t.is(typeof read === 'object' ? read.hash.length : 0, 8, 'an XXH64 digest');
});
