/** Messages between the scan's main thread and its hashing workers. */
import type { Algorithm } from '../domain/algorithms.js';

export type EntryKind = 'file' | 'symlink';

export interface HashJob {
  id: number;
  path: string;
  kind: EntryKind;
  /** Drop the file's cached pages first, so this read comes from the medium (rule 7). */
  bypassCache?: boolean;
}

/** A baseline as the worker found it, for the main thread's findings rule. */
export interface WireBaseline {
  id: number;
  path: string;
  kind: EntryKind;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  hash: Uint8Array;
  algorithm: string;
  verifiedAtNs: bigint;
  firstScanId: number;
  lastSeenScanId: number;
  missingSinceScanId: number | null;
}

export interface HashSuccess {
  id: number;
  ok: true;
  /**
   * The worker compared the read with the baseline and everything matched (same bytes, size,
   * times, inode): the common case of a verify, settled without the main thread's rule.
   */
  verifiedBaselineId?: number;
  baseline?: WireBaseline | null;
  kind: EntryKind;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  dev: bigint;
  hash: Uint8Array;
  readStartedNs: bigint;
  /** Size, mtime or ctime moved between the stat before and the stat after the read. */
  changedWhileReading: boolean;
  /** Bytes actually read, when the file ended before the size its unchanged stat reports. */
  shortRead?: number;
  /** Set on bypassCache jobs: whether dropping the cached pages worked. */
  cacheBypassed?: boolean;
}

export interface HashFailure {
  id: number;
  ok: false;
  baseline?: WireBaseline | null;
  code: string | undefined;
  message: string;
  /** The file turned out not to be a regular file or symlink (a FIFO swapped in, say). */
  notRegular?: string;
}

/** A resumed scan's file that this scan already settled before it stopped: nothing to do. */
export interface HashSettled {
  id: number;
  ok: 'settled';
}

/** Not read: the scan was stopping when the worker came to it (a resume reads it). */
export interface HashCancelled {
  id: number;
  ok: 'cancelled';
}

/**
 * No baseline and a clean read: `new` by the findings rule whatever else holds, so the worker
 * settled it itself; its baseline row is in the batch's SettledNew rows.
 */
export interface HashNew {
  id: number;
  ok: 'new';
}

export type HashResult = HashSuccess | HashFailure | HashSettled | HashCancelled | HashNew;

/**
 * The files of a batch that its worker settled as `new`, their baseline rows as one JSON text
 * (baseline-json.ts), ready for SQLite: a first scan's main thread then never touches them one by
 * one, and it was the limit of a small-file first scan.
 */
export interface SettledNew {
  rows: string;
  count: number;
  bytes: number;
}

export interface BatchResults {
  results: HashResult[];
  settledNew: SettledNew | null;
}

/**
 * On the wire, a batch is a handful of typed arrays rather than an array of objects: cloning an
 * object with BigInts and a Buffer per file cost about 12% of the main thread on small files.
 */
export interface JobBatch {
  type: 'jobs';
  ids: Int32Array;
  /** The paths joined with NUL, which no path contains. */
  paths: string;
  /** bit 0: symlink; bit 1: bypass the cache. */
  flags: Uint8Array;
  options: BatchOptions;
}

export interface BatchOptions {
  /** The worker may settle files without a baseline as `new` (HashNew): the jobs are all of one root. */
  settleNew: boolean;
  /** No file of the batch has a baseline (its root had none when its walk began): no lookup. */
  noBaselines: boolean;
}

export interface ResultBatch {
  type: 'results';
  ids: Int32Array;
  /** bit 0: symlink; bit 1: changed while reading; bit 2: cache bypassed; bit 3: failed; 4: settled; 5: cancelled; 6: new. */
  flags: Uint8Array;
  /** Per result: size, inode, dev. */
  u64: BigUint64Array;
  /** Per result: mtime, ctime, read start (ns; times before 1970 are negative). */
  i64: BigInt64Array;
  /** -1 where the read was not short. */
  shortRead: Float64Array;
  hashLength: number;
  hashes: Uint8Array;
  /** The rare failures, by index in the batch. */
  failures: Record<number, Omit<HashFailure, 'id' | 'ok'>>;
  /** Per result: the baseline id the worker verified against, or -1. */
  verifiedIds: Float64Array;
  /** Baselines for the results the main thread must judge, by index (never for verified ones). */
  baselines: Record<number, WireBaseline | null>;
  /** Time this batch's baseline lookups took in the worker. */
  lookupMs: number;
  settledNew: SettledNew | null;
  /** Files of the batch the native reader read (native-reader.ts). */
  nativeReads: number;
}

/** `config`: the first message to a worker started before its scan was known (prestartHashWorkers). */
export type ToWorker = JobBatch | { type: 'config'; config: WorkerConfig };
/** `files`: files of the current batch finished so far (progress only; their results come with the batch), and the one being read now. */
export type FromWorker = ResultBatch | { type: 'bytes'; bytes: number } | { type: 'files'; files: number; bytes: number; path: string };

export function encodeJobs(jobs: readonly HashJob[], options: BatchOptions): JobBatch {
  const ids = new Int32Array(jobs.length);
  const flags = new Uint8Array(jobs.length);
  jobs.forEach((j, i) => {
    ids[i] = j.id;
    flags[i] = (j.kind === 'symlink' ? 1 : 0) | (j.bypassCache ? 2 : 0);
  });
  return { type: 'jobs', ids, paths: jobs.map((j) => j.path).join('\0'), flags, options };
}

export function decodeJobs(b: JobBatch): HashJob[] {
  const paths = b.paths.split('\0');
  return Array.from(b.ids, (id, i) => ({ id, path: paths[i], kind: b.flags[i] & 1 ? 'symlink' : 'file', bypassCache: (b.flags[i] & 2) !== 0 }));
}

