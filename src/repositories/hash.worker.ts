/**
 * A hashing worker: synchronous open → fstat → read into one reused buffer → hash → fstat →
 * close. Sync IO in a worker is the fast shape here (MEASURED.md: ~12 µs a small file, where each
 * awaited fs.promises call costs 25–47 µs).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, type BigIntStats } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createHasher } from './hashers.js';
import { fsPath } from '../domain/path-bytes.js';
import type { BaselineLookup, BaselineMatch } from './baseline-lookup.js';
import { decodeJobs, encodeResults, type FromWorker, type HashFailure, type HashJob, type HashResult, type HashSuccess, type ToWorker, type WorkerConfig } from './hash-protocol.js';
import { JsonRows } from './baseline-json.js';
import { NativeReader } from './native-reader.js';

const WORKER_NICE = 10;
// First: a worker started ahead of its scan then sets itself up without slowing the command's own
// start-up (bitarr scan's database opening took 70 -> 100 ms beside two workers at the same nice).
lowerThisThreadsPriority();

// One listener from the start: a batch that arrived while this worker was still setting up is
// kept until it is ready, not dropped.
const early: ToWorker[] = [];
let onJobs: ((msg: ToWorker) => void) | null = null;
let configured: (c: WorkerConfig) => void = () => {};
const configMessage = new Promise<WorkerConfig>((resolve) => (configured = resolve));
parentPort!.on('message', (msg: ToWorker) => {
  if (msg.type === 'config') configured(msg.config);
  else if (onJobs) onJobs(msg);
  else early.push(msg);
});
// A worker started ahead of its scan (prestartHashWorkers) is told its work by the first message.
const config: WorkerConfig = workerData == null ? await configMessage : (workerData as WorkerConfig);
const hasher = await createHasher(config.algorithm);
const buffer = Buffer.allocUnsafeSlow(config.bufferSize);
const BYTES_REPORT_EVERY = 64 * 1024 * 1024;
// O_NOATIME keeps verification from writing to the disks it verifies; only the owner or root may
// use it, so fall back after the first EPERM.
let noAtime: number = constants.O_NOATIME ?? 0;
const BASE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/**
 * The native reader takes the common case (native-reader.ts), unless reads are paced: --max-rate
 * meters each chunk. Files above BYTES_REPORT_EVERY are read here, where progress is reported
 * within a file; beside their reading, the calls they cost do not matter.
 */
const native = config.nativeReader !== false && !config.maxBytesPerSecond ? NativeReader.open(config.algorithm, buffer) : null;
/** Files of this batch the native reader read. */
let nativeReads = 0;

// Date.now() has ms resolution: one BigInt per millisecond rather than two per file.
let nowMs = 0;
let nowNsCached = 0n;
function nowNs(): bigint {
  const ms = Date.now();
  if (ms !== nowMs) {
    nowMs = ms;
    nowNsCached = BigInt(ms) * 1_000_000n;
  }
  return nowNsCached;
}

/**
 * --max-rate: keeps this worker's reads at its share of the rate, so a scan can run beside other
 * work on a NAS. Each file costs at least a block, as small files cost the disk a seek anyway.
 */
const pace = (() => {
  const rate = config.maxBytesPerSecond;
  if (!rate) return (_bytes: number) => {};
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  // The moment by which the bytes read so far are allowed; idle time earns at most 100 ms of burst.
  let allowedAt = Date.now();
  return (bytes: number) => {
    const now = Date.now();
    allowedAt = Math.max(allowedAt, now - 100) + (Math.max(bytes, 4096) / rate) * 1000;
    if (allowedAt - now > 1) Atomics.wait(sleeper, 0, 0, allowedAt - now);
  };
})();
const post = (m: FromWorker) => parentPort!.postMessage(m);
const FILES_REPORT_EVERY_MS = 250;
/** Bytes read in this batch not yet reported as progress (the batch's results carry the real counts). */
let unreportedBytes = 0;

function open(text: string): number {
  const path = fsPath(text);
  try {
    return openSync(path, BASE_FLAGS | noAtime);
  } catch (err) {
    if (noAtime && (err as NodeJS.ErrnoException).code === 'EPERM') {
      noAtime = 0;
      return openSync(path, BASE_FLAGS);
    }
    throw err;
  }
}

