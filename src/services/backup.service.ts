/**
 * Database backups (SQLite's online backup), restore with a confirmation, and findings export.
 * A restore first backs up what it replaces (`pre-restore-…`), so it can be undone, and keeps
 * who may log in (see readLogins).
 */
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { BitarrError, environmentError, notFoundError, usageError } from '../domain/errors.js';
import {
  BackupRepository,
  liveScans,
  readLogins,
  summarize,
  writeLogins,
  type BackupFile,
  type DatabaseSummary,
} from '../repositories/backup.repository.js';
import { databaseFile, migrationSource, type Db } from '../repositories/db.js';
import { ScanQueryService, type FindingView, type ScanSummary } from './scan-query.service.js';

export type { DatabaseSummary } from '../repositories/backup.repository.js';

export interface BackupInfo extends BackupFile {
  /** null when the file could not be read as a database (then `problem` says why). */
  summary: DatabaseSummary | null;
  problem: string | null;
  /** Migrations this build does not know: the backup was written by a newer Bitarr. */
  newerMigrations: string[];
}

export interface RestorePlan {
  backup: BackupInfo;
  current: DatabaseSummary;
  /** Why the restore would be refused now, or null. */
  refusal: string | null;
}

export interface Restored {
  restored: BackupInfo;
  /** The database as it was before, saved first: restore it to undo. */
  preRestore: BackupInfo;
  current: DatabaseSummary;
}

const conflict = (message: string) => new BitarrError('conflict', message);

/** Backups are of the SQLite file; a PostgreSQL database has its own tool. */
export function refusePostgres(config: Config): void {
  if (config.databaseUrl) {
    throw environmentError('backups of a PostgreSQL database are made with pg_dump (and restored with pg_restore), not by Bitarr');
  }
}

export class BackupService {
  private readonly files: BackupRepository;
  private readonly queries: ScanQueryService;
  /** Summaries of backup files by name, size and mtime: listing reopens nothing unchanged. */
  private readonly inspected = new Map<string, BackupInfo>();
  private restoring = false;

  constructor(
    readonly db: Db,
    readonly config: Config,
    /** True while the appliance runs a scan (its scan manager); scans of other processes are seen in the database. */
    private readonly isBusy: () => boolean = () => false,
  ) {
    this.files = new BackupRepository(join(config.configDir, 'backups'), databaseFile(config));
    this.queries = new ScanQueryService(db);
  }

  get backupsDir(): string {
    return this.files.dir;
  }

  /** True from the start of a restore to its end: a scan must not start meanwhile. */
  get isRestoring(): boolean {
    return this.restoring;
  }

  async current(): Promise<DatabaseSummary> {
    refusePostgres(this.config);
    return summarize(async (sql) => (await this.db.raw(sql)) as Array<Record<string, unknown>>);
  }

  /** Newest first, each with the summary read from the file itself. */
  async list(): Promise<BackupInfo[]> {
    refusePostgres(this.config);
    const files = await this.files.list();
    const known = new Set(files.map((f) => f.name));
    for (const name of this.inspected.keys()) if (!known.has(name)) this.inspected.delete(name);
    const out: BackupInfo[] = [];
    for (const f of files) out.push(await this.info(f));
    return out;
  }

  async get(name: string): Promise<BackupInfo> {
    refusePostgres(this.config);
    const f = await this.files.find(name);
    if (!f) throw notFoundError(`no backup named "${name}"`);
    return this.info(f);
  }

  async create(): Promise<BackupInfo> {
    refusePostgres(this.config);
    return this.info(await this.files.write('bitarr'));
  }

  async plan(name: string): Promise<RestorePlan> {
    const backup = await this.get(name);
    return { backup, current: await this.current(), refusal: (await this.refusal(backup)) ?? null };
  }

