/** Bitrot events: plain data from src/domain/events, stored as columns and JSON. */
import type { Knex } from 'knex';
import type { BitrotEvent, EventStatus, NewBitrotEvent } from '../domain/events/index.js';
import { asText, big } from './sql.js';

// bigint times inside JSON (history entries) travel as strings.
const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

function fromRow(r: any): BitrotEvent & { deviceId: number } {
  const history = JSON.parse(r.history) as Array<Record<string, unknown>>;
  return {
    id: r.id,
    deviceId: r.device_id,
    status: r.status,
    severity: r.severity,
    pattern: r.pattern,
    clusters: JSON.parse(r.clusters),
    unlocated: JSON.parse(r.unlocated),
    files: JSON.parse(r.files),
    evidence: JSON.parse(r.evidence),
    reasons: JSON.parse(r.reasons),
    actions: JSON.parse(r.actions),
    firstScanId: r.first_scan_id,
    lastScanId: r.last_scan_id,
    openedAtNs: big(r.opened_at_ns)!,
    updatedAtNs: big(r.updated_at_ns)!,
    history: history.map((h) => ({ ...h, atNs: BigInt(h.atNs as string) })) as BitrotEvent['history'],
  };
}

function toRow(e: NewBitrotEvent) {
  return {
    status: e.status,
    severity: e.severity,
    pattern: e.pattern,
    clusters: toJson(e.clusters),
    unlocated: toJson(e.unlocated),
    files: toJson(e.files),
    evidence: toJson(e.evidence),
    reasons: toJson(e.reasons),
    actions: toJson(e.actions),
    first_scan_id: e.firstScanId,
    last_scan_id: e.lastScanId,
    opened_at_ns: e.openedAtNs.toString(),
    updated_at_ns: e.updatedAtNs.toString(),
    history: toJson(e.history),
  };
}

export type StoredEvent = BitrotEvent & { deviceId: number };

export class EventRepository {
  constructor(private readonly db: Knex) {}

  private select(q: Knex) {
    return q('bitrot_events').select('*', ...asText(q, 'opened_at_ns', 'updated_at_ns'));
  }

  async forDevice(deviceId: number, statuses?: EventStatus[]): Promise<StoredEvent[]> {
    const q = this.select(this.db).where('device_id', deviceId).orderBy('id');
    if (statuses) q.whereIn('status', statuses);
    return (await q).map(fromRow);
  }

  async list(opts: { statuses?: EventStatus[]; deviceId?: number } = {}): Promise<StoredEvent[]> {
    const q = this.select(this.db).orderBy('id', 'desc');
    if (opts.statuses) q.whereIn('status', opts.statuses);
    if (opts.deviceId !== undefined) q.where('device_id', opts.deviceId);
    return (await q).map(fromRow);
  }

  async get(id: number): Promise<StoredEvent | null> {
    const r = await this.select(this.db).where('id', id).first();
    return r ? fromRow(r) : null;
  }

  /** A scan's plan in one transaction: updates to existing events and at most one new event. */
  async apply(deviceId: number, updates: BitrotEvent[], open: NewBitrotEvent | null): Promise<number | null> {
    return this.db.transaction(async (trx) => {
      for (const e of updates) await trx('bitrot_events').where('id', e.id).update(toRow(e));
      if (!open) return null;
      const [row] = await trx('bitrot_events').insert({ device_id: deviceId, ...toRow(open) }, ['id']);
      return typeof row === 'object' ? row.id : row;
    });
  }

  async save(event: BitrotEvent): Promise<void> {
    await this.db('bitrot_events').where('id', event.id).update(toRow(event));
  }
}
