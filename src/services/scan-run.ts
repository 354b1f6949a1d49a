/** One execution of a scan (fresh or resumed). See scan.service.ts for the shape. */
import type { Knex } from 'knex';
import type { Algorithm } from '../domain/algorithms.js';
import type { Exclusions } from '../domain/exclusions.js';
import { findingForError } from '../domain/findings.js';
import { filesystemTraits } from '../domain/filesystem-traits.js';
import type { BaselineRepository, BaselineRow } from '../repositories/baseline.repository.js';
import type { FindingRepository } from '../repositories/finding.repository.js';
import { HashPool } from '../repositories/hash-pool.js';
import type { EntryKind, HashResult, WireBaseline } from '../repositories/hash-protocol.js';
import { readMountTable } from '../repositories/mount.repository.js';
import { RootGuard } from '../repositories/root-guard.js';
import type { ScanRepository, ScanRootRow, ScanRow } from '../repositories/scan.repository.js';
import { chunks } from '../repositories/sql.js';
import { walk, type WalkEntry } from '../repositories/walker.js';
import { markMissingAndMoved } from './missing-pass.js';
import { ScanOutcomes, SUSPECT_ERRORS, type Job, type RootCtx } from './scan-outcomes.js';
import { ScanWriter } from './scan-writer.js';
import { briefErrorMessage } from '../domain/errors.js';
import type { ScanOutcome, ScanProgress } from './scan.service.js';

const WALK_BATCH = 1024;
const JOBS_PER_MESSAGE = 128;

export interface RunOptions {
  algorithm: Algorithm;
  threads: number;
  exclusions: Exclusions;
  resuming: boolean;
  /** Bytes per second for all workers together; 0 is unlimited. */
  maxRate: number;
  expected: ScanProgress['expected'];
  /** The SQLite file the hashing workers read baselines from. */
  databaseFile: string;
}

export class ScanRun {
  private readonly writer: ScanWriter;
  private readonly jobs = new Map<number, Job>();
  private readonly outstanding = new Set<Promise<void>>();
  private pool: HashPool | null = null;
  private nextId = 1;
  private readonly outcomes: ScanOutcomes;
  private stopReason: string | null = null;
  private interruption: string | null = null;
  private fatal: unknown = null;
  private phase: ScanProgress['phase'] = 'walking';
  private currentPath: string | null = null;
  private readonly startedAtMs = Date.now();
  /** Time the workers spent in baseline lookups. */
  private readMs = 0;

  constructor(
    private readonly db: Knex,
    private readonly repos: { scans: ScanRepository; baselines: BaselineRepository; findings: FindingRepository },
    private readonly scan: ScanRow,
    private readonly roots: ScanRootRow[],
    private readonly opts: RunOptions,
  ) {
    this.writer = new ScanWriter(db, scan.id, opts.algorithm, repos, { counts: scan.counts, filesDone: scan.filesDone, bytesDone: scan.bytesDone });
    this.outcomes = new ScanOutcomes(this.writer, scan.id, opts.algorithm, {
      reread: (job) => this.submit([job], true),
      interrupt: (reason) => this.interrupt(reason),
    });
  }

  progress(): ScanProgress {
    return {
      scanId: this.scan.id,
      phase: this.phase,
      filesDone: this.writer.filesDone + (this.pool?.partialFiles ?? 0),
      bytesDone: Number(this.writer.bytesDone) + (this.pool?.partialBytes ?? 0),
      counts: { ...this.writer.counts },
      currentPath: this.pool?.lastPath ?? this.currentPath,
      startedAtMs: this.startedAtMs,
      expected: this.opts.expected,
    };
  }

  stop(reason: string) {
    this.stopReason ??= reason;
    this.pool?.cancel();
  }

  private get halted() {
    return this.stopReason !== null || this.interruption !== null || this.fatal !== null;
  }

  private interrupt(reason: string) {
    this.interruption ??= reason;
    this.pool?.cancel();
  }

