/** Scans and their roots. */
import type { Knex } from 'knex';
import type { HostIdentity } from './host.repository.js';
import type { RootDevice } from './mount.repository.js';
import { asText, big, bind, bigOr0, nowNs } from './sql.js';

export type ScanStatus = 'running' | 'completed' | 'interrupted' | 'aborted';

export interface ScanRootRow {
  id: number;
  scanId: number;
  path: string;
  device: RootDevice;
}

export interface ScanRow {
  id: number;
  hostId: string;
  hostname: string;
  hostAddress: string | null;
  pid: number | null;
  algorithm: string;
  status: ScanStatus;
  statusReason: string | null;
  options: { excludes: string[]; threads: number; maxRate?: number };
  startedAtNs: bigint;
  endedAtNs: bigint | null;
  heartbeatNs: bigint | null;
  counts: Record<string, number>;
  filesDone: number;
  bytesDone: bigint;
  /** What started it: cli, web, api or schedule (null for scans older than the appliance). */
  trigger: ScanTrigger | null;
  scheduleId: number | null;
}

export type ScanTrigger = 'cli' | 'web' | 'api' | 'schedule';

/** A scan of this host marked running, with its root folders. */
export interface RunningScan {
  scan: ScanRow;
  roots: string[];
}

/** Sees the running scans while the write lock is held; throws to refuse the new one. */
export type RunningGuard = (running: RunningScan[]) => void;

export interface ScanListFilter {
  before?: number;
  limit: number;
  status?: ScanStatus;
  /** Scans with a root on this storage device. */
  deviceId?: number;
  trigger?: ScanTrigger;
  scheduleId?: number;
}

const fromRow = (r: any): ScanRow => ({
  id: r.id,
  hostId: r.host_id,
  hostname: r.hostname,
  hostAddress: r.host_address ?? null,
  pid: r.pid ?? null,
  algorithm: r.algorithm,
  status: r.status,
  statusReason: r.status_reason ?? null,
  options: JSON.parse(r.options),
  startedAtNs: bigOr0(r.started_at_ns),
  endedAtNs: big(r.ended_at_ns),
  heartbeatNs: big(r.heartbeat_ns),
  counts: JSON.parse(r.counts),
  filesDone: Number(r.files_done),
  bytesDone: bigOr0(r.bytes_done),
  trigger: r.trigger ?? null,
  scheduleId: r.schedule_id ?? null,
});

const rootFromRow = (r: any): ScanRootRow => ({
  id: r.id,
  scanId: r.scan_id,
  path: r.path,
  device: {
    dev: bigOr0(r.dev),
    mountPoint: r.mount_point,
    mountType: r.mount_type,
    fsType: r.fs_type,
    source: r.source,
    uuid: r.fs_uuid,
    label: r.fs_label,
    note: r.device_note,
    deviceId: r.device_id ?? null,
    mountId: r.mount_id ?? null,
  },
});

/** A scan whose heartbeat is older than this while `running` is dead (killed, crashed, power cut). */
const STALE_AFTER_NS = 60n * 1_000_000_000n;

export class ScanRepository {
  constructor(private readonly db: Knex) {}

  private select(q: Knex) {
    return q('scans').select(
      'id', 'host_id', 'hostname', 'host_address', 'pid', 'algorithm', 'status', 'status_reason', 'options', 'counts', 'trigger', 'schedule_id',
      ...asText(q, 'started_at_ns', 'ended_at_ns', 'heartbeat_ns', 'files_done', 'bytes_done'),
    );
  }

  async create(
    host: HostIdentity,
    algorithm: string,
    options: ScanRow['options'],
    roots: Array<{ path: string; device: RootDevice }>,
    origin: { trigger: ScanTrigger; scheduleId?: number | null } = { trigger: 'cli' },
    guard?: RunningGuard,
  ): Promise<number> {
    return this.db.transaction(async (trx) => {
      if (guard) await this.checkRunning(trx, host.id, guard);
      const now = nowNs();
      const [row] = await trx('scans')
        .insert({
          host_id: host.id,
          hostname: host.hostname,
          host_address: host.address,
          pid: process.pid,
          algorithm,
          status: 'running',
          options: JSON.stringify(options),
          started_at_ns: bind(now),
          heartbeat_ns: bind(now),
          counts: '{}',
          trigger: origin.trigger,
          schedule_id: origin.scheduleId ?? null,
        })
        .returning('id');
      const id = typeof row === 'object' ? row.id : row;
      await trx('scan_roots').insert(
        roots.map((r) => ({
          scan_id: id,
          path: r.path,
          dev: bind(r.device.dev),
          mount_point: r.device.mountPoint,
          mount_type: r.device.mountType,
          fs_type: r.device.fsType,
          source: r.device.source,
          fs_uuid: r.device.uuid,
          fs_label: r.device.label,
          device_note: r.device.note,
          device_id: r.device.deviceId,
          mount_id: r.device.mountId,
        })),
      );
      return id;
    });
  }

