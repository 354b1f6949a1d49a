/**
 * What is measured: the peers (the `cat` read floor and three hashing tools a user could run
 * instead) and Bitarr's own scans. Every tool reads the same tree, with output thrown away so
 * that only reading and hashing are compared.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from './config.js';
import type { Dataset } from './dataset.js';
import { q, shell, which } from './proc.js';

export interface Tool {
  id: string;
  label: string;
  /** Why the tool cannot run here, or null. */
  missing: string | null;
  argv(ds: Dataset): string[];
  bitarr?: BitarrRun;
}

export interface BitarrRun {
  /** `new`: a fresh config dir, every file gets its baseline. `verify`: against those baselines. */
  mode: 'new' | 'verify';
  threads: number;
}

const INSTALL = 'apt-get install -y b3sum xxhash hashdeep';
const findXargs = (ds: Dataset, cmd: string) => shell(`find ${q(ds.root)} -type f -print0 | xargs -0 ${cmd} > /dev/null`);
const missingCmd = (cmd: string, pkg: string) => (which(cmd) ? null : `${cmd} not found (Debian package ${pkg}; ${INSTALL})`);

/**
 * xxhsum 0.8.1 numbers its algorithms 0 XXH32, 1 XXH64, 2 XXH128, 3 XXH3-64; `-H3` is the 64-bit
 * XXH3, not XXH128. Bitarr's default is XXH128, so the like-for-like peer is `-H2`; this checks
 * the digest width on a probe file instead of trusting a version number.
 */
export function xxhsumFlag(tmp: string): { flag: string | null; note: string } {
  if (!which('xxhsum')) return { flag: null, note: `xxhsum not found (Debian package xxhash; ${INSTALL})` };
  const probe = join(tmp, 'xxhsum-probe');
  writeFileSync(probe, 'bitarr');
  for (const flag of ['-H2', '-H128', '-H3']) {
    const r = spawnSync('xxhsum', [flag, probe], { encoding: 'utf8' });
    const hex = /\b([0-9a-f]+)\b/.exec(r.stdout ?? '')?.[1] ?? '';
    if (r.status === 0 && hex.length === 32) return { flag, note: `xxhsum ${flag} gives a 128-bit digest (XXH128)` };
  }
  return { flag: null, note: 'xxhsum gives no 128-bit digest with -H2, -H128 or -H3: skipped' };
}

export function peers(tmp: string): { tools: Tool[]; notes: string[] } {
  const xx = xxhsumFlag(tmp);
  const tools: Tool[] = [
    {
      id: 'cat',
      label: 'cat (read floor)',
      missing: null,
      argv: (ds) => (ds.name === 'large' ? shell(`cat ${ds.paths.map(q).join(' ')} > /dev/null`) : findXargs(ds, 'cat')),
    },
    {
      id: 'b3sum',
      label: 'find | xargs b3sum',
      missing: missingCmd('b3sum', 'b3sum'),
      argv: (ds) => findXargs(ds, 'b3sum'),
    },
    {
      id: 'xxhsum',
      label: `find | xargs xxhsum ${xx.flag ?? '-H2'}`,
      missing: xx.flag ? null : xx.note,
      argv: (ds) => findXargs(ds, `xxhsum ${xx.flag}`),
    },
    {
      id: 'hashdeep',
      label: 'hashdeep -r -c sha256',
      missing: missingCmd('hashdeep', 'hashdeep'),
      argv: (ds) => shell(`hashdeep -r -c sha256 ${q(ds.root)} > /dev/null`),
    },
  ];
  return { tools, notes: [xx.note] };
}

/** Owns the config dirs: `new` makes a fresh one, `verify` reuses the last one `new` made. */
export class BitarrState {
  private n = 0;
  current: string | null = null;

  constructor(
    private readonly base: string,
    private readonly cli: string,
  ) {}

  /** The previous dir is removed: a 200k-file database is ~100 MB and only the latest is verified. */
  freshConfigDir(): string {
    if (this.current) rmSync(this.current, { recursive: true, force: true });
    this.current = join(this.base, `config-${++this.n}`);
    mkdirSync(this.current, { recursive: true });
    return this.current;
  }

  argv(ds: Dataset, r: BitarrRun, configDir: string): string[] {
    return [process.execPath, this.cli, 'scan', ds.root, '--config-dir', configDir, '--json', '--threads', String(r.threads), '--algorithm', config.bitarrAlgorithm];
  }
}

export function bitarrTools(state: BitarrState): Tool[] {
  const variants: Array<[string, string, BitarrRun]> = [
    ['bitarr-new', `bitarr scan, first (--threads ${config.bitarrThreads})`, { mode: 'new', threads: config.bitarrThreads }],
    ['bitarr-verify', `bitarr scan, verify (--threads ${config.bitarrThreads})`, { mode: 'verify', threads: config.bitarrThreads }],
  ];
  if (config.threads2) variants.push(['bitarr-verify-t2', 'bitarr scan, verify (--threads 2)', { mode: 'verify', threads: 2 }]);
  return variants.map(([id, label, r]) => ({
    id,
    label,
    missing: null,
    bitarr: r,
    // Reads the config dir at call time: run.ts makes a fresh one just before each `new` run.
    argv: (ds) => state.argv(ds, r, state.current ?? ''),
  }));
}

export interface BitarrJson {
  status: string;
  files: number;
  bytes: number;
  counts: Record<string, number>;
  timing: { wallMs: number; databaseWriteMs: number; databaseReadMs: number; workers?: number; nativeReads?: number };
}

/** Reads the head of `scan --json` output; the findings list can be 200k entries long. */
export function readBitarrJson(file: string): BitarrJson {
  const j = JSON.parse(readFileSync(file, 'utf8')) as BitarrJson;
  return { status: j.status, files: j.files, bytes: j.bytes, counts: j.counts, timing: j.timing };
}
