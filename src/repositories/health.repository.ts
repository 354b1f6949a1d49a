/** device_health_history: every collection, with the counters that trend. */
import type { Knex } from 'knex';
import type { HealthSample } from '../domain/health/index.js';
import type { HealthReason } from '../domain/health/index.js';
import { asText } from './sql.js';

export interface HealthRow {
  id: number;
  deviceId: number;
  collectedAtNs: bigint;
  verdict: string;
  score: number | null;
  reasons: HealthReason[];
  counters: Record<string, number>;
}

const fromRow = (r: any): HealthRow => ({
  id: Number(r.id),
  deviceId: r.device_id,
  collectedAtNs: BigInt(r.collected_at_ns),
  verdict: r.verdict,
  score: r.score,
  reasons: JSON.parse(r.reasons),
  counters: JSON.parse(r.counters),
});

export class HealthRepository {
  constructor(private readonly db: Knex) {}

  async record(row: Omit<HealthRow, 'id'> & { raw: string | null }): Promise<number> {
    const [r] = await this.db('device_health_history').insert(
      {
        device_id: row.deviceId,
        collected_at_ns: row.collectedAtNs.toString(),
        verdict: row.verdict,
        score: row.score,
        reasons: JSON.stringify(row.reasons),
        counters: JSON.stringify(row.counters),
        raw: row.raw,
      },
      ['id'],
    );
    return Number(typeof r === 'object' ? r.id : r);
  }

  /** The device's collections with counters, oldest first: what trends are computed from. */
  async samples(deviceId: number): Promise<HealthSample[]> {
    const rows = await this.db('device_health_history').where('device_id', deviceId).select('counters', ...asText(this.db, 'collected_at_ns')).orderBy('collected_at_ns');
    return rows
      .map((r: { counters: string; collected_at_ns: string }) => ({ atMs: Number(BigInt(r.collected_at_ns) / 1_000_000n), metrics: JSON.parse(r.counters) as Record<string, number> }))
      .filter((s: HealthSample) => Object.keys(s.metrics).length > 0);
  }

  /** The latest `limit` collections, oldest first: what the trend charts draw. */
  async history(deviceId: number, limit: number): Promise<HealthRow[]> {
    const rows = await this.db('device_health_history')
      .where('device_id', deviceId)
      .select('id', 'device_id', 'verdict', 'score', 'reasons', 'counters', ...asText(this.db, 'collected_at_ns'))
      .orderBy('collected_at_ns', 'desc')
      .limit(limit);
    return rows.map(fromRow).reverse();
  }

  /** The collector's output kept with a collection (smartctl JSON), or null when there was none. */
  async raw(id: number): Promise<string | null> {
    const r = await this.db('device_health_history').where('id', id).first('raw');
    return r?.raw ?? null;
  }

  async latest(deviceId: number): Promise<HealthRow | null> {
    const r = await this.db('device_health_history')
      .where('device_id', deviceId)
      .select('id', 'device_id', 'verdict', 'score', 'reasons', 'counters', ...asText(this.db, 'collected_at_ns'))
      .orderBy('collected_at_ns', 'desc')
      .first();
    return r ? fromRow(r) : null;
  }

  /** Each device's latest verdict and score, in one query (the dashboard's health badges). */
  async latestVerdicts(): Promise<Map<number, { verdict: string; score: number | null; collectedAtNs: bigint }>> {
    const newest = this.db('device_health_history').select('device_id').max({ at: 'collected_at_ns' }).groupBy('device_id').as('n');
    const rows = await this.db('device_health_history as h')
      .join(newest, (j) => j.on('h.device_id', 'n.device_id').andOn('h.collected_at_ns', 'n.at'))
      .select('h.device_id', 'h.verdict', 'h.score', this.db.raw('CAST(h.collected_at_ns AS TEXT) AS at'));
    return new Map(rows.map((r: any) => [r.device_id, { verdict: r.verdict, score: r.score ?? null, collectedAtNs: BigInt(r.at) }]));
  }
}