/**
 * POSIX_FADV_DONTNEED through GNU dd (`count=0` drops the whole file's cache), as Node has no
 * fadvise. The file goes to dd as its stdin: a name that is not UTF-8 cannot be an argument.
 */
function dropCachedPages(path: string): boolean {
  let fd: number;
  try {
    fd = open(path);
  } catch {
    return false;
  }
  try {
    const r = spawnSync('dd', ['iflag=nocache', 'count=0', 'status=none'], { stdio: [fd, 'ignore', 'ignore'] });
    return r.status === 0;
  } finally {
    closeSync(fd);
  }
}

const moved = (a: BigIntStats, b: BigIntStats) => a.size !== b.size || a.mtimeNs !== b.mtimeNs || a.ctimeNs !== b.ctimeNs;

/**
 * `expected`: the baseline's fingerprint. A read that equals it is settled without the second
 * fstat: the bytes read are the verified ones, so a write racing the read changes nothing about
 * that verdict (the next scan sees the write). A verify then costs one stat a file, not two.
 */
function hashFile(job: HashJob, expected: string | null): HashResult {
  if (native && !job.bypassCache) {
    const read = readNatively(job, expected);
    if (read) return read;
  }
  const cacheBypassed = job.bypassCache ? dropCachedPages(job.path) : undefined;
  const readStartedNs = nowNs();
  const fd = open(job.path);
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) return { id: job.id, ok: false, code: undefined, message: 'not a regular file', notRegular: kindOf(before) };
    const size = Number(before.size);
    if (size === 0) pace(0);
    let done = 0;
    // Stop at the size fstat gave: it saves a read per file, and growth shows in the second fstat.
    while (done < size) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), null);
      if (n === 0) break;
      hasher.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      pace(n);
      done += n;
      unreportedBytes += n;
      if (unreportedBytes >= BYTES_REPORT_EVERY) {
        post({ type: 'bytes', bytes: unreportedBytes });
        unreportedBytes = 0;
      }
    }
    const hash = hasher.digest();
    if (expected !== null && done === size && !job.bypassCache) {
      const read = success(job, 'file', before, hash, readStartedNs, false, undefined, cacheBypassed);
      if (fingerprintOf(read) === expected) return (matchedRead = read);
    }
    const after = fstatSync(fd, { bigint: true });
    const changed = moved(before, after);
    return success(job, 'file', after, hash, readStartedNs, changed, !changed && done < size ? done : undefined, cacheBypassed);
  } finally {
    closeSync(fd);
  }
}

/** hashFile's reading in one native call; null for a file it leaves to hashFile. */
function readNatively(job: HashJob, expected: string | null): HashSuccess | null {
  const readStartedNs = nowNs();
  const path = fsPath(job.path);
  const fingerprint = expected === null ? null : Buffer.from(expected, 'hex');
  let read;
  try {
    read = native!.read(path, BASE_FLAGS | noAtime, fingerprint, BYTES_REPORT_EVERY);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (!(noAtime && e.code === 'EPERM' && e.syscall === 'open')) throw err;
    noAtime = 0;
    read = native!.read(path, BASE_FLAGS, fingerprint, BYTES_REPORT_EVERY);
  }
  if (typeof read === 'string') return null;
  nativeReads++;
  unreportedBytes += read.bytesRead;
  if (unreportedBytes >= BYTES_REPORT_EVERY) {
    post({ type: 'bytes', bytes: unreportedBytes });
    unreportedBytes = 0;
  }
  const { changedWhileReading } = read;
  const shortRead = !changedWhileReading && read.bytesRead < Number(read.size) ? read.bytesRead : undefined;
  const r: HashSuccess = { id: job.id, ok: true, kind: 'file', size: read.size, mtimeNs: read.mtimeNs, ctimeNs: read.ctimeNs, inode: read.inode, dev: read.dev, hash: read.hash, readStartedNs, changedWhileReading, shortRead, cacheBypassed: undefined };
  if (read.matched) matchedRead = r;
  return r;
}

/** A symlink's content is its target: recorded, never followed. */
function hashSymlink(job: HashJob): HashResult {
  const readStartedNs = nowNs();
  const before = lstatSync(fsPath(job.path), { bigint: true });
  if (!before.isSymbolicLink()) return { id: job.id, ok: false, code: undefined, message: 'no longer a symlink', notRegular: kindOf(before) };
  hasher.update(readlinkSync(fsPath(job.path), { encoding: 'buffer' }));
  const hash = hasher.digest();
  const after = lstatSync(fsPath(job.path), { bigint: true });
  return success(job, 'symlink', after, hash, readStartedNs, moved(before, after));
}

