/**
 * The scans the appliance runs: started from the web, the API or a schedule, each on its own
 * database connections, watched for progress, stopped on request, on a schedule's maximum
 * runtime or when the appliance shuts down (a stopped scan is `interrupted` and resumable).
 * Two scans never walk the same tree at once; scans of different trees run side by side.
 */
import type { Algorithm } from '../domain/algorithms.js';
import { ALARM_STATUSES } from '../domain/findings.js';
import { conflictError, environmentError } from '../domain/errors.js';
import { treesOverlap } from '../domain/trees.js';
import type { Settings } from '../domain/settings.js';
import type { ScanRow, ScanTrigger } from '../repositories/scan.repository.js';
import type { ScanOutcome, ScanProgress, ScanService } from './scan.service.js';
import type { SettingsService } from './settings.service.js';

export interface StartScan {
  roots: string[];
  algorithm?: Algorithm;
  excludes?: string[];
  threads?: number;
  /** true: continue the interrupted scan of these roots (refused when there is none); 'if-possible': continue it or start afresh. */
  resume?: boolean | 'if-possible';
  trigger: ScanTrigger;
  scheduleId?: number | null;
  /** Read at most this many bytes a second (0 or unset: as fast as the disk goes). */
  maxRate?: number;
  /** Stop (resumably) after this long. */
  maxRuntimeMs?: number | null;
}

export interface RunningScan {
  scanId: number;
  /** Network storage: its throughput is watched against these thresholds (MB/s), null otherwise. */
  network: { warn: number; agent: number; abort: number } | null;
  trigger: ScanTrigger;
  scheduleId: number | null;
  roots: string[];
  progress(): ScanProgress;
  /** Why it is stopping, once asked to. */
  stopping: string | null;
  done: Promise<ScanOutcome>;
}

export interface ScanManagerDeps {
  settings: SettingsService;
  /** A scan service on connections of its own, and how to close them. */
  open(): Promise<{ service: ScanService; close(): Promise<void> }>;
  /** After a scan that found damage: bitrot events (and whatever else follows a scan). */
  afterScan(outcome: ScanOutcome, settings: Settings): Promise<void>;
  log(entry: Record<string, unknown>): void;
  /** Whether a folder is on network storage (nfs, cifs, sshfs, …). */
  isNetwork?: (path: string) => Promise<boolean>;
  /** A database restore in progress: no scan may start under it. */
  isRestoring?: () => boolean;
}

/** The recorded storage devices a scan's roots were on. */
export const scannedDevices = (o: ScanOutcome): number[] => [...new Set(o.roots.flatMap((r) => (r.device.deviceId === null ? [] : [r.device.deviceId])))];

export class ScanManager {
  private readonly scans = new Map<number, RunningScan>();
  /** Roots being set up (between the overlap check and the scan row existing). */
  private readonly claimed = new Set<string>();
  private closed = false;

  constructor(private readonly deps: ScanManagerDeps) {}

  /** Before the first scan: scans left running by an earlier life of this process are marked aborted. */
  async init(): Promise<void> {
    const { service, close } = await this.deps.open();
    try {
      const n = await service.abortLeftovers();
      if (n) this.deps.log({ level: 'warn', msg: 'scans left running by an earlier run were marked aborted', count: n });
    } finally {
      await close();
    }
  }

  running(): RunningScan[] {
    return [...this.scans.values()];
  }

  get(scanId: number): RunningScan | null {
    return this.scans.get(scanId) ?? null;
  }

  isBusy(): boolean {
    return this.scans.size > 0 || this.claimed.size > 0;
  }

  /** The running scan over any of these (resolved) roots. */
  busyWith(roots: string[]): RunningScan | null {
    return this.running().find((s) => s.roots.some((a) => roots.some((b) => treesOverlap(a, b)))) ?? null;
  }

