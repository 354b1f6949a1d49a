/**
 * Running one measured child process, and the page-cache controls around it. Every number in
 * the report is the wall time of the whole child (startup and exit included), taken with
 * performance.now() around spawn → close: that is what a user or a cron job waits for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface RunResult {
  seconds: number;
  code: number | null;
  stderr: string;
  /** Peak resident set of the measured process in KiB, when it was asked for. */
  peakRssKiB: number | null;
}

export interface RunOptions {
  /** Where stdout goes: a file (bitarr's JSON) or nowhere. */
  stdoutFile?: string;
  /** Measure peak RSS (wraps the command in /usr/bin/time -v, else polls VmHWM). */
  rss?: boolean;
}

const TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(TIME) && spawnSync(TIME, ['-v', 'true'], { stdio: 'ignore' }).status === 0;

/** Shell pipelines run under bash with pipefail, so a failing `find` is not hidden by `xargs`. */
export const shell = (script: string): string[] => ['bash', '-c', `set -o pipefail; ${script}`];

export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const rssFile = opts.rss && hasGnuTime ? `/tmp/bitarr-bench-rss-${process.pid}-${Date.now()}.txt` : null;
  const full = rssFile ? [TIME, '-v', '-o', rssFile, ...argv] : argv;
  const out = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : 'ignore';
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      // Keep the tail only: a tool that complains about every file must not fill memory.
      stderr = (stderr + d).slice(-8192);
    });
    // Without GNU time, poll the high-water mark; VmHWM only grows, so the last read before
    // exit misses at most one polling interval of growth.
    let polledKiB = 0;
    const poll =
      opts.rss && !rssFile
        ? setInterval(() => {
            try {
              const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
              if (m) polledKiB = Math.max(polledKiB, Number(m[1]));
            } catch {
              // Exited between ticks.
            }
          }, 20)
        : null;
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      if (typeof out === 'number') closeSync(out);
      let peakRssKiB: number | null = opts.rss ? polledKiB || null : null;
      if (rssFile) {
        try {
          const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(readFileSync(rssFile, 'utf8'));
          peakRssKiB = m ? Number(m[1]) : null;
        } finally {
          rmSync(rssFile, { force: true });
        }
      }
      resolve({ seconds, code, stderr, peakRssKiB });
    });
  });
}

/** Why cold runs cannot happen here, or null when they can. */
export function coldUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: dropping the page cache needs root (run `sudo npm run bench`)';
  try {
    dropCaches();
    return null;
  } catch (err) {
    return `cannot write /proc/sys/vm/drop_caches: ${(err as Error).message}`;
  }
}

/** `sync; echo 3 > /proc/sys/vm/drop_caches`: pages, dentries and inodes, so the walk is cold too. */
export function dropCaches(): void {
  spawnSync('sync', { stdio: 'ignore' });
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

export function which(cmd: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${q(cmd)}`], { stdio: 'ignore' }).status === 0;
}
