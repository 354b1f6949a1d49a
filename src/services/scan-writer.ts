/**
 * Collects what a scan learns and writes it in batched transactions. Progress (counts, files,
 * bytes) is saved in the same transaction as the rows it counts, so a scan killed at any moment
 * leaves counts and baselines that agree, and --resume continues from exactly there.
 */
import type { Knex } from 'knex';
import type { FindingStatus } from '../domain/findings.js';
import type { BaselineRepository, BaselineWrite } from '../repositories/baseline.repository.js';
import type { FindingRepository, FindingWrite } from '../repositories/finding.repository.js';
import type { ScanRepository, ScanRootRow } from '../repositories/scan.repository.js';
import type { SettledNew } from '../repositories/hash-protocol.js';

const FLUSH_ROWS = 5000;
const FLUSH_MS = 1000;

export class ScanWriter {
  private baselines: BaselineWrite[] = [];
  private verifiedIds: number[] = [];
  private verifiedAtNs: bigint | null = null;
  private seen: string[] = [];
  private subtrees: string[] = [];
  private findings: FindingWrite[] = [];
  /** Rows of files the workers settled as `new`, by root (see settledNew()). */
  private workerNew = new Map<ScanRootRow, { parts: string[]; count: number }>();
  private workerNewCount = 0;
  private chain: Promise<void> = Promise.resolve();
  private lastFlush = Date.now();
  private failure: unknown = null;
  readonly counts: Record<string, number>;
  filesDone: number;
  bytesDone: bigint;
  /** Time spent in this run's write transactions (one writer, so never more than the wall time). */
  writeMs = 0;

  constructor(
    private readonly db: Knex,
    private readonly scanId: number,
    private readonly algorithm: string,
    private readonly repos: { baselines: BaselineRepository; findings: FindingRepository; scans: ScanRepository },
    start: { counts: Record<string, number>; filesDone: number; bytesDone: bigint },
  ) {
    this.counts = { ...start.counts };
    this.filesDone = start.filesDone;
    this.bytesDone = start.bytesDone;
  }

  count(status: FindingStatus, delta = 1) {
    this.counts[status] = (this.counts[status] ?? 0) + delta;
  }

  /** One file is done: its finding counted, its bytes added. */
  fileDone(status: FindingStatus, bytes: bigint) {
    this.count(status);
    this.filesDone++;
    this.bytesDone += bytes;
  }

  baseline(b: BaselineWrite) {
    this.baselines.push(b);
  }

  /** An ok file whose baseline only needs its verification time and scan moved on. */
  verified(baselineId: number, readStartedNs: bigint) {
    this.verifiedIds.push(baselineId);
    if (this.verifiedAtNs === null || readStartedNs < this.verifiedAtNs) this.verifiedAtNs = readStartedNs;
  }

  markSeen(path: string) {
    this.seen.push(path);
  }

  keepSubtree(dir: string) {
    this.subtrees.push(dir);
  }

  finding(f: FindingWrite) {
    this.findings.push(f);
  }

  /**
   * Files a worker settled as `new` (HashNew), with their baseline rows as JSON: counted here, and
   * written as they came, each row a baseline and a `new` finding.
   */
  settledNew(root: ScanRootRow, s: SettledNew) {
    this.count('new', s.count);
    this.filesDone += s.count;
    this.bytesDone += BigInt(s.bytes);
    let rows = this.workerNew.get(root);
    if (!rows) this.workerNew.set(root, (rows = { parts: [], count: 0 }));
    rows.parts.push(s.rows);
    rows.count += s.count;
    this.workerNewCount += s.count;
  }

  get pendingRows() {
    return this.baselines.length + this.verifiedIds.length + this.seen.length + this.findings.length + this.workerNewCount + this.subtrees.length;
  }

  /** Flushes when enough has piled up or enough time has passed; never more than one at a time. */
  maybeFlush(): Promise<void> {
    if (this.pendingRows >= FLUSH_ROWS || Date.now() - this.lastFlush >= FLUSH_MS) return this.flush();
    return this.chain;
  }

  flush(): Promise<void> {
    const batch = {
      baselines: this.baselines,
      verifiedIds: this.verifiedIds,
      verifiedAtNs: this.verifiedAtNs,
      seen: this.seen,
      subtrees: this.subtrees,
      findings: this.findings,
      workerNew: this.workerNew,
    };
    const progress = { counts: { ...this.counts }, filesDone: this.filesDone, bytesDone: this.bytesDone };
    this.baselines = [];
    this.verifiedIds = [];
    this.verifiedAtNs = null;
    this.seen = [];
    this.subtrees = [];
    this.findings = [];
    this.workerNew = new Map();
    this.workerNewCount = 0;
    this.lastFlush = Date.now();
    this.chain = this.chain.then(async () => {
      const t0 = performance.now();
      await this.db.transaction(async (trx) => {
        await this.repos.baselines.upsert(trx, batch.baselines);
        if (batch.verifiedAtNs !== null) await this.repos.baselines.markVerified(trx, batch.verifiedIds, this.scanId, batch.verifiedAtNs);
        await this.repos.baselines.markSeen(trx, batch.seen, this.scanId);
        for (const dir of batch.subtrees) await this.repos.baselines.markSubtreeSeen(trx, dir, this.scanId);
        await this.repos.findings.insert(trx, batch.findings);
        for (const [root, { parts, count }] of batch.workerNew) {
          const rows = joinJsonArrays(parts);
          const shared = { kind: 'file', algorithm: this.algorithm, firstScanId: this.scanId, lastSeenScanId: this.scanId, missingSinceScanId: null, deviceId: root.device.deviceId } as const;
          const inserted = await this.repos.baselines.insertNewJson(trx, shared, rows, count);
          // Copied from the rows just written rather than parsed from the JSON again (12% of
          // SQLite's work in a first scan); the JSON serves when some row was not a fresh insert.
          if (inserted) await this.repos.findings.insertNewFromBaselines(trx, this.scanId, root.id, inserted);
          else await this.repos.findings.insertNewFromRows(trx, this.scanId, root.id, rows);
        }
        await this.repos.scans.saveProgress(trx, this.scanId, progress);
      });
      this.writeMs += performance.now() - t0;
    });
    // Keep the chain usable for later flushes, but remember the failure for whoever awaits.
    this.chain = this.chain.catch((err) => {
      this.failure ??= err;
    });
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }
}

/** JSON arrays as one: a flush writes its batches' rows in one statement per root. */
const joinJsonArrays = (parts: readonly string[]) => (parts.length === 1 ? parts[0]! : `[${parts.map((p) => p.slice(1, -1)).join(',')}]`);