// One object per file: a spread here was measured at +110 MiB RSS on 200k files (young-generation growth).
function success(
  job: HashJob,
  kind: HashSuccess['kind'],
  st: BigIntStats,
  hash: Buffer,
  readStartedNs: bigint,
  changed: boolean,
  shortRead?: number,
  cacheBypassed?: boolean,
): HashSuccess {
  return { id: job.id, ok: true, kind, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, inode: st.ino, dev: st.dev, hash, readStartedNs, changedWhileReading: changed, shortRead, cacheBypassed };
}

function kindOf(s: BigIntStats): string {
  if (s.isDirectory()) return 'directory';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'device';
  if (s.isSymbolicLink()) return 'symlink';
  return 'file';
}

function run(job: HashJob, expected: string | null): HashResult {
  try {
    return job.kind === 'symlink' ? hashSymlink(job) : hashFile(job, expected);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A read that failed half-way leaves state in the hasher; start the next file clean.
    hasher.digest();
    if (e.code === 'ELOOP') return { id: job.id, ok: false, code: e.code, message: 'turned into a symlink', notRegular: 'symlink' };
    return { id: job.id, ok: false, code: e.code, message: e.message };
  }
}

/**
 * Opened at the first batch that needs it. A worker of a first scan never does, and one that
 * opened the database only to be terminated while its statements were still being prepared
 * brought the process down (node-sqlite3 throws into a worker that is going away).
 */
let lookupDb: Promise<BaselineLookup> | null = null;
// Imported here too, not at start-up: a first scan's workers never load node-sqlite3 (~10 ms each).
const lookup = () =>
  (lookupDb ??= import('./baseline-lookup.js').then(({ BaselineLookup }) => new BaselineLookup(config.lookup!.databaseFile, config.algorithm, config.lookup!.resuming)));
const stopping = config.stop ? new Int32Array(config.stop) : null;

/** The read in the form of a baseline's fingerprint (baseline-lookup.ts), rebuilt per file in one buffer. */
const HASH_LENGTH = hasher.digest().length;
const fingerprint = Buffer.alloc(33 + HASH_LENGTH);
const fingerprintView = new DataView(fingerprint.buffer, fingerprint.byteOffset, fingerprint.length);
/** The last read hashFile found equal to its baseline's fingerprint (and so skipped its second fstat). */
let matchedRead: HashSuccess | null = null;

function fingerprintOf(r: HashSuccess): string {
  fingerprintView.setUint8(0, r.kind === 'symlink' ? 1 : 0);
  fingerprintView.setBigUint64(1, r.size);
  fingerprintView.setBigInt64(9, r.mtimeNs);
  fingerprintView.setBigInt64(17, r.ctimeNs);
  fingerprintView.setBigUint64(25, r.inode);
  fingerprint.set(r.hash, 33);
  return fingerprint.toString('hex');
}

/**
 * The common case of a verify, decided here: the same bytes with the same size, times, inode and
 * kind under the same algorithm is `ok` by the findings rule whatever else holds. Anything else
 * goes to the main thread with its baseline, where the whole rule is applied.
 */
function verifiedAgainst(job: HashJob, r: HashResult, b: BaselineMatch | undefined): boolean {
  // hashFile already compared this read with the same fingerprint.
  if (r === matchedRead) return true;
  if (!b || r.ok !== true || job.bypassCache || r.changedWhileReading || r.shortRead !== undefined) return false;
  return b.fingerprint !== null && b.fingerprint === fingerprintOf(r);
}

/**
 * A file without a baseline read cleanly (a regular file, unchanged by the read, not short) is
 * `new` by the findings rule, whatever else holds (domain/findings.ts, rule 2): settled here.
 */
function isCleanNew(job: HashJob, r: HashResult): r is HashSuccess {
  return r.ok === true && r.kind === 'file' && !job.bypassCache && !r.changedWhileReading && r.shortRead === undefined;
}

