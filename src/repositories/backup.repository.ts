/**
 * Database backups as files: SQLite's online backup API (pages copied inside one read
 * transaction, so a scan writing meanwhile never makes a torn copy; a file copy of a live WAL
 * database would), the copy checked, and restored page by page into the open connection.
 * Backups live in <config-dir>/backups as single-file databases (rollback journal, not WAL), so
 * they can be opened read-only, copied off the box, and never need a -wal beside them.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Knex } from 'knex';

/** What a backup file is called; anything else in the folder (or in a URL) is no backup. */
export const BACKUP_NAME = /^(bitarr|pre-restore)-(\d{8})-(\d{6})(?:-(\d{1,3}))?\.db$/;

export type BackupKind = 'bitarr' | 'pre-restore';

export interface BackupFile {
  name: string;
  kind: BackupKind;
  size: number;
  /** From the name (UTC): the moment the copy was taken, whatever happened to the file since. */
  createdAt: string;
  mtimeMs: number;
}

export interface DatabaseSummary {
  /** Applied migrations, oldest first: the schema version. */
  migrations: string[];
  scans: number;
  baselines: number;
  events: number;
  /** ISO start of the newest scan. */
  newestScanAt: string | null;
}

type Row = Record<string, unknown>;
type Query = (sql: string) => Promise<Row[]>;

interface SqliteBackup {
  step(pages: number, cb: (err: (Error & { code?: string }) | null) => void): void;
  finish(cb?: (err: Error | null) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  completed: boolean;
  failed: boolean;
}
type Connection = sqlite3.Database & {
  backup(file: string, destName: string, sourceName: string, fileIsDest: boolean, cb: (err: Error | null) => void): SqliteBackup;
};

/** A scan whose heartbeat is this recent is alive (the scanner beats at least every few seconds). */
const ALIVE_NS = 60n * 1_000_000_000n;
const RETRY_BUSY_MS = 30_000;
/** Kept across a restore: see readLogins. */
const LOGIN_TABLES = ['users', 'sessions', 'api_tokens'] as const;
export type Logins = Record<(typeof LOGIN_TABLES)[number], Row[]>;

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export function parseBackupName(name: string): { kind: BackupKind; createdAt: string; order: string } | null {
  const m = BACKUP_NAME.exec(name);
  if (!m) return null;
  const [, kind, day, time, n] = m;
  const createdAt = new Date(`${day!.slice(0, 4)}-${day!.slice(4, 6)}-${day!.slice(6)}T${time!.slice(0, 2)}:${time!.slice(2, 4)}:${time!.slice(4)}Z`);
  if (Number.isNaN(createdAt.getTime())) return null;
  return { kind: kind as BackupKind, createdAt: createdAt.toISOString(), order: `${day}${time}${(n ?? '1').padStart(3, '0')}` };
}

function openSqlite(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}
const all = (db: sqlite3.Database, sql: string) => new Promise<Row[]>((resolve, reject) => db.all(sql, (err: Error | null, rows: Row[]) => (err ? reject(err) : resolve(rows))));
const close = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()));

/** Copies every page between `conn`'s main database and `file` in one step, so in one transaction on each side. */
function copyPages(conn: sqlite3.Database, file: string, fileIsDest: boolean): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const backup = (conn as Connection).backup(file, 'main', 'main', fileIsDest, (initErr) => {
      if (initErr) return reject(initErr);
      const step = () =>
        backup.step(-1, (err) => {
          if (!err) return backup.completed ? resolve() : step();
          // BUSY/LOCKED leave the backup alive: another connection holds a lock for a moment.
          if (!backup.failed && Date.now() - started < RETRY_BUSY_MS) return void setTimeout(step, 100);
          if (!backup.failed) backup.finish();
          reject(err);
        });
      step();
    });
    backup.on('error', reject);
  });
}