  async execute(): Promise<ScanOutcome> {
    const heartbeat = setInterval(() => void this.repos.scans.heartbeat(this.scan.id).catch(() => {}), 5000);
    let status: ScanOutcome['status'] = 'completed';
    let reason: string | null = null;
    const ctxs: RootCtx[] = [];
    try {
      this.pool = new HashPool(this.opts.threads, {
        algorithm: this.opts.algorithm,
        // 128 KiB, measured rather than derived: cached data read and hashed by two threads at
        // once gave 6.8 GB/s each with 192 or 256 KiB and 9.3 with 128 KiB (one thread: 1 MiB
        // 7.2, 256 KiB 7.0, 128 KiB 9.7) on an EPYC VM with 1 MiB of L2 a core; a 16 GiB hot
        // scan 1.35 -> 0.97 s. Cold reads are the same: the kernel's readahead does not follow it.
        bufferSize: 128 * 1024,
        maxBytesPerSecond: this.opts.maxRate / this.opts.threads,
        lookup: { databaseFile: this.opts.databaseFile, scanId: this.scan.id, resuming: this.opts.resuming },
      });
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
        this.outcomes.settleDeferred();
        await this.writer.flush();
        this.phase = 'missing';
        const t0 = performance.now();
        // A root unknown before this scan has no baseline this scan did not write.
        for (const ctx of ctxs.filter((c) => !c.unknown)) {
          await markMissingAndMoved(this.db, this.repos, this.writer, this.scan.id, ctx.row, (p) => relativeTo(ctx.row.path, p), ctx.traits.stableInodes);
        }
        this.writer.writeMs += performance.now() - t0;
      }
      await this.writer.flush();
      if (this.stopReason || this.interruption) {
        status = 'interrupted';
        reason = `${this.interruption ?? this.stopReason}; nothing was marked missing; run again with --resume to continue`;
      }
    } catch (err) {
      status = 'aborted';
      reason = `the scan failed: ${briefErrorMessage(err)}`;
      await this.writer.flush().catch(() => {});
    } finally {
      clearInterval(heartbeat);
      await this.pool?.close();
      this.phase = 'done';
    }
    await this.repos.scans.finish(this.scan.id, status, reason);
    const scan = (await this.repos.scans.get(this.scan.id))!;
    const timing = { wallMs: Date.now() - this.startedAtMs, databaseWriteMs: Math.round(this.writer.writeMs), databaseReadMs: Math.round(this.readMs), workers: this.pool?.workers ?? 0, nativeReads: this.pool?.nativeReads ?? 0 };
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
    // A first scan's workers then skip a lookup per batch that could find nothing.
    const unknown = !(await this.repos.baselines.anyUnder(row.path));
    return { row, guard, traits: filesystemTraits(row.device.fsType ?? row.device.mountType), fsName, unknown };
  }

  private async walkRoot(root: RootCtx) {
    let batch: Array<WalkEntry & { kind: EntryKind }> = [];
    const mountPoints = new Set((await readMountTable()).map((m) => m.mountPoint).filter((p) => p !== root.row.path));
    for await (const entries of walk(root.row.path, mountPoints, this.opts.exclusions)) {
      for (const e of entries) {
        if (this.halted) break;
        if (e.kind === 'unwalked-dir') await this.onUnwalked(root, e);
        else if (e.kind === 'special') {
          this.writer.markSeen(e.path);
          this.outcomes.note(root, e.path, 'skipped', `a ${e.what}, not a regular file: not verified`, 0n);
        } else {
          batch.push(e);
          if (batch.length >= WALK_BATCH) {
            await this.dispatchSoon(root, batch);
            batch = [];
          }
        }
      }
      if (this.halted) break;
      // Backpressure only when the writer falls far behind; flushes otherwise run beside the walk.
      if (this.writer.pendingRows >= 50_000) await this.writer.flush();
    }
    if (batch.length && !this.halted) await this.dispatchSoon(root, batch);
  }

  private async onUnwalked(root: RootCtx, e: Extract<WalkEntry, { kind: 'unwalked-dir' }>) {
    if (e.reason === 'error') {
      const status = findingForError(e.code);
      if (SUSPECT_ERRORS.has(status)) {
        const p = await root.guard.problem(0);
        if (p) return this.interrupt(p);
      }
      return this.outcomes.defer(() => {
        this.outcomes.note(root, e.path, status, `directory could not be read (${e.code ?? e.message}); the files below it were not verified and are kept`, 0n);
        this.writer.keepSubtree(e.path);
      });
    }
    if (e.reason === 'other-filesystem') this.outcomes.note(root, e.path, 'skipped', 'another filesystem is mounted here; scan it as its own root', 0n);
    this.writer.keepSubtree(e.path);
  }

  /** Hands a batch of walked entries to the workers, which look up each file's baseline themselves. */
  private async dispatchSoon(root: RootCtx, entries: Array<{ path: string; kind: EntryKind }>) {
    await this.dispatch(root, entries).catch((err) => {
      this.fatal ??= err;
    });
  }

  private async dispatch(root: RootCtx, entries: Array<{ path: string; kind: EntryKind }>) {
    const jobs: Job[] = entries.map((e) => ({ root, path: e.path, kind: e.kind, baseline: null, attempts: 0 }));
    // Few entries (large files, most likely) go out one or two a message so every worker gets some.
    const perMessage = Math.max(1, Math.min(JOBS_PER_MESSAGE, Math.ceil(jobs.length / this.pool!.maxCapacity)));
    for (const part of chunks(jobs, perMessage)) {
      await this.pool!.slotFree();
      if (this.halted) return;
      this.submit(part, false, root);
    }
  }

  /** `root`: the jobs are all of it, so the worker may settle new files itself (and skip lookups under an unknown root). */
  private submit(jobs: Job[], bypassCache: boolean, root?: RootCtx) {
    const messages = jobs.map((job) => {
      const id = this.nextId++;
      this.jobs.set(id, job);
      return { id, path: job.path, kind: job.kind, bypassCache };
    });
    const p: Promise<void> = this.pool!
      .submit(messages, { settleNew: root !== undefined, noBaselines: root?.unknown === true })
      .then(({ results, settledNew }) => {
        if (settledNew) this.writer.settledNew(jobs[0]!.root.row, settledNew);
        return this.onResults(results);
      })
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
      if (r.ok === 'settled' || r.ok === 'cancelled' || r.ok === 'new') continue;
      this.currentPath = job.path;
      if (r.baseline !== undefined) job.baseline = r.baseline && toBaselineRow(r.baseline);
      if (r.ok && r.verifiedBaselineId !== undefined) {
        // The worker found it unchanged and matching: only its verification moves.
        this.writer.verified(r.verifiedBaselineId, r.readStartedNs);
        this.writer.fileDone('ok', r.size);
      } else if (r.ok) this.outcomes.hashed(job, r);
      else await this.outcomes.failed(job, r);
    }
    this.readMs = this.pool!.lookupMs;
    this.writer.maybeFlush().catch((err) => {
      this.fatal ??= err;
    });
  }

  /** Files that changed under us get a few later reads, spaced out, before they are called busy. */
  private async retryBusy() {
    for (let round = 1, jobs = this.outcomes.takeRetries(); jobs.length && !this.halted; round++, jobs = this.outcomes.takeRetries()) {
      this.phase = 'retrying';
      await new Promise((r) => setTimeout(r, 300 * round));
      for (const part of chunks(jobs, JOBS_PER_MESSAGE)) {
        await this.pool!.slotFree();
        this.submit(part, false);
      }
      await this.drain();
    }
  }
}

const toBaselineRow = (b: WireBaseline): BaselineRow => ({ ...b, hash: Buffer.from(b.hash.buffer, b.hash.byteOffset, b.hash.byteLength) });

export const relativeTo = (root: string, path: string) => (path === root ? '.' : path.slice(root.endsWith('/') ? root.length : root.length + 1));
