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