  /**
   * Replaces the database with the backup `name`. `confirm` must be the backup's name: the
   * request says which database it means to lose. Refused while a scan runs, and for a backup
   * this build cannot read or did not write.
   */
  async restore(name: string, confirm: unknown): Promise<Restored> {
    const backup = await this.get(name);
    if (typeof confirm !== 'string' || confirm.trim() !== backup.name) {
      throw usageError(`type the backup's name, ${backup.name}, to confirm that it replaces the current database`);
    }
    if (this.restoring) throw conflict('another restore is running');
    this.restoring = true;
    try {
      // The file may have changed since it was listed: check it again, fully.
      const file = await this.files.find(backup.name);
      if (!file) throw notFoundError(`no backup named "${name}"`);
      const checked = await this.info(file, { check: true });
      const refusal = await this.refusal(checked);
      if (refusal) throw conflict(refusal);
      const preRestore = await this.info(await this.files.write('pre-restore'));
      const logins = await readLogins(this.db);
      await this.files.restoreInto(this.db, backup.name);
      try {
        // An older backup lacks the migrations since; newer ones were refused above.
        await this.db.migrate.latest();
        // A database that was never set up (a fresh install restoring its old backup) takes the backup's logins.
        if (logins.users.length) await writeLogins(this.db, logins);
      } catch (err) {
        await this.files.restoreInto(this.db, preRestore.name);
        throw environmentError(`${backup.name} could not be brought up to date (${(err as Error).message}); the database is back as it was`, err);
      }
      return { restored: checked, preRestore, current: await this.current() };
    } finally {
      this.restoring = false;
    }
  }

  /** The newest scans, to export their findings. */
  recentScans(limit: number): Promise<ScanSummary[]> {
    return this.queries.history({ limit });
  }

  /** Every recorded finding of scan `id`, a page at a time; throws 404 before anything is streamed. */
  async findings(id: number): Promise<{ scanId: number; findings: AsyncIterable<FindingView> }> {
    const { scan } = await this.queries.summary(id);
    return { scanId: scan.id, findings: this.queries.allFindings(scan.id) };
  }

  private async refusal(b: BackupInfo): Promise<string | undefined> {
    if (!b.summary) return `${b.name} cannot be restored: ${b.problem}`;
    if (b.newerMigrations.length) return `${b.name} was written by a newer Bitarr (unknown migration ${b.newerMigrations[0]}); upgrade Bitarr to restore it`;
    if (b.problem) return `${b.name} cannot be restored: ${b.problem}`;
    if (this.isBusy()) return 'a scan is running: restore once it has finished or been stopped';
    const running = await liveScans(this.db);
    if (running.length) return `scan ${running[0]} is running: restore once it has finished or been stopped`;
    return undefined;
  }

  private async info(f: BackupFile, opts: { check?: boolean } = {}): Promise<BackupInfo> {
    const cached = this.inspected.get(f.name);
    if (!opts.check && cached && cached.size === f.size && cached.mtimeMs === f.mtimeMs) return cached;
    const known = new Set(await migrationSource.getMigrations([]));
    let info: BackupInfo;
    try {
      const { summary, problems } = await this.files.inspect(f.name, opts);
      const bitarr = summary.migrations.some((m) => known.has(m));
      const problem = problems.length ? `it is damaged (${problems.slice(0, 3).join('; ')})` : bitarr ? null : 'it is not a Bitarr database';
      info = { ...f, summary: bitarr ? summary : null, problem, newerMigrations: summary.migrations.filter((m) => !known.has(m)) };
    } catch (err) {
      info = { ...f, summary: null, problem: `it is not a readable SQLite database (${(err as Error).message.replace(/^SQLITE_\w+: /, '')})`, newerMigrations: [] };
    }
    if (!opts.check) this.inspected.set(f.name, info);
    return info;
  }
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. */
export function csvField(value: string | null): string {
  const s = value ?? '';
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const FINDING_CSV_COLUMNS = ['path', 'root', 'status', 'detail'] as const;

/** The findings as CSV text, a header row first, CRLF line ends, a few thousand rows a chunk. */
export async function* findingsCsv(findings: AsyncIterable<FindingView>): AsyncGenerator<string> {
  let chunk = FINDING_CSV_COLUMNS.join(',') + '\r\n';
  let n = 0;
  for await (const f of findings) {
    chunk += FINDING_CSV_COLUMNS.map((c) => csvField(f[c])).join(',') + '\r\n';
    if (++n % 2000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

/** `{"scanId":…,"findings":[{path, root, status, detail}, …]}`, a few thousand items a chunk. */
export async function* findingsJson(scanId: number, findings: AsyncIterable<FindingView>): AsyncGenerator<string> {
  let chunk = `{"scanId":${scanId},"findings":[`;
  let n = 0;
  for await (const f of findings) {
    chunk += (n ? ',' : '') + JSON.stringify({ path: f.path, root: f.root, status: f.status, detail: f.detail });
    if (++n % 2000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk + ']}\n';
}
