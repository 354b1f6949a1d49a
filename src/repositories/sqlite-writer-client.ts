/**
 * knex's SQLite client, with transactions that take the write lock when they begin.
 *
 * knex begins every SQLite transaction with a plain (deferred) BEGIN. SQLite then reads from a
 * snapshot, and a transaction that reads before it writes fails with SQLITE_BUSY when another
 * connection committed in between: its snapshot is stale, and the busy timeout cannot help. Two
 * writers on one file are normal here (the appliance's pages and its scans' own connection; the
 * appliance and a `bitarr scan` beside it), so a transaction on a writing connection begins
 * IMMEDIATE and waits its turn (busy_timeout) instead. Reads outside transactions are unaffected.
 */
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

// knex ships no types for its dialect classes; these are the two methods overridden here.
type Constructor = new (...args: any[]) => { query(conn: unknown, sql: string): Promise<unknown> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const require = createRequire(import.meta.url);
const ClientSqlite3 = require('knex/lib/dialects/sqlite3/index.js') as Constructor;
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as Constructor;

class ImmediateTransaction extends TransactionSqlite {
  begin(conn: unknown) {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

class WritingClient extends ClientSqlite3 {
  transaction(...args: unknown[]) {
    return new ImmediateTransaction(this, ...args);
  }
}

/** For knex's `client` option, in place of 'sqlite3', on connections that write. */
export const sqliteWriterClient = WritingClient as unknown as typeof Knex.Client;
