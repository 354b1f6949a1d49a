/** Schedules as stored. */
import type { Knex } from 'knex';
import type { ScheduleInput } from '../domain/schedules.js';

export interface ScheduleRow extends ScheduleInput {
  id: number;
  createdAtMs: number;
  lastRunAtMs: number | null;
  lastScanId: number | null;
  lastResult: string | null;
}

const fromRow = (r: any): ScheduleRow => ({
  id: r.id,
  name: r.name,
  deviceId: r.device_id ?? null,
  roots: r.roots ? JSON.parse(r.roots) : [],
  cron: r.cron,
  algorithm: r.algorithm ?? null,
  excludes: JSON.parse(r.excludes),
  maxRuntimeMinutes: r.max_runtime_minutes ?? null,
  enabled: Boolean(r.enabled),
  createdAtMs: Number(r.created_at_ms),
  lastRunAtMs: r.last_run_at_ms === null ? null : Number(r.last_run_at_ms),
  lastScanId: r.last_scan_id ?? null,
  lastResult: r.last_result ?? null,
});

const toRow = (s: ScheduleInput) => ({
  name: s.name,
  device_id: s.deviceId,
  roots: s.roots.length ? JSON.stringify(s.roots) : null,
  cron: s.cron,
  algorithm: s.algorithm,
  excludes: JSON.stringify(s.excludes),
  max_runtime_minutes: s.maxRuntimeMinutes,
  enabled: s.enabled,
});

export class ScheduleRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<ScheduleRow[]> {
    return (await this.db('schedules').select('*').orderBy('id')).map(fromRow);
  }

  async get(id: number): Promise<ScheduleRow | null> {
    const r = await this.db('schedules').where({ id }).first();
    return r ? fromRow(r) : null;
  }

  async create(s: ScheduleInput): Promise<number> {
    const [row] = await this.db('schedules').insert({ ...toRow(s), created_at_ms: Date.now() }).returning('id');
    return typeof row === 'object' ? row.id : row;
  }

  async update(id: number, s: ScheduleInput): Promise<void> {
    await this.db('schedules').where({ id }).update(toRow(s));
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.db('schedules').where({ id }).update({ enabled });
  }

  async remove(id: number): Promise<void> {
    await this.db('schedules').where({ id }).delete();
  }

  async recordRun(id: number, run: { atMs?: number; scanId?: number | null; result: string }): Promise<void> {
    await this.db('schedules')
      .where({ id })
      .update({ ...(run.atMs === undefined ? {} : { last_run_at_ms: run.atMs }), ...(run.scanId === undefined ? {} : { last_scan_id: run.scanId }), last_result: run.result });
  }
}