  async get(id: number): Promise<ScanRow | null> {
    const r = await this.select(this.db).where({ id }).first();
    return r ? fromRow(r) : null;
  }

  async roots(scanId: number): Promise<ScanRootRow[]> {
    const rows = await this.db('scan_roots').select('id', 'scan_id', 'path', 'mount_point', 'mount_type', 'fs_type', 'source', 'fs_uuid', 'fs_label', 'device_note', 'device_id', 'mount_id', ...asText(this.db, 'dev')).where({ scan_id: scanId }).orderBy('id');
    return rows.map(rootFromRow);
  }

  /** The roots of many scans in one query, by scan id. */
  async rootsOf(scanIds: number[], q: Knex = this.db): Promise<Map<number, ScanRootRow[]>> {
    const out = new Map<number, ScanRootRow[]>(scanIds.map((id) => [id, []]));
    if (!scanIds.length) return out;
    const rows = await q('scan_roots').select('id', 'scan_id', 'path', 'mount_point', 'mount_type', 'fs_type', 'source', 'fs_uuid', 'fs_label', 'device_note', 'device_id', 'mount_id', ...asText(q, 'dev')).whereIn('scan_id', scanIds).orderBy('id');
    for (const r of rows.map(rootFromRow)) out.get(r.scanId)?.push(r);
    return out;
  }

  async list(opts: ScanListFilter): Promise<ScanRow[]> {
    const q = this.select(this.db).orderBy('id', 'desc').limit(opts.limit);
    if (opts.before) q.where('id', '<', opts.before);
    if (opts.status) q.where('status', opts.status);
    if (opts.trigger) q.where('trigger', opts.trigger);
    if (opts.scheduleId) q.where('schedule_id', opts.scheduleId);
    if (opts.deviceId) q.whereIn('id', this.db('scan_roots').select('scan_id').where('device_id', opts.deviceId));
    return (await q).map(fromRow);
  }

  /** Scans of this host still marked running, with their root folders. */
  async runningOn(hostId: string, q: Knex = this.db): Promise<RunningScan[]> {
    const running = (await this.select(q).where({ host_id: hostId, status: 'running' })).map(fromRow);
    const roots = await this.rootsOf(running.map((s) => s.id), q);
    return running.map((scan) => ({ scan, roots: (roots.get(scan.id) ?? []).map((r) => r.path) }));
  }

  /**
   * Hands this host's running scans to `guard`, which throws to refuse. The transaction holds the
   * database's write lock from its start (sqlite-writer-client.ts): another process starting a
   * scan at the same moment waits until this one has written its scan, and then sees it. Without
   * the lock both could find nothing running and both start.
   */
  private async checkRunning(trx: Knex, hostId: string, guard: RunningGuard): Promise<void> {
    guard(await this.runningOn(hostId, trx));
  }

  /** The newest unfinished scan of this host over exactly these roots, to continue with --resume. */
  async findResumable(hostId: string, roots: readonly string[]): Promise<ScanRow | null> {
    const want = [...roots].sort().join('\0');
    const candidates = await this.select(this.db).where({ host_id: hostId }).whereIn('status', ['interrupted', 'aborted']).orderBy('id', 'desc').limit(20);
    for (const c of candidates) {
      const paths = (await this.db('scan_roots').where({ scan_id: c.id }).pluck('path')).sort().join('\0');
      if (paths === want) return fromRow(c);
    }
    return null;
  }

  /** Scans of this host left `running` by a process that is gone become `aborted`. */
  async abortStale(hostId: string, isAlive: (pid: number) => boolean): Promise<number> {
    const running = await this.select(this.db).where({ host_id: hostId, status: 'running' });
    const now = nowNs();
    let n = 0;
    for (const r of running.map(fromRow)) {
      const quiet = r.heartbeatNs === null || now - r.heartbeatNs > STALE_AFTER_NS;
      if ((r.pid !== null && !isAlive(r.pid)) || quiet) {
        await this.db('scans').where({ id: r.id, status: 'running' }).update({
          status: 'aborted',
          status_reason: 'the scanning process ended without finishing (killed or crashed); run with --resume to continue',
        });
        n++;
      }
    }
    return n;
  }

