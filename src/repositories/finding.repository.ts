/** Findings: what each scan concluded about each file that was not simply ok. */
import type { Knex } from 'knex';
import type { FindingStatus } from '../domain/findings.js';
import { asText, bind, bigOr0, chunks, multiRowInsert } from './sql.js';

export interface FindingWrite {
  scanId: number;
  rootId: number;
  path: string;
  status: FindingStatus;
  detail: string | null;
  size?: bigint | null;
  mtimeNs?: bigint | null;
  inode?: bigint | null;
  hash?: Buffer | null;
}

export interface FindingRow {
  id: number;
  rootId: number;
  path: string;
  status: FindingStatus;
  detail: string | null;
  size: bigint | null;
  mtimeNs: bigint | null;
  inode: bigint | null;
  hash: Buffer | null;
}

const fromRow = (r: any): FindingRow => ({
  id: Number(r.id),
  rootId: r.root_id,
  path: r.path,
  status: r.status,
  detail: r.detail ?? null,
  size: r.size === null ? null : bigOr0(r.size),
  mtimeNs: r.mtime_ns === null ? null : bigOr0(r.mtime_ns),
  inode: r.inode === null ? null : bigOr0(r.inode),
  hash: r.hash ?? null,
});

const insertSql = multiRowInsert('scan_findings', ['scan_id', 'root_id', 'path', 'status', 'detail', 'size', 'mtime_ns', 'inode', 'hash']);

export class FindingRepository {
  constructor(private readonly db: Knex) {}

  private select(q: Knex) {
    return q('scan_findings').select('id', 'root_id', 'path', 'status', 'detail', 'hash', ...asText(q, 'size', 'mtime_ns', 'inode'));
  }

  private contains(): string {
    return this.db.client.config.client === 'pg' ? 'strpos(path, ?) > 0' : 'instr(path, ?) > 0';
  }

  async insert(trx: Knex, rows: readonly FindingWrite[]): Promise<void> {
    for (const part of chunks(rows)) {
      const bindings: unknown[] = [];
      for (const f of part) bindings.push(f.scanId, f.rootId, f.path, f.status, f.detail, bind(f.size), bind(f.mtimeNs), bind(f.inode), f.hash ?? null);
      await trx.raw(insertSql(part.length), bindings as Knex.RawBinding[]);
    }
  }

  async setStatus(trx: Knex, id: number, status: FindingStatus, detail: string | null): Promise<void> {
    await trx('scan_findings').where({ id }).update({ status, detail });
  }

  /** Keyset page in path order, optionally one status. */
  async page(
    scanId: number,
    opts: { status?: FindingStatus; except?: FindingStatus[]; after?: { path: string; id: number } | null; limit: number },
  ): Promise<FindingRow[]> {
    const q = this.select(this.db).where({ scan_id: scanId });
    if (opts.status) q.andWhere({ status: opts.status });
    if (opts.except?.length) q.whereNotIn('status', opts.except);
    if (opts.after) {
      const a = opts.after;
      // A row value seeks the (scan_id, path) index straight to the page; the OR form walked from the start.
      q.andWhereRaw('(path, id) > (?, ?)', [a.path, a.id]);
    }
    return (await q.orderBy([{ column: 'path' }, { column: 'id' }]).limit(opts.limit)).map(fromRow);
  }

  /** A numbered page in path order; `search` keeps paths containing it (case-sensitive, as paths are). */
  async offsetPage(scanId: number, status: FindingStatus | undefined, offset: number, limit: number, search?: string): Promise<FindingRow[]> {
    const q = this.select(this.db).where({ scan_id: scanId });
    if (status) q.andWhere({ status });
    // instr, not LIKE: a user's % or _ is a character of a file name, not a wildcard.
    if (search) q.andWhereRaw(this.contains(), [search]);
    return (await q.orderBy([{ column: 'path' }, { column: 'id' }]).offset(offset).limit(limit)).map(fromRow);
  }

  async count(scanId: number, status?: FindingStatus, except?: FindingStatus[], search?: string): Promise<number> {
    const q = this.db('scan_findings').where({ scan_id: scanId });
    if (status) q.andWhere({ status });
    if (except?.length) q.whereNotIn('status', except);
    if (search) q.andWhereRaw(this.contains(), [search]);
    const r = await q.count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Every finding of these statuses in a scan (the alarms are few; a scan with a million is a dead disk). */
  async withStatuses(scanId: number, statuses: FindingStatus[]): Promise<FindingRow[]> {
    return (await this.select(this.db).where({ scan_id: scanId }).whereIn('status', statuses).orderBy('path')).map(fromRow);
  }
}
