/**
 * Baseline lookups from inside a hashing worker: its own read-only connection to the scan's
 * SQLite file (WAL lets it read beside the main thread's writes). Moving the lookups here took
 * them, and the row objects they create, off the main thread, which was the limit of a verify.
 */
import sqlite3 from 'sqlite3';
import type { EntryKind, WireBaseline } from './hash-protocol.js';

const COLS = 'id, path, kind, CAST(size AS TEXT) AS size, CAST(mtime_ns AS TEXT) AS mtime_ns, CAST(ctime_ns AS TEXT) AS ctime_ns, CAST(inode AS TEXT) AS inode, hash, algorithm, CAST(verified_at_ns AS TEXT) AS verified_at_ns, first_scan_id, last_seen_scan_id, missing_since_scan_id';
const MAX_PER_QUERY = 500;

interface Row {
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
  private readonly statements = new Map<number, sqlite3.Statement>();

  constructor(file: string) {
    this.db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
    this.db.configure('busyTimeout', 10_000);
  }

  async byPaths(paths: readonly string[]): Promise<Map<string, WireBaseline>> {
    const out = new Map<string, WireBaseline>();
    for (let i = 0; i < paths.length; i += MAX_PER_QUERY) {
      const part = paths.slice(i, i + MAX_PER_QUERY);
      const rows = await new Promise<Row[]>((resolve, reject) => this.statement(part.length).all(part, (err: Error | null, r: Row[]) => (err ? reject(err) : resolve(r))));
      for (const r of rows) out.set(r.path, toWire(r));
    }
    return out;
  }

  private statement(n: number): sqlite3.Statement {
    let stmt = this.statements.get(n);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT ${COLS} FROM baselines WHERE path IN (${Array(n).fill('?').join(',')})`);
      this.statements.set(n, stmt);
    }
    return stmt;
  }
}

const toWire = (r: Row): WireBaseline => ({
  id: r.id,
  path: r.path,
  kind: r.kind,
  size: BigInt(r.size),
  mtimeNs: BigInt(r.mtime_ns),
  ctimeNs: BigInt(r.ctime_ns),
  inode: BigInt(r.inode),
  hash: new Uint8Array(r.hash),
  algorithm: r.algorithm,
  verifiedAtNs: BigInt(r.verified_at_ns),
  firstScanId: r.first_scan_id,
  lastSeenScanId: r.last_seen_scan_id,
  missingSinceScanId: r.missing_since_scan_id ?? null,
});