  async reopen(id: number, hostId: string, guard?: RunningGuard): Promise<void> {
    await this.db.transaction(async (trx) => {
      if (guard) await this.checkRunning(trx, hostId, guard);
      await trx('scans').where({ id }).update({ status: 'running', status_reason: null, pid: process.pid, heartbeat_ns: bind(nowNs()), ended_at_ns: null });
    });
  }

  async saveProgress(trx: Knex, id: number, p: { counts: Record<string, number>; filesDone: number; bytesDone: bigint }): Promise<void> {
    await trx('scans').where({ id }).update({ counts: JSON.stringify(p.counts), files_done: p.filesDone, bytes_done: bind(p.bytesDone), heartbeat_ns: bind(nowNs()) });
  }

  async heartbeat(id: number): Promise<void> {
    await this.db('scans').where({ id }).update({ heartbeat_ns: bind(nowNs()) });
  }

  async finish(id: number, status: Exclude<ScanStatus, 'running'>, reason: string | null): Promise<void> {
    await this.db('scans').where({ id }).update({ status, status_reason: reason, ended_at_ns: bind(nowNs()) });
  }

  /** Completed scans started before `cutoffNs` that no bitrot event points to, oldest first. */
  async expired(cutoffNs: bigint, limit: number): Promise<Array<{ id: number; hostId: string }>> {
    const referenced = this.db('bitrot_events').select('first_scan_id').whereNotNull('first_scan_id').union((q) => q.select('last_scan_id').from('bitrot_events').whereNotNull('last_scan_id'));
    const rows: Array<{ id: number; host_id: string }> = await this.db('scans')
      .select('id', 'host_id')
      .where('started_at_ns', '<', bind(cutoffNs))
      .where('status', 'completed')
      .whereNotIn('id', referenced)
      .orderBy('id')
      .limit(limit);
    return rows.map((r) => ({ id: r.id, hostId: r.host_id }));
  }

  /** Whether a newer completed scan of this host covered exactly the same folders. */
  async supersededByNewer(id: number, hostId: string): Promise<boolean> {
    const key = async (scanId: number) => ((await this.db('scan_roots').where({ scan_id: scanId }).pluck('path')) as string[]).sort().join('\0');
    const mine = await key(id);
    const newer: number[] = await this.db('scans').where({ host_id: hostId, status: 'completed' }).where('id', '>', id).orderBy('id', 'desc').limit(200).pluck('id');
    for (const n of newer) if ((await key(n)) === mine) return true;
    return false;
  }

  /** Deletes a scan; its findings go in chunks, since one transaction of a million deletions would hold the writer for seconds. */
  async deleteWithFindings(id: number, chunk = 20_000): Promise<void> {
    for (;;) {
      const n = await this.db('scan_findings').whereIn('id', this.db('scan_findings').select('id').where({ scan_id: id }).limit(chunk)).delete();
      if (n < chunk) break;
    }
    await this.db.transaction(async (trx) => {
      await trx('scan_roots').where({ scan_id: id }).delete();
      await trx('scans').where({ id }).delete();
    });
  }

  /** For each storage device, when a completed scan of it last ended: "last verified". */
  async lastVerifiedByDevice(): Promise<Map<number, { scanId: number; endedAtNs: bigint }>> {
    const rows = await this.db('scan_roots as r')
      .join('scans as s', 's.id', 'r.scan_id')
      .where('s.status', 'completed')
      .whereNotNull('r.device_id')
      .groupBy('r.device_id')
      .select('r.device_id')
      .max({ scan_id: 's.id' });
    if (!rows.length) return new Map();
    const ended = await this.db('scans').whereIn('id', rows.map((r: any) => r.scan_id)).select('id', ...asText(this.db, 'ended_at_ns'));
    const at = new Map(ended.map((e: any) => [e.id, big(e.ended_at_ns)]));
    return new Map(rows.map((r: any) => [r.device_id, { scanId: r.scan_id, endedAtNs: at.get(r.scan_id) ?? 0n }]));
  }
}