export function encodeResults(results: readonly HashResult[], lookupMs = 0, settledNew: SettledNew | null = null, nativeReads = 0): ResultBatch {
  const n = results.length;
  const hashLength = results.find((r): r is HashSuccess => r.ok === true)?.hash.length ?? 0;
  const batch: ResultBatch = {
    type: 'results',
    ids: new Int32Array(n),
    flags: new Uint8Array(n),
    u64: new BigUint64Array(n * 3),
    i64: new BigInt64Array(n * 3),
    shortRead: new Float64Array(n).fill(-1),
    hashLength,
    hashes: new Uint8Array(n * hashLength),
    failures: {},
    verifiedIds: new Float64Array(n).fill(-1),
    baselines: {},
    lookupMs,
    settledNew,
    nativeReads,
  };
  results.forEach((r, i) => {
    batch.ids[i] = r.id;
    if (r.ok === 'settled' || r.ok === 'cancelled' || r.ok === 'new') {
      batch.flags[i] = r.ok === 'settled' ? 16 : r.ok === 'cancelled' ? 32 : 64;
      return;
    }
    if (r.baseline !== undefined) batch.baselines[i] = r.baseline;
    if (!r.ok) {
      batch.flags[i] = 8;
      batch.failures[i] = { code: r.code, message: r.message, notRegular: r.notRegular };
      return;
    }
    batch.flags[i] = (r.kind === 'symlink' ? 1 : 0) | (r.changedWhileReading ? 2 : 0) | (r.cacheBypassed ? 4 : 0);
    // Index stores, not .set([...]): a temporary array per file showed in the workers' profile.
    const at = i * 3;
    batch.u64[at] = r.size;
    batch.u64[at + 1] = r.inode;
    batch.u64[at + 2] = r.dev;
    batch.i64[at] = r.mtimeNs;
    batch.i64[at + 1] = r.ctimeNs;
    batch.i64[at + 2] = r.readStartedNs;
    if (r.shortRead !== undefined) batch.shortRead[i] = r.shortRead;
    // A verified file's hash is the baseline's: the main thread has no use for it.
    if (r.verifiedBaselineId !== undefined) batch.verifiedIds[i] = r.verifiedBaselineId;
    else batch.hashes.set(r.hash, i * hashLength);
  });
  return batch;
}

/**
 * A success read straight from its batch: each field is decoded when asked for. A verify's
 * files are nearly all verified in the worker, and the main thread then needs two of the six
 * BigInts and never the hash, so decoding them all per file was garbage on the busiest thread.
 */
class BatchSuccess implements HashSuccess {
  readonly ok = true;
  verifiedBaselineId?: number;
  baseline?: WireBaseline | null;
  constructor(
    readonly id: number,
    private readonly b: ResultBatch,
    private readonly i: number,
  ) {}
  get kind(): EntryKind {
    return this.b.flags[this.i] & 1 ? 'symlink' : 'file';
  }
  get size() {
    return this.b.u64[this.i * 3];
  }
  get inode() {
    return this.b.u64[this.i * 3 + 1];
  }
  get dev() {
    return this.b.u64[this.i * 3 + 2];
  }
  get mtimeNs() {
    return this.b.i64[this.i * 3];
  }
  get ctimeNs() {
    return this.b.i64[this.i * 3 + 1];
  }
  get readStartedNs() {
    return this.b.i64[this.i * 3 + 2];
  }
  get changedWhileReading() {
    return (this.b.flags[this.i] & 2) !== 0;
  }
  get cacheBypassed() {
    return (this.b.flags[this.i] & 4) !== 0;
  }
  get shortRead() {
    return this.b.shortRead[this.i] >= 0 ? this.b.shortRead[this.i] : undefined;
  }
  /** Zeros for a verified file: its hash is the baseline's, which the worker does not send. */
  get hash() {
    return this.b.hashes.subarray(this.i * this.b.hashLength, (this.i + 1) * this.b.hashLength);
  }
}

export function decodeResults(b: ResultBatch): BatchResults {
  const out = new Array<HashResult>(b.ids.length);
  for (let i = 0; i < out.length; i++) {
    const id = b.ids[i];
    const f = b.flags[i];
    if (f & 16) out[i] = { id, ok: 'settled' };
    else if (f & 32) out[i] = { id, ok: 'cancelled' };
    else if (f & 64) out[i] = { id, ok: 'new' };
    else if (f & 8) {
      const failure: HashFailure = { id, ok: false, ...b.failures[i] };
      if (i in b.baselines) failure.baseline = b.baselines[i];
      out[i] = failure;
    } else {
      const r = new BatchSuccess(id, b, i);
      if (b.verifiedIds[i] >= 0) r.verifiedBaselineId = b.verifiedIds[i];
      else if (i in b.baselines) r.baseline = b.baselines[i];
      out[i] = r;
    }
  }
  return { results: out, settledNew: b.settledNew };
}

export interface WorkerConfig {
  algorithm: Algorithm;
  /**
   * Where the worker looks up each file's baseline itself (a read-only connection of its own),
   * so the main thread only walks and writes. null: the jobs carry no lookups (tests of the pool).
   */
  lookup: { databaseFile: string; scanId: number; resuming: boolean } | null;
  /** One Int32 the main thread sets to 1 when the scan stops: the jobs not started yet come back cancelled. */
  stop?: SharedArrayBuffer;
  bufferSize: number;
  /** Bytes per second this worker may read (its share of --max-rate); 0 is unlimited. */
  maxBytesPerSecond: number;
  /** false: read every file the JavaScript way, even where the native reader could (tests compare the two). */
  nativeReader?: boolean;
}
