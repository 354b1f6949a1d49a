/**
 * Helpers for nanosecond integers. The sqlite3 driver returns integers as JS numbers and would
 * round 19-digit nanosecond times, so they are bound as decimal strings (stored as INTEGER by
 * column affinity) and read back through CAST(… AS TEXT).
 */
import type { Knex } from 'knex';

export const BATCH = 500;

export const bind = (v: bigint | null | undefined) => (v === null || v === undefined ? null : v.toString());
export const big = (v: string | number | null | undefined) => (v === null || v === undefined ? null : BigInt(v));
export const bigOr0 = (v: string | number | null | undefined) => (v === null || v === undefined ? 0n : BigInt(v));

/** `CAST(col AS TEXT) AS col` for each column, for selects that include big integers. */
export const asText = (knex: Knex, ...cols: string[]) => cols.map((c) => knex.raw(`CAST(?? AS TEXT) AS ??`, [c, c.split('.').pop()!]));

export function* chunks<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Paths strictly below `dir`, as an index range: `LIKE 'dir/%'` would not use the index. */
export function subtreeRange(dir: string): [string, string] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  // '0' is the character after '/', so [prefix, upper) is exactly the paths starting with prefix.
  return [prefix, prefix.slice(0, -1) + '0'];
}

export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * Inode numbers are unsigned 64-bit; SQLite's integers are signed. One above 2^63 (overlayfs with
 * xino, some NFS servers) would be stored as a lossy REAL and then fail to read back, so it is
 * stored as its two's complement: exact, and printf('%016x') gives back the same 16 hex digits.
 */
export const inodeToSql = (inode: bigint) => BigInt.asIntN(64, inode);
export const inodeFromSql = (v: string | number) => BigInt.asUintN(64, BigInt(v));

/**
 * A multi-row INSERT as one raw statement, its SQL built once per row count. The query builder
 * compiles and quotes every column of every row, which was most of a small-file scan's main
 * thread time (bench/).
 */
export function multiRowInsert(table: string, cols: readonly string[], suffix = '') {
  const cache = new Map<number, string>();
  const tuple = `(${cols.map(() => '?').join(',')})`;
  return (rows: number) => {
    let sql = cache.get(rows);
    if (!sql) {
      sql = `INSERT INTO ${table} (${cols.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}${suffix}`;
      cache.set(rows, sql);
    }
    return sql;
  };
}

interface PreparedStatement {
  run(params: unknown[], cb: (err: Error | null) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}
interface SqliteConnection {
  prepare(sql: string, cb: (err: Error | null) => void): PreparedStatement;
}

/**
 * Runs one statement once per parameter set inside a transaction. On SQLite it is prepared once
 * on the transaction's own connection and finalized before returning: a first scan's 500-row
 * INSERTs were each parsed anew and re-scanned by knex for placeholders, which cost more than
 * SQLite's own work (bench/). Elsewhere it is knex raw.
 */
export async function runMany(trx: Knex, sql: string, paramSets: readonly unknown[][]): Promise<void> {
  if (paramSets.length === 0) return;
  if (!trx.isTransaction) return trx.transaction((t) => runMany(t, sql, paramSets));
  if (trx.client.config.client !== 'sqlite3') {
    for (const params of paramSets) await trx.raw(sql, params as Knex.RawBinding[]);
    return;
  }
  // Inside a transaction knex hands back the transaction's connection and never releases it here.
  const conn = (await trx.client.acquireConnection()) as SqliteConnection;
  let prepareError: Error | null = null;
  const stmt = conn.prepare(sql, (err) => {
    prepareError ??= err;
  });
  const runs = paramSets.map((params) => new Promise<void>((resolve, reject) => stmt.run(params, (err) => (err ? reject(err) : resolve()))));
  // All settle before the statement is finalized, so no run is left behind a failed one.
  const outcomes = await Promise.allSettled(runs);
  await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
  if (prepareError) throw prepareError;
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Rows in full-size chunks and one remainder: at most two distinct statements per call. */
export function rowChunks<T>(rows: readonly T[], size = BATCH): { full: T[][]; rest: T[] } {
  const fullCount = Math.floor(rows.length / size) * size;
  const full: T[][] = [];
  for (let i = 0; i < fullCount; i += size) full.push(rows.slice(i, i + size) as T[]);
  return { full, rest: rows.slice(fullCount) as T[] };
}
