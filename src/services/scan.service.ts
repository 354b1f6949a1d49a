/**
 * A scan: walk the roots, hash in worker threads, apply the findings rule, write in batches, and
 * after a complete walk mark what was not seen. The main thread walks and owns the database; the
 * workers only read and hash.
 */
import { realpath, stat } from 'node:fs/promises';
import type { Knex } from 'knex';
import type { Algorithm } from '../domain/algorithms.js';
import { conflictError, environmentError, usageError } from '../domain/errors.js';
import { treesOverlap } from '../domain/trees.js';
import { Exclusions } from '../domain/exclusions.js';
import { BaselineRepository } from '../repositories/baseline.repository.js';
import { FindingRepository } from '../repositories/finding.repository.js';
import type { HostIdentity } from '../repositories/host.repository.js';
import { describeRoot, type KnownDevice, type RootDevice } from '../repositories/mount.repository.js';
import { ScanRepository, type RunningGuard, type ScanRow, type ScanStatus, type ScanTrigger } from '../repositories/scan.repository.js';
import { ScanRun } from './scan-run.js';
import { isProcessAlive } from '../repositories/process-state.js';

export interface ScanRequest {
  roots: string[];
  algorithm: Algorithm;
  excludes: string[];
  threads: number;
  resume: boolean;
  /** Bytes per second; 0 is unlimited. */
  maxRate: number;
  /** What started it (the CLI when unset) and, for a scheduled scan, which schedule. */
  trigger?: ScanTrigger;
  scheduleId?: number | null;
}

export interface ScanProgress {
  scanId: number;
  phase: 'walking' | 'retrying' | 'missing' | 'done';
  filesDone: number;
  bytesDone: number;
  /** Findings so far (what is saved: a finding counts once its batch is written). */
  counts: Record<string, number>;
  currentPath: string | null;
  startedAtMs: number;
  /** Totals of the previous completed scan of these roots, for an ETA; null on a first scan. */
  expected: { files: number; bytes: number } | null;
}

export interface ScanOutcome {
  scan: ScanRow;
  roots: Array<{ id: number; path: string; device: RootDevice }>;
  status: Exclude<ScanStatus, 'running'>;
  reason: string | null;
  /** This run's wall time, the time in write transactions, and the workers' baseline lookups (summed over workers). */
  /** `workers`: hashing workers the scan ended with (one a core, more while the disk kept them waiting). */
  timing: {
    wallMs: number;
    databaseWriteMs: number;
    databaseReadMs: number;
    workers: number;
    /** Files read by the native reader (native-reader.ts); the rest were read the JavaScript way. */
    nativeReads: number;
  };
}

export interface ScanHandle {
  readonly scanId: number;
  /** The recorded storage devices the roots are on. */
  readonly deviceIds: number[];
  progress(): ScanProgress;
  /** Stop cleanly: finish what is in flight, save, leave the scan resumable. */
  stop(reason: string): void;
  done: Promise<ScanOutcome>;
}

export class ScanService {
  private readonly scans: ScanRepository;
  private readonly baselines: BaselineRepository;
  private readonly writeBaselines: BaselineRepository;
  private readonly findings: FindingRepository;

  /** `reader` is a second connection for the lookups a scan makes while it writes. */
  constructor(
    private readonly db: Knex,
    reader: Knex,
    private readonly host: HostIdentity,
    /** The SQLite file behind `db`: the hashing workers read baselines from it on their own connections. */
    private readonly databaseFile: string,
    /** Recognises the device behind a root (the detector plugins); without it blkid is asked. */
    private readonly locate: ((path: string) => Promise<{ known: KnownDevice | null; previousMountPoints: string[]; replaced: number[] }>) | null = null,
  ) {
    this.scans = new ScanRepository(db);
    this.baselines = new BaselineRepository(reader);
    this.writeBaselines = new BaselineRepository(db);
    this.findings = new FindingRepository(db);
  }

