/** One execution of a scan (fresh or resumed). See scan.service.ts for the shape. */
import type { Knex } from 'knex';
import type { Algorithm } from '../domain/algorithms.js';
import type { Exclusions } from '../domain/exclusions.js';
import { classify, confirmSuspect, findingForError, isRecorded, type FindingStatus, type Observation } from '../domain/findings.js';
import { filesystemTraits, type FilesystemTraits } from '../domain/filesystem-traits.js';
import type { BaselineRepository, BaselineRow } from '../repositories/baseline.repository.js';
import type { FindingRepository } from '../repositories/finding.repository.js';
import { HashPool } from '../repositories/hash-pool.js';
import type { EntryKind, HashFailure, HashResult, HashSuccess } from '../repositories/hash-protocol.js';
import { readMountTable } from '../repositories/mount.repository.js';
import { RootGuard } from '../repositories/root-guard.js';
import type { ScanRepository, ScanRootRow, ScanRow } from '../repositories/scan.repository.js';
import { chunks } from '../repositories/sql.js';
import { walk, type WalkEntry } from '../repositories/walker.js';
import { markMissingAndMoved } from './missing-pass.js';
import { ScanWriter } from './scan-writer.js';
import type { ScanOutcome, ScanProgress } from './scan.service.js';

interface RootCtx {
  row: ScanRootRow;
  guard: RootGuard;
  traits: FilesystemTraits;
  fsName: string;
}

interface Job {
  root: RootCtx;
  path: string;
  kind: EntryKind;
  baseline: BaselineRow | null;
  attempts: number;
  /** The suspect read, while its confirming re-read is in flight. */
  first?: HashSuccess;
}

const WALK_BATCH = 256;
const JOBS_PER_MESSAGE = 32;
const BUSY_RETRIES = 3;
const SUSPECT_ERRORS: ReadonlySet<FindingStatus> = new Set(['vanished', 'unreadable', 'denied']);

export interface RunOptions {
  algorithm: Algorithm;
  threads: number;
  exclusions: Exclusions;
  resuming: boolean;
  /** Bytes per second for all workers together; 0 is unlimited. */
  maxRate: number;
  expected: ScanProgress['expected'];
}