export async function summarize(query: Query): Promise<DatabaseSummary> {
  const tables = new Set((await query(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r) => String(r.name)));
  const count = async (table: string) => (tables.has(table) ? Number((await query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? 0) : 0);
  const newest = tables.has('scans') ? (await query('SELECT CAST(MAX(started_at_ns) AS TEXT) AS ns FROM scans'))[0]?.ns : null;
  return {
    migrations: tables.has('knex_migrations') ? (await query('SELECT name FROM knex_migrations ORDER BY id')).map((r) => String(r.name)) : [],
    scans: await count('scans'),
    baselines: await count('baselines'),
    events: await count('bitrot_events'),
    newestScanAt: newest ? new Date(Number(BigInt(String(newest)) / 1_000_000n)).toISOString() : null,
  };
}

export class BackupRepository {
  constructor(
    /** <config-dir>/backups */
    readonly dir: string,
    /** The live database file. */
    private readonly liveFile: string,
  ) {}

  async list(): Promise<BackupFile[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    const out: Array<BackupFile & { order: string }> = [];
    for (const name of names) {
      const parsed = parseBackupName(name);
      const st = parsed && (await stat(join(this.dir, name)).catch(() => null));
      if (parsed && st?.isFile()) out.push({ name, kind: parsed.kind, size: st.size, createdAt: parsed.createdAt, mtimeMs: st.mtimeMs, order: parsed.order });
    }
    return out.sort((a, b) => (a.order === b.order ? b.name.localeCompare(a.name) : b.order.localeCompare(a.order))).map(({ order: _o, ...f }) => f);
  }

  /** The backup of that name, or null: names are matched whole, so `../` can never leave the folder. */
  async find(name: string): Promise<BackupFile | null> {
    const parsed = parseBackupName(name);
    if (!parsed) return null;
    const st = await stat(join(this.dir, name)).catch(() => null);
    return st?.isFile() ? { name, kind: parsed.kind, size: st.size, createdAt: parsed.createdAt, mtimeMs: st.mtimeMs } : null;
  }

  path(name: string): string {
    if (!BACKUP_NAME.test(name)) throw new Error(`not a backup name: ${name}`);
    return join(this.dir, name);
  }

  /**
   * Copies the live database into a new backup, on a connection of its own so the appliance's
   * queries go on meanwhile; verified with integrity_check and switched out of WAL before it gets
   * its name, so a listed backup is always a whole, checked file.
   */
  async write(kind: BackupKind, now = new Date()): Promise<BackupFile> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const partial = join(this.dir, `.partial-${randomBytes(6).toString('hex')}.db`);
    try {
      const source = await openSqlite(this.liveFile, sqlite3.OPEN_READWRITE);
      try {
        source.configure('busyTimeout', 10_000);
        await copyPages(source, partial, true);
      } finally {
        await close(source);
      }
      const copy = await openSqlite(partial, sqlite3.OPEN_READWRITE);
      try {
        await all(copy, 'PRAGMA journal_mode = DELETE');
        const check = await all(copy, 'PRAGMA integrity_check');
        if (check.length !== 1 || check[0]?.integrity_check !== 'ok') {
          throw new Error(`the copy failed its integrity check: ${check.map((r) => r.integrity_check).join('; ')}`);
        }
      } finally {
        await close(copy);
      }
      // Backups hold password and token hashes: for the owner only.
      const handle = await open(partial, constants.O_RDONLY);
      try {
        await handle.chmod(0o600);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return await this.publish(partial, kind, now);
    } finally {
      await unlink(partial).catch(() => undefined);
      for (const side of ['-wal', '-shm', '-journal']) await unlink(partial + side).catch(() => undefined);
    }
  }

  /** Gives the checked copy its name; link() never replaces a backup taken in the same second. */
  private async publish(partial: string, kind: BackupKind, now: Date): Promise<BackupFile> {
    for (let n = 1; n < 1000; n++) {
      const name = `${kind}-${stamp(now)}${n === 1 ? '' : `-${n}`}.db`;
      try {
        await link(partial, join(this.dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      const dir = await open(this.dir, constants.O_RDONLY);
      await dir.sync().finally(() => dir.close());
      return (await this.find(name))!;
    }
    throw new Error('too many backups in one second');
  }

  /**
   * Reads a backup without changing it: its summary and, with `check`, SQLite's quick_check.
   * Throws what SQLite says when the file is not a database.
   */
  async inspect(name: string, opts: { check?: boolean } = {}): Promise<{ summary: DatabaseSummary; problems: string[] }> {
    const db = await openSqlite(this.path(name), sqlite3.OPEN_READONLY);
    try {
      const problems = opts.check ? (await all(db, 'PRAGMA quick_check')).map((r) => String(r.quick_check)).filter((p) => p !== 'ok') : [];
      return { summary: await summarize((sql) => all(db, sql)), problems };
    } finally {
      await close(db);
    }
  }

  /**
   * Replaces the open database's content with the backup's, through the pool's one connection:
   * every other connection (a running scan's, another process's) sees the new content at its
   * next transaction, and nothing has to be reopened. One step is one write transaction: a
   * failure leaves the database as it was.
   */
  async restoreInto(db: Knex, name: string): Promise<void> {
    const conn = (await db.client.acquireConnection()) as sqlite3.Database;
    try {
      await copyPages(conn, this.path(name), false);
    } finally {
      await db.client.releaseConnection(conn);
    }
  }
}

/** Scans in this database marked running whose process still beats (any process on this config dir). */
export async function liveScans(db: Knex, nowNs = BigInt(Date.now()) * 1_000_000n): Promise<number[]> {
  const rows: Array<{ id: number; hb: string | null }> = await db('scans').where({ status: 'running' }).select('id', db.raw('CAST(heartbeat_ns AS TEXT) AS hb'));
  return rows.filter((r) => r.hb !== null && nowNs - BigInt(r.hb) < ALIVE_NS).map((r) => r.id);
}

/**
 * Who may log in (users, sessions, API tokens) is kept across a restore: an older backup must
 * not bring back a revoked token or a forgotten password, nor log out the admin who restores.
 */
export async function readLogins(db: Knex): Promise<Logins> {
  const out = {} as Logins;
  for (const table of LOGIN_TABLES) out[table] = await db(table).select('*');
  return out;
}

export async function writeLogins(db: Knex, logins: Logins): Promise<void> {
  await db.transaction(async (trx) => {
    for (const table of [...LOGIN_TABLES].reverse()) await trx(table).del();
    for (const table of LOGIN_TABLES) {
      for (let i = 0; i < logins[table].length; i += 100) await trx(table).insert(logins[table].slice(i, i + 100));
    }
  });
}
