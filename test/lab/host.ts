// Running the host's tools, and asking whether the host has them at all.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// mkfs.*, losetup and friends live in sbin, which a non-login root shell (sudo, CI steps)
// does not always have on PATH.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function searchPath(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs, ...SBIN_DIRS.filter((dir) => !dirs.includes(dir))];
}

// LC_ALL=C because output is parsed: a translated filefrag or ntfsinfo would break the parsers.
function toolEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: searchPath().join(delimiter), LC_ALL: 'C' };
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  /**
   * For helpers that fork a daemon (the FUSE mounters): the daemon inherits stdout/stderr and
   * would keep pipes open forever, so both go to this file and only the exit status is awaited.
   */
  daemonLog?: string;
}

function describe(cmd: string, args: string[]): string {
  return [cmd, ...args].join(' ');
}

export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  if (opts.daemonLog !== undefined) return runDaemonizing(cmd, args, opts.daemonLog, opts);
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: toolEnv(), timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const why = error.signal ? `signal ${error.signal}` : `exit ${String(error.code)}`;
        reject(new Error(`${describe(cmd, args)} failed (${why}): ${stderr.trim() || error.message}`, { cause: error }));
      },
    );
  });
}

async function runDaemonizing(cmd: string, args: string[], log: string, opts: RunOptions): Promise<{ stdout: string; stderr: string }> {
  const fd = openSync(log, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: toolEnv(), stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      child.on('error', (error) => (clearTimeout(timer), reject(error)));
      child.on('exit', (status) => (clearTimeout(timer), resolve(status)));
    });
    const output = readFileSync(log, 'utf8');
    if (code !== 0) throw new Error(`${describe(cmd, args)} failed (exit ${String(code)}): ${output.trim()}`);
    return { stdout: output, stderr: '' };
  } finally {
    closeSync(fd);
  }
}

/** Exit status only, for tools that answer with it (fuser -s). Output is discarded. */
export async function status(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: toolEnv(), stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal ? reject(new Error(`${describe(cmd, args)} killed by ${signal}`)) : resolve(code ?? -1)));
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function missing(need: string): string | null {
  if (need === 'root') return process.getuid?.() === 0 ? null : 'not running as root';
  if (need.startsWith('/')) return existsSync(need) ? null : `${need} does not exist`;
  return searchPath().some((dir) => isExecutable(join(dir, need))) ? null : `${need} is not installed`;
}

/**
 * Needs are 'root', a binary name, or an absolute path that must exist (a device node).
 * Returns why this host cannot run the test, or null when it can.
 */
export function hostCan(...needs: string[]): string | null {
  const reasons = needs.map(missing).filter((reason): reason is string => reason !== null);
  return reasons.length === 0 ? null : reasons.join('; ');
}