export class ScanRun {
  private readonly writer: ScanWriter;
  private readonly jobs = new Map<number, Job>();
  private readonly outstanding = new Set<Promise<void>>();
  private pool: HashPool | null = null;
  private nextId = 1;
  private retries: Job[] = [];
  private deferred: Array<() => void> = [];
  private stopReason: string | null = null;
  private interruption: string | null = null;
  private fatal: unknown = null;
  private phase: ScanProgress['phase'] = 'walking';
  private currentPath: string | null = null;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly db: Knex,
    private readonly repos: { scans: ScanRepository; baselines: BaselineRepository; findings: FindingRepository },
    private readonly scan: ScanRow,
    private readonly roots: ScanRootRow[],
    private readonly opts: RunOptions,
  ) {
    this.writer = new ScanWriter(db, scan.id, repos, { counts: scan.counts, filesDone: scan.filesDone, bytesDone: scan.bytesDone });
  }

  progress(): ScanProgress {
    return {
      scanId: this.scan.id,
      phase: this.phase,
      filesDone: this.writer.filesDone,
      bytesDone: Number(this.writer.bytesDone) + (this.pool?.partialBytes ?? 0),
      currentPath: this.currentPath,
      startedAtMs: this.startedAtMs,
      expected: this.opts.expected,
    };
  }

  stop(reason: string) {
    this.stopReason ??= reason;
  }

  private get halted() {
    return this.stopReason !== null || this.interruption !== null || this.fatal !== null;
  }

  private interrupt(reason: string) {
    this.interruption ??= reason;
  }

  async execute(): Promise<ScanOutcome> {
    const heartbeat = setInterval(() => void this.repos.scans.heartbeat(this.scan.id).catch(() => {}), 5000);
    let status: ScanOutcome['status'] = 'completed';
    let reason: string | null = null;
    const ctxs: RootCtx[] = [];
    try {
      this.pool = new HashPool(this.opts.threads, { algorithm: this.opts.algorithm, bufferSize: 1 << 20, maxBytesPerSecond: this.opts.maxRate / this.opts.threads });
      for (const row of this.roots) {
        const ctx = await this.openRoot(row);
        if (!ctx) break;
        ctxs.push(ctx);
        const watch = setInterval(() => void ctx.guard.problem().then((p) => p && this.interrupt(p)), 1000);
        try {
          await this.walkRoot(ctx);
        } finally {
          clearInterval(watch);
        }
        await this.drain();
        if (this.halted) break;
      }
      await this.retryBusy();
      await this.writer.flush();
      if (this.fatal) throw this.fatal;
      if (!this.halted) {
        for (const ctx of ctxs) {
          const p = await ctx.guard.problem(0);
          if (p) this.interrupt(p);
        }
      }
      if (!this.halted) {
        for (const record of this.deferred.splice(0)) record();
        await this.writer.flush();
        this.phase = 'missing';
        const t0 = performance.now();
        for (const ctx of ctxs) {
          await markMissingAndMoved(this.db, this.repos, this.writer, this.scan.id, ctx.row, (p) => relativeTo(ctx.row.path, p), ctx.traits.stableInodes);
        }
        this.writer.databaseMs += performance.now() - t0;
      }
      await this.writer.flush();
      if (this.stopReason || this.interruption) {
        status = 'interrupted';
        reason = `${this.interruption ?? this.stopReason}; nothing was marked missing; run again with --resume to continue`;
      }
    } catch (err) {
      status = 'aborted';
      reason = `the scan failed: ${(err as Error).message}`;
      await this.writer.flush().catch(() => {});
    } finally {
      clearInterval(heartbeat);
      await this.pool?.close();
      this.phase = 'done';
    }
    await this.repos.scans.finish(this.scan.id, status, reason);
    const scan = (await this.repos.scans.get(this.scan.id))!;
    const timing = { wallMs: Date.now() - this.startedAtMs, databaseMs: Math.round(this.writer.databaseMs) };
    return { scan, roots: this.roots.map((r) => ({ id: r.id, path: r.path, device: r.device })), status, reason, timing };
  }

  private async openRoot(row: ScanRootRow): Promise<RootCtx | null> {
    let guard: RootGuard;
    try {
      guard = await RootGuard.watch(row.path, row.device.source);
    } catch (err) {
      this.interrupt(`the scan root ${row.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return null;
    }
    if (guard.startedEmpty) {
      const known = await this.repos.baselines.countUnder(row.path);
      if (known > 0) {
        this.interrupt(`${row.path} is empty but ${known} files were verified there before: is the disk mounted?`);
        return null;
      }
    }
    const fsName = row.device.fsType ?? row.device.mountType ?? 'this filesystem';
    return { row, guard, traits: filesystemTraits(row.device.fsType ?? row.device.mountType), fsName };
  }

  private async walkRoot(root: RootCtx) {
    let batch: Array<WalkEntry & { kind: EntryKind }> = [];
    const mountPoints = new Set((await readMountTable()).map((m) => m.mountPoint).filter((p) => p !== root.row.path));
    for await (const e of walk(root.row.path, mountPoints, this.opts.exclusions)) {
      if (this.halted) break;
      if (e.kind === 'unwalked-dir') await this.onUnwalked(root, e);
      else if (e.kind === 'special') {
        this.writer.markSeen(e.path);
        this.note(root, e.path, 'skipped', `a ${e.what}, not a regular file: not verified`, 0n);
      } else {
        batch.push(e);
        if (batch.length >= WALK_BATCH) {
          await this.dispatch(root, batch);
          batch = [];
        }
      }
      if (this.writer.pendingRows >= 2000) await this.writer.maybeFlush();
    }
    if (batch.length && !this.halted) await this.dispatch(root, batch);
  }

  private async onUnwalked(root: RootCtx, e: Extract<WalkEntry, { kind: 'unwalked-dir' }>) {
    if (e.reason === 'error') {
      const status = findingForError(e.code);
      if (SUSPECT_ERRORS.has(status)) {
        const p = await root.guard.problem(0);
        if (p) return this.interrupt(p);
      }
      return this.deferUnlessInterrupted(() => {
        this.note(root, e.path, status, `directory could not be read (${e.code ?? e.message}); the files below it were not verified and are kept`, 0n);
        this.writer.keepSubtree(e.path);
      });
    }
    if (e.reason === 'other-filesystem') this.note(root, e.path, 'skipped', 'another filesystem is mounted here; scan it as its own root', 0n);
    this.writer.keepSubtree(e.path);
  }

  private async dispatch(root: RootCtx, entries: Array<{ path: string; kind: EntryKind }>) {
    const t0 = performance.now();
    const known = await this.repos.baselines.getByPaths(entries.map((e) => e.path));
    this.writer.databaseMs += performance.now() - t0;
    const jobs: Job[] = [];
    for (const e of entries) {
      const baseline = known.get(e.path) ?? null;
      // A resumed scan skips what it already settled before it stopped.
      if (this.opts.resuming && baseline && baseline.lastSeenScanId === this.scan.id) continue;
      jobs.push({ root, path: e.path, kind: e.kind, baseline, attempts: 0 });
    }
    for (const part of chunks(jobs, JOBS_PER_MESSAGE)) {
      await this.pool!.slotFree();
      if (this.halted) return;
      this.submit(part, false);
    }
  }

  private submit(jobs: Job[], bypassCache: boolean) {
    const messages = jobs.map((job) => {
      const id = this.nextId++;
      this.jobs.set(id, job);
      return { id, path: job.path, kind: job.kind, bypassCache };
    });
    const p: Promise<void> = this.pool!
      .submit(messages)
      .then((results) => this.onResults(results))
      .catch((err) => {
        this.fatal ??= err;
      })
      .finally(() => this.outstanding.delete(p));
    this.outstanding.add(p);
  }

  private async drain() {
    while (this.outstanding.size) await Promise.all([...this.outstanding]);
  }

  private async onResults(results: HashResult[]) {
    for (const r of results) {
      const job = this.jobs.get(r.id)!;
      this.jobs.delete(r.id);
      this.currentPath = job.path;
      if (r.ok) this.onHashed(job, r);
      else await this.onFailed(job, r);
    }
    this.writer.maybeFlush().catch((err) => {
      this.fatal ??= err;
    });
  }

  private async onFailed(job: Job, r: HashFailure) {
    if (r.notRegular) {
      this.writer.markSeen(job.path);
      this.note(job.root, job.path, 'skipped', `became a ${r.notRegular} during the scan: not verified`, 0n);
      return;
    }
    const status = findingForError(r.code);
    // A vanished mount makes every file vanish; that is an interrupted scan, not lost files.
    if (SUSPECT_ERRORS.has(status)) {
      const p = await job.root.guard.problem(0);
      if (p) return this.interrupt(p);
    }
    this.deferUnlessInterrupted(() => {
      if (job.baseline) this.writer.markSeen(job.path);
      this.note(job.root, job.path, status, describeError(status, r), 0n);
    });
  }

  /**
   * Error findings wait for the end of the scan: if the scan turns out interrupted (the mount or
   * the device went away, the root emptied), they were symptoms of that, not of the files, and
   * the files are verified again on --resume.
   */
  private deferUnlessInterrupted(record: () => void) {
    this.deferred.push(record);
  }

  private onHashed(job: Job, r: HashSuccess) {
    if (r.changedWhileReading) return this.retryOrBusy(job, 'it changed while it was read');
    if (r.shortRead !== undefined) {
      // Nothing changed, yet the data ends early: the file's allocation is damaged (a broken FAT
      // chain, a lost extent). As strong a signal as EIO.
      const got = r.shortRead;
      const detail = `the filesystem reports ${r.size} bytes but reading ends at ${got}: the file's allocation is damaged; check the filesystem`;
      return this.deferUnlessInterrupted(() => {
        if (job.baseline) this.writer.markSeen(job.path);
        this.note(job.root, job.path, 'unreadable', detail, BigInt(got));
      });
    }
    const obs: Observation = { size: r.size, mtimeNs: r.mtimeNs, ctimeNs: r.ctimeNs, inode: r.inode, hash: r.hash, readStartedNs: r.readStartedNs };
    const first = job.first;
    job.first = undefined;
    if (first && job.baseline && first.size === r.size && first.mtimeNs === r.mtimeNs && first.ctimeNs === r.ctimeNs) {
      const v = confirmSuspect(job.baseline.hash, first.hash, r.hash, job.root.traits, job.root.fsName, r.cacheBypassed === true);
      if (v.kind === 'changing') return this.retryOrBusy(job, v.why);
      this.writer.markSeen(job.path);
      this.note(job.root, job.path, v.status, v.detail, r.size, r);
      return;
    }
    const v = classify(job.baseline, obs, this.opts.algorithm, job.root.traits);
    if (v.kind === 'suspect') {
      job.first = r;
      this.submit([job], true);
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
      algorithm: this.opts.algorithm,
      verifiedAtNs: r.readStartedNs,
      firstScanId: job.baseline?.firstScanId ?? this.scan.id,
      lastSeenScanId: this.scan.id,
      missingSinceScanId: null,
    });
    this.note(job.root, job.path, v.status, v.detail, r.size, r);
  }

  /** Counts a settled file and records its finding unless it is plain ok. */
  private note(root: RootCtx, path: string, status: FindingStatus, detail: string | null, bytes: bigint, r?: HashSuccess) {
    this.writer.fileDone(status, bytes);
    if (!isRecorded(status)) return;
    this.writer.finding({
      scanId: this.scan.id,
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

  /** Files that changed under us get a few later reads, spaced out, before they are called busy. */
  private async retryBusy() {
    for (let round = 1; this.retries.length && !this.halted; round++) {
      this.phase = 'retrying';
      await new Promise((r) => setTimeout(r, 300 * round));
      const jobs = this.retries;
      this.retries = [];
      for (const part of chunks(jobs, JOBS_PER_MESSAGE)) {
        await this.pool!.slotFree();
        this.submit(part, false);
      }
      await this.drain();
    }
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

export const relativeTo = (root: string, path: string) => (path === root ? '.' : path.slice(root.endsWith('/') ? root.length : root.length + 1));
