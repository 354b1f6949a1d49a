// Child processes for plugins and detectors: no shell, C locale (output is parsed), sbin on PATH,
// a timeout and an abort signal that kill the child. One place, so every tool call behaves alike.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandRunner } from '../shared/plugin-api.js';

// lsblk, blkid, filefrag and friends live in sbin, which a non-login shell may not have on PATH.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function searchPath(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs, ...SBIN_DIRS.filter((dir) => !dirs.includes(dir))];
}

export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: searchPath(env).join(delimiter), LC_ALL: 'C' };
}

/** The full path of an executable on PATH (plus sbin), or null. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of searchPath(env)) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CommandError';
  }
}

export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: toolEnv(),
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: options.maxBuffer ?? 256 << 20,
        encoding: 'utf8',
        signal: options.signal,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = typeof error.code === 'number' ? error.code : null;
        const why = error.signal ? `signal ${error.signal}` : code !== null ? `exit ${code}` : String(error.code ?? error.message);
        const line = [command, ...args].join(' ');
        reject(new CommandError(`${line.length > 200 ? line.slice(0, 200) + '…' : line} failed (${why}): ${stderr.trim() || error.message}`, command, code, stderr, { cause: error }));
      },
    );
  });
