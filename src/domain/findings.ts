/**
 * The findings rule (DESIGN.md, "Findings — the rule"). Pure: given what a file was and what was
 * just read, decide what happened. A false alarm teaches users to ignore Bitarr and a missed
 * corruption defeats it, so every branch that could say "corrupted" needs proof first.
 */
import type { FilesystemTraits } from './filesystem-traits.js';

export const FINDING_STATUSES = [
  'new',
  'ok',
  'touched',
  'rehashed',
  'modified',
  'modified_mtime_preserved',
  'corrupted',
  'unstable',
  'unreadable',
  'denied',
  'vanished',
  'busy',
  'missing',
  'moved',
  'skipped',
] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Findings that mean the data or the hardware is in trouble (exit code 1). */
export const ALARM_STATUSES: ReadonlySet<FindingStatus> = new Set(['corrupted', 'unreadable', 'unstable']);

/** Findings worth a row of their own; `ok` is only counted, or 1M files would give 1M rows a scan. */
export const isRecorded = (s: FindingStatus) => s !== 'ok';

export interface Baseline {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  hash: Uint8Array;
  algorithm: string;
  /** When the read that last proved this hash started (ns). */
  verifiedAtNs: bigint;
}

export interface Observation {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  hash: Uint8Array;
  readStartedNs: bigint;
}

export type Verdict =
  | { kind: 'final'; status: FindingStatus; detail: string | null }
  /** Rule 7: same size, mtime and ctime but other bytes. Needs a re-read bypassing the cache. */
  | { kind: 'suspect' };

export const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

const final = (status: FindingStatus, detail: string | null = null): Verdict => ({ kind: 'final', status, detail });

export function classify(baseline: Baseline | null, obs: Observation, algorithm: string, fs: FilesystemTraits): Verdict {
  if (!baseline) return final('new');
  if (baseline.algorithm !== algorithm) {
    return final('rehashed', `baseline was ${baseline.algorithm}; re-baselined with ${algorithm}, not compared`);
  }
  if (sameBytes(baseline.hash, obs.hash)) {
    return baseline.mtimeNs === obs.mtimeNs ? final('ok') : final('touched', 'mtime changed, content identical');
  }
  if (baseline.size !== obs.size || baseline.mtimeNs !== obs.mtimeNs) {
    return final('modified', describeEdit(baseline, obs));
  }
  // Same size and mtime, other bytes. If the baseline was read so soon after its last write that a
  // further write could have kept the mtime (git's "racy" entries), the mtime proves nothing.
  if (baseline.verifiedAtNs < baseline.mtimeNs + fs.granularityNs) {
    return final(
      'modified',
      'content changed; the previous read came within the timestamp granularity of the last write, so an edit cannot be ruled out',
    );
  }
  if (fs.hasChangeTime && baseline.ctimeNs !== obs.ctimeNs) {
    return final('modified_mtime_preserved', 'content and change time differ but mtime was restored (an editor or sync tool); review');
  }
  return { kind: 'suspect' };
}

/**
 * Rule 7, second half: `first` is the hash of the suspect read, `second` of a read that bypassed
 * the page cache. Only agreement with each other proves the medium now holds other bytes.
 * Reads that disagree mean flaky hardware — unless the filesystem keeps no change time, where a
 * write in progress can leave size and mtime as they were (fusefat does not even move the mtime),
 * so the file is treated as changing: retried later, and `busy` if it never settles.
 */
export function confirmSuspect(
  baselineHash: Uint8Array,
  first: Uint8Array,
  second: Uint8Array,
  fs: FilesystemTraits,
  fsName: string,
  cacheBypassed: boolean,
): { kind: 'final'; status: FindingStatus; detail: string } | { kind: 'changing'; why: string } {
  if (!sameBytes(first, second)) {
    if (!fs.hasChangeTime) {
      return { kind: 'changing', why: `two reads disagreed and ${fsName} keeps no change time to show a write in progress` };
    }
    const back = sameBytes(second, baselineHash) ? ' (the second read matched the baseline)' : '';
    return {
      kind: 'final',
      status: 'unstable',
      detail: `two reads of the same bytes gave different hashes while size, mtime and ctime stayed the same${back}: suspect the disk, cable, controller or RAM`,
    };
  }
  const how = cacheBypassed ? 'confirmed by a second read that bypassed the page cache' : 'confirmed by a second read (the page cache could not be bypassed)';
  const base = `content differs from the baseline while size and mtime${fs.hasChangeTime ? ' and ctime' : ''} are unchanged; ${how}`;
  if (!fs.hasChangeTime) {
    return {
      kind: 'final',
      status: 'corrupted',
      detail: `${base}. ${fsName} keeps no change time, so an edit that restored the mtime cannot be told from bitrot`,
    };
  }
  return { kind: 'final', status: 'corrupted', detail: base };
}

function describeEdit(b: Baseline, o: Observation): string {
  const parts: string[] = [];
  if (b.size !== o.size) parts.push(`size ${b.size} → ${o.size}`);
  if (b.mtimeNs !== o.mtimeNs) parts.push('mtime changed');
  return parts.join(', ');
}

/**
 * Errors a read can end with, sorted into the findings they mean. Only errors the medium itself
 * raises are `unreadable`; resource errors (EMFILE, ENOMEM) or odd names (ELOOP) are not the disk's
 * fault and must not raise an alarm, so they are `skipped` with the error in the detail.
 */
export function findingForError(code: string | undefined): FindingStatus {
  switch (code) {
    case 'EIO':
    case 'ENODATA':
    case 'EBADMSG':
    case 'EUCLEAN':
      return 'unreadable';
    case 'EACCES':
    case 'EPERM':
      return 'denied';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'vanished';
    default:
      return 'skipped';
  }
}
