/** Baselines: the last verified record of each file. */
import type { Knex } from 'knex';
import { asText, bind, BATCH, bigOr0, chunks, inodeFromSql, subtreeRange } from './sql.js';
import { JsonRows } from './baseline-json.js';

export interface BaselineRow {
  id: number;
  path: string;
  kind: 'file' | 'symlink';
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  hash: Buffer;
  algorithm: string;
  verifiedAtNs: bigint;
  firstScanId: number;
  lastSeenScanId: number;
  missingSinceScanId: number | null;
}

/** `deviceId`: the storage device the file was verified on (null where no detector knew it). */
export type BaselineWrite = Omit<BaselineRow, 'id'> & { deviceId: number | null };

/**
 * Baselines of a disk that is no longer mounted where they were verified wait under this prefix
 * plus the device id, out of every walked path's range ("\u0001" sorts before "/").
 */
const PARKED = '\u0001';
const parkedPrefix = (deviceId: number) => `${PARKED}${deviceId}`;

const BIG_COLS = ['size', 'mtime_ns', 'ctime_ns', 'inode', 'verified_at_ns'];

function fromRow(r: any): BaselineRow {
  return {
    id: r.id,
    path: r.path,
    kind: r.kind,
    size: bigOr0(r.size),
    mtimeNs: bigOr0(r.mtime_ns),
    ctimeNs: bigOr0(r.ctime_ns),
    inode: r.inode === null || r.inode === undefined ? 0n : inodeFromSql(r.inode),
    hash: r.hash,
    algorithm: r.algorithm,
    verifiedAtNs: bigOr0(r.verified_at_ns),
    firstScanId: r.first_scan_id,
    lastSeenScanId: r.last_seen_scan_id,
    missingSinceScanId: r.missing_since_scan_id ?? null,
  };
}

const COLS = ['path', 'kind', 'size', 'mtime_ns', 'ctime_ns', 'inode', 'hash', 'algorithm', 'verified_at_ns', 'first_scan_id', 'last_seen_scan_id', 'missing_since_scan_id', 'device_id'];
/**
 * A batch of baselines goes to SQLite as one JSON array of rows (baseline-json.ts), the values a
 * batch's files share (kind, algorithm, first and last scan, missing since, device) bound beside
 * it. SQLite's JSON parser costs far less per value than the sqlite3 driver's binding, which
 * checks and copies every bound value: 200k baselines in 80 transactions took 1.6–1.8 s bound
 * 7 values a row, 1.1 s as JSON, on the thread that was then the limit of a small-file first scan.
 * jsonb_each, not json_each: it parses the text once into SQLite's binary JSON, so each row's
 * seven `->>` read a blob instead of parsing the row's text again (the writer's time in a 200k
 * first scan 2.1 -> 1.5 s). `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
 */