async function handle(jobs: HashJob[], matching: Promise<Array<BaselineMatch | undefined>> | null, settleNew: boolean): Promise<void> {
  // The lookup started when the batch arrived, beside the previous batch's reads: this is only the wait.
  const t0 = performance.now();
  const known = matching ? await matching : null;
  let lookupMs = performance.now() - t0;
  let reportedAt = performance.now();
  let sinceReport = 0;
  unreportedBytes = 0;
  nativeReads = 0;
  /** Results the main thread must judge, with the id of the baseline they need. */
  const unsettled: Array<[HashSuccess | HashFailure, number]> = [];
  const newRows = settleNew && matching ? new JsonRows() : null;
  let newBytes = 0;
  const settle = (job: HashJob, i: number): HashResult => {
    // Live progress between batches: a batch of large files on a slow disk can take minutes.
    if (++sinceReport > 1 && performance.now() - reportedAt >= FILES_REPORT_EVERY_MS) {
      post({ type: 'files', files: sinceReport - 1, bytes: unreportedBytes, path: job.path });
      unreportedBytes = 0;
      reportedAt = performance.now();
      sinceReport = 1;
    }
    // A stopping scan should not wait for a whole batch: what is not started yet is left for --resume.
    if (stopping && Atomics.load(stopping, 0) === 1) return { id: job.id, ok: 'cancelled' };
    const baseline = known?.[i];
    // A resumed scan skips what it already settled before it stopped.
    if (config.lookup?.resuming && baseline?.lastSeenScanId === config.lookup.scanId && !job.bypassCache) return { id: job.id, ok: 'settled' };
    const r = run(job, baseline?.fingerprint ?? null);
    if (known === null) return r;
    // Set on the result rather than spread into a new one: this runs for every file of a verify.
    const result = r as HashSuccess | HashFailure;
    if (verifiedAgainst(job, r, baseline)) (result as HashSuccess).verifiedBaselineId = baseline!.id;
    else if (baseline) unsettled.push([result, baseline.id]);
    else if (newRows && isCleanNew(job, r)) {
      newRows.add(job.path, r.size, r.mtimeNs, r.ctimeNs, r.inode, Buffer.from(r.hash.buffer, r.hash.byteOffset, r.hash.byteLength).toString('hex'), r.readStartedNs);
      newBytes += Number(r.size);
      return { id: job.id, ok: 'new' };
    } else result.baseline = null;
    return result;
  };
  const results = jobs.map(settle);
  if (unsettled.length) {
    const t1 = performance.now();
    const full = await (await lookup()).full(unsettled.map(([, id]) => id));
    lookupMs += performance.now() - t1;
    for (const [result, id] of unsettled) result.baseline = full.get(id) ?? null;
  }
  const b = encodeResults(results, lookupMs, newRows?.count ? { rows: newRows.text(), count: newRows.count, bytes: newBytes } : null, nativeReads);
  parentPort!.postMessage(b, [b.ids, b.flags, b.u64, b.i64, b.shortRead, b.hashes, b.verifiedIds].map((a) => a.buffer as ArrayBuffer));
}

// Batches are answered in order (the pool keeps a FIFO per worker), so each waits for the last.
let queue: Promise<void> = Promise.resolve();
onJobs = (msg: ToWorker) => {
  if (msg.type !== 'jobs') return;
  const jobs = decodeJobs(msg);
  const matching = !config.lookup ? null : msg.options.noBaselines ? Promise.resolve(new Array<undefined>(jobs.length)) : lookup().then((l) => l.match(jobs.map((j) => j.path)));
  // Seen by handle's await; a rejection before then must not count as unhandled twice.
  matching?.catch(() => {});
  // A failed lookup (the database gone) rejects here: unhandled, it ends the worker with an
  // 'error', which the pool turns into an aborted scan, as for any other worker failure.
  queue = queue.then(() => handle(jobs, matching, msg.options.settleNew));
};
for (const msg of early.splice(0)) onJobs(msg);

/**
 * Hashing yields to the thread that writes the results and to the rest of the machine: on a
 * small-file first scan the database writer, not hashing, is the limit, and a NAS has other work.
 * Linux sets a nice value per thread, so this thread's id is what is lowered.
 */
function lowerThisThreadsPriority() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.max(getPriority(tid), WORKER_NICE));
  } catch {
    // Not Linux, or not allowed: hashing at the same priority is only slower beside other work.
  }
}
