/**
 * Baseline lookups from inside a hashing worker: its own read-only connection to the scan's
 * SQLite file (WAL lets it read beside the main thread's writes). Moving the lookups here took
 * them, and the row objects they create, off the main thread, which was the limit of a verify.
 *
 * Two steps, because a verify is almost all unchanged files: `match` fetches per path only what
 * the worker compares, as one string (no BigInts parsed, no path string back), and `full` fetches
 * the whole baseline only for the few files the main thread must judge.
 */
import sqlite3 from 'sqlite3';
import type { EntryKind, WireBaseline } from './hash-protocol.js';
import { inodeFromSql } from './sql.js';

/**
 * What a read must equal for the file to be verified, as one lowercase hex string: the kind (00
 * file, 01 symlink), size, mtime, ctime and inode as 64-bit big-endian, then the hash. NULL where
 * the baseline cannot verify a read whatever it holds (another algorithm, marked missing). One
 * short string per row costs the driver a third of the thirteen columns it used to return.
 */
const FINGERPRINT = `CASE WHEN b.algorithm = ? AND b.missing_since_scan_id IS NULL
  THEN printf('%02x%016x%016x%016x%016x%s', b.kind = 'symlink', b.size, b.mtime_ns, b.ctime_ns, b.inode, lower(hex(b.hash))) END`;

/**
 * The batch's paths go in as one JSON array; the matches come back as one text, `i,id,fingerprint`
 * (and `,lastSeenScanId` when resuming) joined with ';': a row object per file cost the driver a
 * quarter of a verify's lookup time (200k lookups: 470 -> 340 ms of CPU).
 */
const matchSql = (resuming: boolean) =>
  `SELECT group_concat(j.key || ',' || b.id || ',' || coalesce(${FINGERPRINT}, '')${resuming ? " || ',' || b.last_seen_scan_id" : ''}, ';') AS matches
  FROM json_each(?) AS j JOIN baselines AS b ON b.path = j.value`;

const FULL_SQL = `SELECT b.id, b.path, b.kind, CAST(b.size AS TEXT) AS size, CAST(b.mtime_ns AS TEXT) AS mtime_ns, CAST(b.ctime_ns AS TEXT) AS ctime_ns, CAST(b.inode AS TEXT) AS inode, b.hash, b.algorithm,
  CAST(b.verified_at_ns AS TEXT) AS verified_at_ns, b.first_scan_id, b.last_seen_scan_id, b.missing_since_scan_id
  FROM json_each(?) AS j JOIN baselines AS b ON b.id = j.value`;

/** What the worker compares a read with (see FINGERPRINT). */
export interface BaselineMatch {
  i: number;
  id: number;
  fingerprint: string | null;
  /** Only when resuming. */
  lastSeenScanId?: number;
}

interface FullRow {
  id: number;
  path: string;
  kind: EntryKind;
  size: string;
  mtime_ns: string;
  ctime_ns: string;
  inode: string;
  hash: Buffer;
  algorithm: string;
  verified_at_ns: string;
  first_scan_id: number;
  last_seen_scan_id: number;
  missing_since_scan_id: number | null;
}

export class BaselineLookup {
  private readonly db: sqlite3.Database;
  private readonly matchStmt: sqlite3.Statement;
  private readonly fullStmt: sqlite3.Statement;

  constructor(
    file: string,
    private readonly algorithm: string,
    resuming: boolean,
  ) {
    this.db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
    this.db.configure('busyTimeout', 10_000);
    this.matchStmt = this.db.prepare(matchSql(resuming));
    this.fullStmt = this.db.prepare(FULL_SQL);
  }

  /** Index i of the result: the baseline of paths[i], or undefined. */
  async match(paths: readonly string[]): Promise<Array<BaselineMatch | undefined>> {
    const [row] = await all<{ matches: string | null }>(this.matchStmt, [this.algorithm, JSON.stringify(paths)]);
    const out = new Array<BaselineMatch | undefined>(paths.length);
    if (!row?.matches) return out;
    for (const match of row.matches.split(';')) {
      const [i, id, fingerprint, lastSeen] = match.split(',');
      const m: BaselineMatch = { i: Number(i), id: Number(id), fingerprint: fingerprint || null };
      if (lastSeen !== undefined) m.lastSeenScanId = Number(lastSeen);
      out[m.i] = m;
    }
    return out;
  }

  /** Workers are terminated with theirs open; a test closes its own. */
  async close(): Promise<void> {
    await Promise.all([this.matchStmt, this.fullStmt].map((st) => new Promise<void>((resolve) => st.finalize(() => resolve()))));
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }

  /** The whole baselines, by id. */
  async full(ids: readonly number[]): Promise<Map<number, WireBaseline>> {
    const out = new Map<number, WireBaseline>();
    if (ids.length === 0) return out;
    for (const r of await all<FullRow>(this.fullStmt, [JSON.stringify(ids)])) out.set(r.id, toWire(r));
    return out;
  }
}

const all = <T>(stmt: sqlite3.Statement, params: unknown[]) =>
  new Promise<T[]>((resolve, reject) => stmt.all(params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));

const toWire = (r: FullRow): WireBaseline => ({
  id: r.id,
  path: r.path,
  kind: r.kind,
  size: BigInt(r.size),
  mtimeNs: BigInt(r.mtime_ns),
  ctimeNs: BigInt(r.ctime_ns),
  inode: inodeFromSql(r.inode),
  hash: new Uint8Array(r.hash),
  algorithm: r.algorithm,
  verifiedAtNs: BigInt(r.verified_at_ns),
  firstScanId: r.first_scan_id,
  lastSeenScanId: r.last_seen_scan_id,
  missingSinceScanId: r.missing_since_scan_id ?? null,
});