const UPSERT_SQL = `INSERT INTO baselines (${COLS.join(',')})
  SELECT value->>0, ?, value->>1, value->>2, value->>3, value->>4, unhex(value->>5), ?, value->>6, ?, ?, ?, ?
  FROM jsonb_each(?) WHERE true
  ON CONFLICT (path) DO UPDATE SET ${COLS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** What a group of baselines shares, bound once per statement. */
export interface BaselineShared {
  kind: BaselineRow['kind'];
  algorithm: string;
  firstScanId: number;
  lastSeenScanId: number;
  missingSinceScanId: number | null;
  deviceId: number | null;
}

const sharedValues = (b: BaselineShared) => [b.kind, b.algorithm, b.firstScanId, b.lastSeenScanId, b.missingSinceScanId, b.deviceId];

const LOOKUP_COLS = `id, path, kind, hash, algorithm, first_scan_id, last_seen_scan_id, missing_since_scan_id, ${BIG_COLS.map((c) => `CAST(${c} AS TEXT) AS ${c}`).join(', ')}`;
const lookupCache = new Map<number, string>();
function lookupSql(n: number): string {
  let sql = lookupCache.get(n);
  if (!sql) {
    sql = `SELECT ${LOOKUP_COLS} FROM baselines WHERE path IN (${Array(n).fill('?').join(',')})`;
    lookupCache.set(n, sql);
  }
  return sql;
}

export class BaselineRepository {
  constructor(private readonly db: Knex) {}

  private select(q: Knex) {
    return q('baselines').select('id', 'path', 'kind', 'hash', 'algorithm', 'first_scan_id', 'last_seen_scan_id', 'missing_since_scan_id', ...asText(q, ...BIG_COLS));
  }

  async getByPaths(paths: readonly string[]): Promise<Map<string, BaselineRow>> {
    const out = new Map<string, BaselineRow>();
    for (const part of chunks(paths)) {
      // Raw SQL built once per batch size: the query builder's compile was a visible share of a scan's lookups.
      for (const r of await this.db.raw(lookupSql(part.length), part as string[])) out.set(r.path, fromRow(r));
    }
    return out;
  }

  async upsert(trx: Knex, rows: readonly BaselineWrite[]): Promise<void> {
    // Grouped by what the rows share: a first scan's files are nearly all one group.
    const groups = new Map<string, { shared: BaselineShared; json: JsonRows }>();
    for (const b of rows) {
      const key = `${b.kind}\0${b.algorithm}\0${b.firstScanId}\0${b.lastSeenScanId}\0${b.missingSinceScanId}\0${b.deviceId}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { shared: b, json: new JsonRows() }));
      group.json.add(b.path, b.size, b.mtimeNs, b.ctimeNs, b.inode, b.hash.toString('hex'), b.verifiedAtNs);
    }
    for (const { shared, json } of groups.values()) await this.upsertJson(trx, shared, json.text());
  }

  /** Baselines as a JSON array of rows (JsonRows), all sharing `shared`. */
  async upsertJson(trx: Knex, shared: BaselineShared, rowsJson: string): Promise<void> {
    await trx.raw(UPSERT_SQL, [...sharedValues(shared), rowsJson]);
  }

  /**
   * `count` baselines of files found without one (upsertJson). When every row went in as a new
   * row, they hold the ids `first`..`last`, in the order of the JSON: AUTOINCREMENT numbers the
   * rows of one INSERT consecutively above the largest id ever used, and the write transaction
   * keeps every other writer out. Null when some row met an existing path and was updated instead
   * (measured on SQLite 3.52: such a row still uses up the next id, so the ids alone cannot tell).
   */
  async insertNewJson(trx: Knex, shared: BaselineShared, rowsJson: string, count: number): Promise<{ first: number; last: number } | null> {
    const [{ top }] = await trx.raw(
      `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'baselines'), 0), coalesce((SELECT max(id) FROM baselines), 0)) AS top`,
    );
    await this.upsertJson(trx, shared, rowsJson);
    // A row that met an existing path still used up an id: the rows in the range are counted too.
    const [{ last, rows }] = await trx.raw('SELECT last_insert_rowid() AS last, (SELECT count(*) FROM baselines WHERE id > ? AND id <= last_insert_rowid()) AS rows', [top]);
    return last - top === count && rows === count ? { first: top + 1, last } : null;
  }

  /**
   * Files verified ok with nothing else changed: only when they were last seen and verified. One
   * time for the batch, the earliest read's: an earlier verification time only makes the racy
   * baseline check more cautious.
   */
  async markVerified(trx: Knex, ids: readonly number[], scanId: number, verifiedAtNs: bigint): Promise<void> {
    // One statement with the ids as a JSON array: 500-id IN lists through the query builder cost
    // more than SQLite's own row updates.
    if (ids.length) await trx.raw('UPDATE baselines SET last_seen_scan_id = ?, verified_at_ns = ? WHERE id IN (SELECT value FROM json_each(?))', [scanId, bind(verifiedAtNs), JSON.stringify(ids)]);
  }

  /** Seen in this scan without a fresh hash (unreadable, denied, corrupted: keep the good hash). */
  async markSeen(trx: Knex, paths: readonly string[], scanId: number): Promise<void> {
    if (paths.length) await trx.raw('UPDATE baselines SET last_seen_scan_id = ? WHERE path IN (SELECT value FROM json_each(?))', [scanId, JSON.stringify(paths)]);
  }

  /** A directory that was not walked keeps the baselines below it from turning missing. */
  async markSubtreeSeen(trx: Knex, dir: string, scanId: number): Promise<void> {
    const [lo, hi] = subtreeRange(dir);
    await trx('baselines').where('path', '>=', lo).andWhere('path', '<', hi).update({ last_seen_scan_id: scanId });
  }

  /** Whether any baseline lies below `dir`. */
  async anyUnder(dir: string): Promise<boolean> {
    const [lo, hi] = subtreeRange(dir);
    return (await this.db('baselines').where('path', '>=', lo).andWhere('path', '<', hi).first(this.db.raw('1 AS one'))) !== undefined;
  }

  async countUnder(dir: string): Promise<number> {
    const [lo, hi] = subtreeRange(dir);
    const r = await this.db('baselines').where('path', '>=', lo).andWhere('path', '<', hi).count({ n: '*' }).first();
    return Number(r?.n ?? 0);
  }

  /** Keyset page of baselines under `dir` that this scan did not see and that are not already missing. */
  async unseenPage(dir: string, scanId: number, after: string, limit = BATCH): Promise<BaselineRow[]> {
    const [lo, hi] = subtreeRange(dir);
    const rows = await this.select(this.db)
      .where('path', after ? '>' : '>=', after || lo)
      .andWhere('path', '>=', lo)
      .andWhere('path', '<', hi)
      .andWhere('last_seen_scan_id', '!=', scanId)
      .whereNull('missing_since_scan_id')
      .orderBy('path')
      .limit(limit);
    return rows.map(fromRow);
  }

  async markMissing(trx: Knex, ids: readonly number[], scanId: number): Promise<void> {
    for (const part of chunks(ids)) await trx('baselines').whereIn('id', part).update({ missing_since_scan_id: scanId });
  }

  async deleteIds(trx: Knex, ids: readonly number[]): Promise<void> {
    for (const part of chunks(ids)) await trx('baselines').whereIn('id', part).delete();
  }

  /** What Bitarr knows below (or at) `path`, a keyset page in path order. */
  async listAt(path: string, after: string | null, limit: number): Promise<BaselineRow[]> {
    const [lo, hi] = subtreeRange(path);
    const q = this.select(this.db)
      .where((w) => w.where('path', path).orWhere((r) => r.where('path', '>=', lo).andWhere('path', '<', hi)))
      .orderBy('path')
      .limit(limit);
    if (after !== null) q.andWhere('path', '>', after);
    return (await q).map(fromRow);
  }

  /**
   * Makes `mountPoint` hold `deviceId`'s baselines. The baselines of disks that were mounted at
   * this very mount point before (`replaced`) are parked under their ids; this disk's, if it was
   * verified at another mount point before (plain or parked), move here. Baselines of a disk
   * mounted deeper down are not touched: an unmounted disk leaves an empty folder on this one,
   * and that must still read as "is the disk mounted?". One transaction.
   */
  async followDevice(deviceId: number, mountPoint: string, previousMountPoints: string[], replaced: number[]): Promise<{ parked: number; moved: number; from: string | null }> {
    const [lo, hi] = subtreeRange(mountPoint);
    return this.db.transaction(async (trx) => {
      const parked = replaced.length
        ? await trx('baselines')
            .where('path', '>=', lo)
            .andWhere('path', '<', hi)
            .whereIn('device_id', replaced)
            .update({ path: trx.raw(`? || device_id || path`, [PARKED]) })
        : 0;
      const here = await trx('baselines').where('path', '>=', lo).andWhere('path', '<', hi).andWhere('device_id', deviceId).first('id');
      if (here) return { parked, moved: 0, from: null };
      for (const old of previousMountPoints) {
        for (const from of [old, parkedPrefix(deviceId) + old]) {
          const [olo, ohi] = subtreeRange(from);
          // SQLite's substr counts characters (code points), not UTF-16 units.
          const moved = await trx('baselines')
            .where('path', '>=', olo)
            .andWhere('path', '<', ohi)
            .andWhere('device_id', deviceId)
            .update({ path: trx.raw(`? || substr(path, ?)`, [lo.slice(0, -1), [...olo].length]) });
          if (moved) return { parked, moved, from: old };
        }
      }
      return { parked, moved: 0, from: null };
    });
  }

  /** Of these paths, the ones verified good (hashed and matching, or re-baselined) after `sinceNs`. */
  async verifiedSince(paths: readonly string[], sinceNs: bigint): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(paths)) {
      const rows = await this.db('baselines').whereIn('path', part).whereNull('missing_since_scan_id').andWhere('verified_at_ns', '>', sinceNs.toString()).select('path');
      for (const r of rows) out.add(r.path);
    }
    return out;
  }
}