  /** Starts a scan of roots inside the configured scan roots; resolves once its scan row exists. */
  async start(req: StartScan): Promise<RunningScan> {
    if (this.closed) throw environmentError('Bitarr is shutting down: no new scans');
    if (this.deps.isRestoring?.()) throw conflictError('the database is being restored: start the scan when the restore has finished');
    const settings = await this.deps.settings.get();
    const roots = await Promise.all(req.roots.map((r) => this.deps.settings.allowedRoot(r)));
    const busy = this.busyWith(roots);
    if (busy) throw conflictError(`scan ${busy.scanId} is already scanning ${busy.roots.join(', ')}: wait for it to finish or stop it`);
    if (roots.some((a) => [...this.claimed].some((b) => treesOverlap(a, b)))) throw conflictError(`a scan of ${roots.join(', ')} is starting already`);
    for (const r of roots) this.claimed.add(r);
    try {
      return await this.launch(req, roots, settings);
    } finally {
      for (const r of roots) this.claimed.delete(r);
    }
  }

  private async launch(req: StartScan, roots: string[], settings: Settings): Promise<RunningScan> {
    const { service, close } = await this.deps.open();
    let handle;
    let resume = false;
    try {
      resume = req.resume === 'if-possible' ? (await service.resumable(roots)) !== null : Boolean(req.resume);
      handle = await service.start({
        roots,
        algorithm: req.algorithm ?? settings.defaultAlgorithm,
        excludes: req.excludes ?? [],
        threads: req.threads ?? settings.scanThreads,
        resume,
        maxRate: req.maxRate ?? 0,
        trigger: req.trigger,
        scheduleId: req.scheduleId ?? null,
      });
    } catch (err) {
      await close();
      throw err;
    }
    const h = handle;
    const network = (await Promise.all(roots.map((r) => this.deps.isNetwork?.(r).catch(() => false) ?? false))).some(Boolean);
    const entry: RunningScan = {
      scanId: h.scanId,
      network: network ? { warn: settings.networkWarnMBps, agent: settings.networkAgentMBps, abort: settings.networkAbortMBps } : null,
      trigger: req.trigger,
      scheduleId: req.scheduleId ?? null,
      roots,
      progress: () => h.progress(),
      stopping: null,
      done: h.done,
    };
    const stop = (reason: string) => {
      entry.stopping ??= reason;
      h.stop(reason);
    };
    const timer = req.maxRuntimeMs ? setTimeout(() => stop(`stopped after its maximum runtime of ${Math.round(req.maxRuntimeMs! / 60_000)} min; the next run continues where it stopped`), req.maxRuntimeMs) : null;
    this.stoppers.set(h.scanId, stop);
    this.scans.set(h.scanId, entry);
    this.deps.log({ level: 'info', msg: 'scan started', scanId: h.scanId, trigger: req.trigger, scheduleId: req.scheduleId ?? null, roots, resumed: resume });
    entry.done = h.done
      .then(async (outcome) => {
        const alarms = [...ALARM_STATUSES].reduce((n, s) => n + (outcome.scan.counts[s] ?? 0), 0);
        if (outcome.status !== 'aborted') {
          await this.deps.afterScan(outcome, settings).catch((err: Error) => this.deps.log({ level: 'error', msg: 'after-scan work failed', scanId: h.scanId, error: err.message }));
        }
        this.deps.log({ level: alarms ? 'warn' : 'info', msg: 'scan finished', scanId: h.scanId, status: outcome.status, reason: outcome.reason, files: outcome.scan.filesDone, alarms });
        return outcome;
      })
      .finally(async () => {
        if (timer) clearTimeout(timer);
        this.scans.delete(h.scanId);
        this.stoppers.delete(h.scanId);
        await close().catch(() => undefined);
      });
    // Nobody may be awaiting it (a scan started from a form): its failure is logged, not unhandled.
    entry.done.catch((err: Error) => this.deps.log({ level: 'error', msg: 'scan failed', scanId: h.scanId, error: err.message }));
    return entry;
  }

  private readonly stoppers = new Map<number, (reason: string) => void>();

  /** Asks a running scan to stop after the files in flight; it becomes `interrupted` and resumable. */
  stop(scanId: number, reason: string): RunningScan | null {
    const stop = this.stoppers.get(scanId);
    if (!stop) return null;
    stop(reason);
    return this.scans.get(scanId) ?? null;
  }

  /** Shutdown: no new scans, running ones stop resumably, and this resolves when they have saved. */
  async shutdown(reason = 'stopped because Bitarr shut down; resume it to continue'): Promise<ScanRow[]> {
    this.closed = true;
    const running = this.running();
    for (const s of running) this.stop(s.scanId, reason);
    const outcomes = await Promise.allSettled(running.map((s) => s.done));
    return outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.scan] : []));
  }
}
