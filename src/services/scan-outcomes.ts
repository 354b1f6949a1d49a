/**
 * What each read of a file comes to: the findings rule applied to the worker's result, the
 * baseline and finding rows it yields, retries for files that changed under the read, and the
 * error findings held back until the scan is known not to be interrupted.
 */
import type { Algorithm } from '../domain/algorithms.js';
import { classify, confirmSuspect, findingForError, isRecorded, type FindingStatus, type Observation } from '../domain/findings.js';
import type { FilesystemTraits } from '../domain/filesystem-traits.js';
import type { BaselineRow } from '../repositories/baseline.repository.js';
import type { EntryKind, HashFailure, HashSuccess } from '../repositories/hash-protocol.js';
import type { RootGuard } from '../repositories/root-guard.js';
import type { ScanRootRow } from '../repositories/scan.repository.js';
import type { ScanWriter } from './scan-writer.js';

export interface RootCtx {
  row: ScanRootRow;
  guard: RootGuard;
  traits: FilesystemTraits;
  fsName: string;
  /** No baseline lay below the root when its walk began (roots never nest): nothing to look up. */
  unknown: boolean;
}

export interface Job {
  root: RootCtx;
  path: string;
  kind: EntryKind;
  baseline: BaselineRow | null;
  attempts: number;
  /** The suspect read, while its confirming re-read is in flight. */
  first?: HashSuccess;
  /** Where no change time shows writes, a corruption is confirmed twice, the second time later. */
  confirmedOnce?: boolean;
}

export const BUSY_RETRIES = 3;
/** Errors that a vanished mount or device also causes: checked against the root before believed. */
export const SUSPECT_ERRORS: ReadonlySet<FindingStatus> = new Set(['vanished', 'unreadable', 'denied']);

export class ScanOutcomes {
  private retries: Job[] = [];
  private deferred: Array<() => void> = [];

  constructor(
    private readonly writer: ScanWriter,
    private readonly scanId: number,
    private readonly algorithm: Algorithm,
    private readonly hooks: { reread(job: Job): void; interrupt(reason: string): void },
  ) {}

  takeRetries(): Job[] {
    return this.retries.splice(0);
  }

  /**
   * Error findings wait for the end of the scan: if the scan turns out interrupted (the mount or
   * the device went away, the root emptied), they were symptoms of that, not of the files, and
   * the files are verified again on --resume.
   */
  defer(record: () => void) {
    this.deferred.push(record);
  }

  /** Called once the scan is known complete; an interrupted scan drops them instead. */
  settleDeferred() {
    for (const record of this.deferred.splice(0)) record();
  }

  async failed(job: Job, r: HashFailure) {
    if (r.notRegular) {
      this.writer.markSeen(job.path);
      this.note(job.root, job.path, 'skipped', `became a ${r.notRegular} during the scan: not verified`, 0n);
      return;
    }
    const status = findingForError(r.code);
    // A vanished mount makes every file vanish; that is an interrupted scan, not lost files.
    if (SUSPECT_ERRORS.has(status)) {
      const p = await job.root.guard.problem(0);
      if (p) return this.hooks.interrupt(p);
    }
    this.defer(() => {
      if (job.baseline) this.writer.markSeen(job.path);
      this.note(job.root, job.path, status, describeError(status, r), 0n);
    });
  }

