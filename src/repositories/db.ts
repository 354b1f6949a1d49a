/**
 * Opens the database: SQLite (WAL) in the config dir by default. Migrations are an explicit,
 * append-only list; a database that has migrations this build does not know was written by a
 * newer Bitarr and is refused before anything is written to it.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../config/index.js';
import { sqliteWriterClient } from './sqlite-writer-client.js';
import { briefErrorMessage, environmentError } from '../domain/errors.js';
import * as m001 from '../../migrations/20261125_001_engine.js';
import * as m002 from '../../migrations/20261125_002_devices.js';
import * as m003 from '../../migrations/20261125_003_event_state.js';
import * as m004 from '../../migrations/20261125_004_smart_device_type.js';
import * as m005 from '../../migrations/20261125_005_auth.js';
import * as m006 from '../../migrations/20261125_006_appliance.js';
import * as m007 from '../../migrations/20261125_007_used_space.js';
import * as m008 from '../../migrations/20261125_008_baselines_unindexed_last_seen.js';

const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261125_001_engine': m001,
  '20261125_002_devices': m002,
  '20261125_003_event_state': m003,
  '20261125_004_smart_device_type': m004,
  '20261125_005_auth': m005,
  '20261125_006_appliance': m006,
  '20261125_007_used_space': m007,
  '20261125_008_baselines_unindexed_last_seen': m008,
};

/** The append-only migration list, for SQLite here and for the PostgreSQL test. */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};

export type Db = Knex;

const WRITER_PRAGMAS = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;';

export function prepareConfigDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw environmentError(`cannot create the config dir ${dir}: ${(err as Error).message}`, err);
  }
  if (!statSync(dir).isDirectory()) throw environmentError(`the config dir ${dir} is not a directory`);
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw environmentError(`the config dir ${dir} is not readable and writable by this user`, err);
  }
}

export async function openDatabase(config: Config): Promise<Db> {
  // Path ranges assume byte-order comparison (SQLite's BINARY); PostgreSQL needs COLLATE "C" on
  // them first, so it is refused until that is built and tested rather than half-working.
  if (config.databaseUrl) throw environmentError('DATABASE_URL (PostgreSQL) is not supported yet; unset it to use SQLite in the config dir');
  prepareConfigDir(config.configDir);
  // One connection: SQLite has one writer, and a single connection keeps PRAGMAs in force.
  const db = sqlite(config, 1, WRITER_PRAGMAS, sqliteWriterClient);
  try {
    // knex's migrate.latest() costs ~20 ms of locking and listing even with nothing to do, paid
    // on every command: run it only when a known migration is missing.
    const applied = await refuseNewerDatabase(db);
    if (Object.keys(MIGRATIONS).some((name) => !applied.has(name))) await db.migrate.latest();
  } catch (err) {
    await db.destroy();
    if ((err as { kind?: string }).kind) throw err;
    throw environmentError(`cannot open the database in ${config.configDir}: ${briefErrorMessage(err)}`, err);
  }
  return db;
}

/** The names of the applied migrations; throws when one is unknown to this build. */
async function refuseNewerDatabase(db: Db): Promise<Set<string>> {
  if (!(await db.schema.hasTable('knex_migrations'))) return new Set();
  const applied: Array<{ name: string }> = await db('knex_migrations').select('name');
  const unknown = applied.map((r) => r.name).filter((n) => !(n in MIGRATIONS));
  if (unknown.length) {
    throw environmentError(
      `this database was written by a newer Bitarr (unknown migration ${unknown[0]}); upgrade Bitarr to use it`,
    );
  }
  return new Set(applied.map((r) => r.name));
}

export const READER_CONNECTIONS = 3;

/**
 * Read-only connections to the same SQLite file. In WAL mode they read while the writer commits,
 * so a scan's baseline lookups never queue behind its own write transactions.
 */
export function openReader(config: Config): Db {
  return sqlite(config, READER_CONNECTIONS, 'PRAGMA query_only = ON; PRAGMA busy_timeout = 10000;');
}

/**
 * A second writing connection on an already migrated database: a scan started by the appliance
 * writes on its own, so pages never queue behind its batches (SQLite serialises the writes).
 */
export function openWriter(config: Config): Db {
  return sqlite(config, 1, WRITER_PRAGMAS, sqliteWriterClient);
}

export const databaseFile = (config: Config) => join(config.configDir, 'bitarr.db');

/** A knex pool on the config dir's SQLite file; `pragmas` run on every new connection. */
function sqlite(config: Config, connections: number, pragmas: string, client: string | typeof Knex.Client = 'sqlite3'): Db {
  return knexFactory({
    client,
    connection: { filename: databaseFile(config) },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: connections,
      afterCreate: (conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
        conn.exec(pragmas, (err) => done(err, conn));
      },
    },
    migrations: { migrationSource },
  });
}
