/**
 * Retention: scans older than the setting are deleted with their findings, a few at a time after
 * each scan. Kept whatever their age: running and resumable scans, scans a bitrot event points
 * to, and the newest completed scan of each set of folders (it is what "last verified" means).
 * Baselines are never deleted here: they are the proof of what was written.
 */
import type { ScanRepository } from '../repositories/scan.repository.js';

const PER_RUN = 20;
const DAY_MS = 86_400_000;

export class RetentionService {
  constructor(
    private readonly scans: ScanRepository,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Deletes up to 20 expired scans; returns their ids. 0 days keeps everything. */
  async prune(retentionDays: number): Promise<number[]> {
    if (!retentionDays) return [];
    const cutoffNs = BigInt(this.nowMs() - retentionDays * DAY_MS) * 1_000_000n;
    const deleted: number[] = [];
    for (const c of await this.scans.expired(cutoffNs, PER_RUN * 5)) {
      if (deleted.length >= PER_RUN) break;
      if (!(await this.scans.supersededByNewer(c.id, c.hostId))) continue;
      await this.scans.deleteWithFindings(c.id);
      deleted.push(c.id);
    }
    return deleted;
  }
}
