/**
 * Runs the built `bitarr` command the way a user does, and reads its database the way a second
 * process would. Tests assert what a user sees: exit codes, JSON, findings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ScanJson {
  scanId: number;
  status: 'completed' | 'interrupted' | 'aborted';
  reason: string | null;
  algorithm: string;
  roots: Array<{ path: string; device: { source: string | null; fsType: string | null; uuid: string | null; mountPoint: string | null } }>;
  devices: unknown[];
  startedAt: string;
  endedAt: string;
  files: number;
  bytes: number;
  counts: Record<string, number>;
  findings: Array<{ path: string; root: string; status: string; detail: string | null }>;
  timing: { wallMs: number; databaseWriteMs: number; databaseReadMs: number; workers: number; nativeReads: number };
}

export function start(args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const env = { ...process.env, ...opts.env };
  if (!opts.env?.BITARR_CONFIG_DIR) delete env.BITARR_CONFIG_DIR;
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid, env });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const bitarr = (args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}) => collect(start(args, opts));

/** `bitarr scan --json`; throws with stderr when stdout is not the one JSON object. */
export async function scan(roots: string | string[], configDir: string, extra: string[] = [], opts: { uid?: number; gid?: number } = {}) {
  const r = await bitarr(['scan', ...[roots].flat(), '--config-dir', configDir, '--json', ...extra], opts);
  let json: ScanJson;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`scan printed no JSON (exit ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 500)}`);
  }
  return { ...r, json };
}

/** path → finding, for the files that are not ok. */
export const byPath = (j: ScanJson) => Object.fromEntries(j.findings.map((f) => [f.path, f.status]));

/** Only the alarms (the findings that must never be false). */
export const alarms = (j: ScanJson) => j.findings.filter((f) => ['corrupted', 'unreadable', 'unstable'].includes(f.status));

export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'bitarr-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The scanner's database, opened by a second process as an observer. */
export function openDb(configDir: string): Knex {
  return knexFactory({ client: 'sqlite3', connection: { filename: join(configDir, 'bitarr.db') }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
}

/** Everything a user could have stored, to prove a refused command changed nothing. */
export async function dump(configDir: string): Promise<string> {
  const db = openDb(configDir);
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ['scans', 'scan_roots', 'baselines', 'scan_findings', 'scan_hosts', 'storage_devices', 'mounts', 'knex_migrations']) {
      out[table] = await db(table).select('*').orderBy(table === 'baselines' ? 'path' : 'id');
    }
    return JSON.stringify(out, (_k, v) => (Buffer.isBuffer(v) || (v && v.type === 'Buffer') ? Buffer.from(v).toString('hex') : v));
  } finally {
    await db.destroy();
  }
}

/** Resolves once the running scan has saved progress for at least `files` files. */
export async function waitForProgress(configDir: string, files: number, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(join(configDir, 'bitarr.db'))) {
    if (Date.now() > until) throw new Error(`no database appeared in ${configDir}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const db = openDb(configDir);
  try {
    for (;;) {
      const row = await db('scans').where({ status: 'running' }).max({ n: 'files_done' }).first().catch(() => undefined);
      if (Number(row?.n ?? 0) >= files) return;
      if (Date.now() > until) throw new Error(`no scan reached ${files} files within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await db.destroy();
  }
}

/**
 * Starts a throttled `scan --json` and resolves once it has saved progress, so the caller can
 * interrupt it mid-scan. `done` resolves with the process's result.
 */
export async function startScanMidway(root: string, configDir: string, rate = '1M') {
  const child = start(['scan', root, '--config-dir', configDir, '--json', '--max-rate', rate, '--threads', '2']);
  const done = collect(child);
  await waitForProgress(configDir, 1);
  return { child, done };
}

/** A knex on any SQLite file (a backup, a copy), closed after `fn`. */
export async function inSqliteFile<T>(file: string, fn: (db: Knex) => Promise<T>): Promise<T> {
  const db = knexFactory({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}