  hashed(job: Job, r: HashSuccess) {
    if (r.changedWhileReading) return this.retryOrBusy(job, 'it changed while it was read');
    if (r.shortRead !== undefined) {
      // Nothing changed, yet the data ends early: the file's allocation is damaged (a broken FAT
      // chain, a lost extent). As strong a signal as EIO.
      const got = r.shortRead;
      const detail = `the filesystem reports ${r.size} bytes but reading ends at ${got}: the file's allocation is damaged; check the filesystem`;
      return this.defer(() => {
        if (job.baseline) this.writer.markSeen(job.path);
        this.note(job.root, job.path, 'unreadable', detail, BigInt(got));
      });
    }
    const first = job.first;
    job.first = undefined;
    if (first && job.baseline && first.size === r.size && first.mtimeNs === r.mtimeNs && first.ctimeNs === r.ctimeNs) {
      const v = confirmSuspect(job.baseline.hash, first.hash, r.hash, job.root.traits, job.root.fsName, r.cacheBypassed === true);
      if (v.kind === 'changing') return this.retryOrBusy(job, v.why);
      // Without a change time, a writer that paused between two reads looks exactly like rot
      // (fusefat does not even move the mtime): look again after the walk, when it has had time.
      if (v.status === 'corrupted' && !job.root.traits.hasChangeTime && !job.confirmedOnce) {
        job.confirmedOnce = true;
        this.retries.push(job);
        return;
      }
      // Corrupted or unstable: the baseline keeps the good hash.
      this.writer.markSeen(job.path);
      this.note(job.root, job.path, v.status, v.detail, r.size, r);
      return;
    }
    const obs: Observation = { size: r.size, mtimeNs: r.mtimeNs, ctimeNs: r.ctimeNs, inode: r.inode, hash: r.hash, readStartedNs: r.readStartedNs };
    const v = classify(job.baseline, obs, this.algorithm, job.root.traits);
    if (v.kind === 'suspect') {
      job.first = r;
      this.hooks.reread(job);
      return;
    }
    const b = job.baseline;
    if (v.status === 'ok' && b && b.ctimeNs === r.ctimeNs && b.inode === r.inode && b.kind === r.kind && b.missingSinceScanId === null) {
      // The common case of a verify scan: nothing but the verification moves.
      this.writer.verified(b.id, r.readStartedNs);
      this.note(job.root, job.path, v.status, v.detail, r.size, r);
      return;
    }
    this.writer.baseline({
      path: job.path,
      kind: r.kind,
      size: r.size,
      mtimeNs: r.mtimeNs,
      ctimeNs: r.ctimeNs,
      inode: r.inode,
      hash: Buffer.from(r.hash),
      algorithm: this.algorithm,
      verifiedAtNs: r.readStartedNs,
      firstScanId: job.baseline?.firstScanId ?? this.scanId,
      lastSeenScanId: this.scanId,
      missingSinceScanId: null,
      deviceId: job.root.row.device.deviceId,
    });
    this.note(job.root, job.path, v.status, v.detail, r.size, r);
  }

  /**
   * Counts a settled file and records its finding unless it is plain ok. (Most `new` files never
   * come here: their workers settle them, ScanWriter.settledNew.)
   */
  note(root: RootCtx, path: string, status: FindingStatus, detail: string | null, bytes: bigint, r?: HashSuccess) {
    this.writer.fileDone(status, bytes);
    if (!isRecorded(status)) return;
    this.writer.finding({
      scanId: this.scanId,
      rootId: root.row.id,
      path,
      status,
      detail,
      size: r?.size ?? null,
      mtimeNs: r?.mtimeNs ?? null,
      inode: r?.inode ?? null,
      hash: r ? Buffer.from(r.hash) : null,
    });
  }

  private retryOrBusy(job: Job, why: string) {
    job.first = undefined;
    if (++job.attempts <= BUSY_RETRIES) {
      this.retries.push(job);
      return;
    }
    if (job.baseline) this.writer.markSeen(job.path);
    this.note(job.root, job.path, 'busy', `${why} on ${BUSY_RETRIES + 1} reads; verify it again when it is idle`, 0n);
  }
}

function describeError(status: FindingStatus, r: HashFailure): string {
  const code = r.code ?? 'error';
  switch (status) {
    case 'unreadable':
      return `${code}: the read failed; the disk or the filesystem's checksums could not return this file's data`;
    case 'denied':
      return `${code}: permission denied to this user; not the disk's fault`;
    case 'vanished':
      return 'deleted or renamed while the scan ran';
    default:
      return `${code}: ${r.message}`;
  }
}
