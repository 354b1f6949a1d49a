/** Findings: what each scan concluded about each file that was not simply ok. */
import type { Knex } from 'knex';
import type { FindingStatus } from '../domain/findings.js';
import { asText, BATCH, bind, bigOr0, inodeFromSql, inodeToSql, multiRowInsert, rowChunks, runMany } from './sql.js';

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
  inode: r.inode === null ? null : inodeFromSql(r.inode),
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
    const { full, rest } = rowChunks(rows);
    const params = (part: FindingWrite[]) => {
      const out: unknown[] = [];
      for (const f of part) out.push(f.scanId, f.rootId, f.path, f.status, f.detail, bind(f.size), bind(f.mtimeNs), f.inode === null || f.inode === undefined ? null : bind(inodeToSql(f.inode)), f.hash ?? null);
      return out;
    };
    await runMany(trx, insertSql(BATCH), full.map(params));
    if (rest.length) await runMany(trx, insertSql(rest.length), [params(rest)]);
  }

  /**
   * `new` findings of the files a worker settled, from their baseline rows as JSON
   * (baseline-json.ts), read with jsonb_each as in BaselineRepository.upsertJson: the values are
   * the ones the baselines got from the same reads.
   */
  async insertNewFromRows(trx: Knex, scanId: number, rootId: number, rowsJson: string): Promise<void> {
    await trx.raw(
      `INSERT INTO scan_findings (scan_id, root_id, path, status, detail, size, mtime_ns, inode, hash)
       SELECT ?, ?, value->>0, 'new', NULL, value->>1, value->>2, value->>4, unhex(value->>5) FROM jsonb_each(?) ORDER BY key`,
      [scanId, rootId, rowsJson],
    );
  }

  /** `new` findings for the baselines with these ids, just written by BaselineRepository.insertNewJson. */
  async insertNewFromBaselines(trx: Knex, scanId: number, rootId: number, ids: { first: number; last: number }): Promise<void> {
    await trx.raw(
      `INSERT INTO scan_findings (scan_id, root_id, path, status, detail, size, mtime_ns, inode, hash)
       SELECT ?, ?, path, 'new', NULL, size, mtime_ns, inode, hash FROM baselines WHERE id BETWEEN ? AND ? ORDER BY id`,
      [scanId, rootId, ids.first, ids.last],
    );
  }

  /**
   * A scan's findings as JSON text: `{path, root, status, detail}` objects (path relative to its
   * root), comma-joined, a keyset page at a time in path order. SQLite writes the JSON, so the
   * 200k findings of a first scan's `--json` cost a string a page instead of a row object each.
   * On a pool of connections, `ahead` pages are built at once, each on its own connection (and so
   * its own core): 200k findings in 0.27 s one at a time, 0.17 s three at once on two cores.
   */
  async *jsonPages(scanId: number, limit = 5000, ahead = 1): AsyncGenerator<string> {
    const pages: Array<Promise<string | null>> = [];
    let after: [string, number] | null = ['', -1];
    while (after || pages.length) {
      while (after && pages.length < ahead) {
        // The page's last key (an index-only walk) bounds the page, so the next can start at once.
        const [end]: Array<{ path: string; id: number }> = await this.db.raw(
          'SELECT path, id FROM scan_findings WHERE scan_id = ? AND (path, id) > (?, ?) ORDER BY path, id LIMIT 1 OFFSET ?',
          [scanId, ...after, limit - 1],
        );
        const page = this.jsonPage(scanId, after, end ? [end.path, end.id] : null);
        // Awaited in turn below; until then a failure must not count as unhandled.
        page.catch(() => {});
        pages.push(page);
        after = end ? [end.path, end.id] : null;
      }
      const text = await pages.shift()!;
      if (text) yield text;
    }
  }

  /** The findings after `after`, up to and including `last` (or to the end). */
  private async jsonPage(scanId: number, after: [string, number], last: [string, number] | null): Promise<string | null> {
    const [page]: Array<{ items: string | null }> = await this.db.raw(
      `SELECT group_concat(json_object(
           'path', CASE WHEN f.path = r.path THEN '.' ELSE substr(f.path, length(r.path) + CASE WHEN substr(r.path, -1) = '/' THEN 1 ELSE 2 END) END,
           'root', coalesce(r.path, '/'), 'status', f.status, 'detail', f.detail), ',' ORDER BY f.path, f.id) AS items
       FROM scan_findings AS f LEFT JOIN scan_roots AS r ON r.id = f.root_id
       WHERE f.scan_id = ? AND (f.path, f.id) > (?, ?)${last ? ' AND (f.path, f.id) <= (?, ?)' : ''}`,
      last ? [scanId, ...after, ...last] : [scanId, ...after],
    );
    return page?.items ?? null;
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