  async start(req: ScanRequest): Promise<ScanHandle> {
    if (!req.roots.length) throw usageError('name at least one path to scan');
    if (!Number.isInteger(req.threads) || req.threads < 1 || req.threads > 64) throw usageError('--threads must be a whole number from 1 to 64');
    const roots = await resolveRoots(req.roots);
    const exclusions = Exclusions.fromGlobs(req.excludes);
    await this.scans.abortStale(this.host.id, isProcessAlive);
    // Another process's scan (the appliance's, a cron job's) over the same files would find them
    // seen by the other scan, not by itself, and mark them missing at its end. Checked now, so a
    // refused scan changes nothing, and again where the scan row is written, under the write lock.
    const refuseOverlap: RunningGuard = (running) => {
      const other = running.find((r) => r.roots.some((a) => roots.some((b) => treesOverlap(a, b))));
      if (!other) return;
      throw conflictError(
        `scan ${other.scan.id} of ${other.roots.join(', ')} is running on this host (pid ${other.scan.pid ?? 'unknown'}); two scans of the same files at once would take each other's files for missing: wait for it to end, or stop it`,
      );
    };
    refuseOverlap(await this.scans.runningOn(this.host.id));

    let scan: ScanRow | null = null;
    if (req.resume) {
      scan = await this.scans.findResumable(this.host.id, roots);
      if (!scan) throw usageError(`nothing to resume: no interrupted scan of ${roots.join(', ')} on this host`);
      if (scan.algorithm !== req.algorithm) req = { ...req, algorithm: scan.algorithm as Algorithm };
      await this.scans.reopen(scan.id, this.host.id, refuseOverlap);
    }
    const devices = await Promise.all(roots.map((path) => this.describe(path)));
    const scanId =
      scan?.id ??
      (await this.scans.create(
        this.host,
        req.algorithm,
        { excludes: req.excludes, threads: req.threads, maxRate: req.maxRate },
        devices,
        { trigger: req.trigger ?? 'cli', scheduleId: req.scheduleId ?? null },
        refuseOverlap,
      ));
    const fresh = (await this.scans.get(scanId))!;
    const rootRows = await this.scans.roots(scanId);
    const expected = await this.expectedTotals(roots, scanId);
    const run = new ScanRun(this.db, { scans: this.scans, baselines: this.baselines, findings: this.findings }, fresh, rootRows, {
      algorithm: req.algorithm,
      threads: req.threads,
      exclusions,
      resuming: req.resume,
      maxRate: req.maxRate,
      expected,
      databaseFile: this.databaseFile,
    });
    const deviceIds = [...new Set(rootRows.flatMap((r) => (r.device.deviceId === null ? [] : [r.device.deviceId])))];
    return { scanId, deviceIds, progress: () => run.progress(), stop: (r) => run.stop(r), done: run.execute() };
  }

  /** The unfinished scan of exactly these roots on this host that `resume` would continue, if any. */
  async resumable(paths: string[]): Promise<ScanRow | null> {
    return this.scans.findResumable(this.host.id, await resolveRoots(paths));
  }

  /** Scans this very process left `running` in an earlier life (same pid after a container restart) are over. */
  async abortLeftovers(): Promise<number> {
    return this.scans.abortStale(this.host.id, (pid) => pid !== process.pid && isProcessAlive(pid));
  }

  /** The root's device, and its baselines made to follow it if it was mounted elsewhere before. */
  private async describe(path: string): Promise<{ path: string; device: RootDevice }> {
    const located = this.locate ? await this.locate(path) : null;
    const device = await describeRoot(path, located?.known ?? null);
    if (device.deviceId !== null && device.mountPoint) {
      const followed = await this.writeBaselines.followDevice(device.deviceId, device.mountPoint, located!.previousMountPoints, located!.replaced);
      const notes = [device.note];
      if (followed.moved) notes.push(`this disk was mounted at ${followed.from} before: ${followed.moved} baselines followed it to ${device.mountPoint}`);
      if (followed.parked) notes.push(`${followed.parked} baselines of another disk once mounted at ${device.mountPoint} are kept aside until it returns`);
      device.note = notes.filter(Boolean).join('; ') || null;
    }
    return { path, device };
  }

  private async expectedTotals(roots: string[], exclude: number) {
    const want = [...roots].sort().join('\0');
    for (const s of await this.scans.list({ limit: 50 })) {
      if (s.id === exclude || s.status !== 'completed') continue;
      const paths = (await this.scans.roots(s.id)).map((r) => r.path).sort().join('\0');
      if (paths === want) return { files: s.filesDone, bytes: Number(s.bytesDone) };
    }
    return null;
  }
}

async function resolveRoots(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let real: string;
    try {
      real = await realpath(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw usageError(`no such path: ${p}`);
      throw environmentError(`cannot open ${p}: ${(err as Error).message}`, err);
    }
    const st = await stat(real);
    if (!st.isDirectory()) throw usageError(`not a directory: ${p} (scan the folder that holds it)`);
    out.push(real);
  }
  for (const a of out) {
    for (const b of out) {
      if (a !== b && (b.startsWith(a.endsWith('/') ? a : a + '/'))) throw usageError(`${b} is inside ${a}: name each tree once`);
    }
  }
  if (new Set(out).size !== out.length) throw usageError('the same path is named twice');
  return out;
}
