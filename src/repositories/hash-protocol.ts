/** Messages between the scan's main thread and its hashing workers. Structured-clone safe. */
import type { Algorithm } from '../domain/algorithms.js';

export type EntryKind = 'file' | 'symlink';

export interface HashJob {
  id: number;
  path: string;
  kind: EntryKind;
  /** Drop the file's cached pages first, so this read comes from the medium (rule 7). */
  bypassCache?: boolean;
}

export interface HashSuccess {
  id: number;
  ok: true;
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
  code: string | undefined;
  message: string;
  /** The file turned out not to be a regular file or symlink (a FIFO swapped in, say). */
  notRegular?: string;
}

export type HashResult = HashSuccess | HashFailure;

export type ToWorker = { type: 'jobs'; jobs: HashJob[] };
export type FromWorker =
  | { type: 'results'; results: HashResult[] }
  | { type: 'bytes'; bytes: number };

export interface WorkerConfig {
  algorithm: Algorithm;
  bufferSize: number;
  /** Bytes per second this worker may read (its share of --max-rate); 0 is unlimited. */
  maxBytesPerSecond: number;
}
