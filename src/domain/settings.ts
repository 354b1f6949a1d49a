/**
 * The appliance's settings: what each one is, its default, and what a valid value is. Pure: the
 * repository stores raw values, this file decides what they mean, so a stored value that a newer
 * rule refuses falls back to its default instead of breaking a scan.
 */
import { ALGORITHMS, DEFAULT_ALGORITHM, parseAlgorithm, type Algorithm } from './algorithms.js';
import { DEFAULT_EVENT_SETTINGS } from './events/types.js';

export interface Settings {
  /** The algorithm new baselines are made with (a baseline made with another is re-baselined, never compared). */
  defaultAlgorithm: Algorithm;
  /** Hashing threads of a scan. */
  scanThreads: number;
  /** Damage closer than this on the disk is one cluster (DESIGN: default 1 MiB). */
  clusterGapBytes: number;
  /** Network storage throughput thresholds, MB/s: warn, suggest an agent on the NAS, suggest aborting. */
  networkWarnMBps: number;
  networkAgentMBps: number;
  networkAbortMBps: number;
  /** Scans older than this many days are deleted with their findings (0 keeps them for ever); see retention rule. */
  retentionDays: number;
  /** Folders the web UI and API may scan (absolute paths); outside them a scan is refused. */
  scanRoots: string[];
}

export const DEFAULT_SETTINGS: Settings = {
  defaultAlgorithm: DEFAULT_ALGORITHM,
  scanThreads: 4,
  clusterGapBytes: DEFAULT_EVENT_SETTINGS.gapBytes,
  networkWarnMBps: 50,
  networkAgentMBps: 25,
  networkAbortMBps: 10,
  retentionDays: 365,
  scanRoots: [],
};

export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[];

export interface SettingProblem {
  key: SettingKey;
  message: string;
}

const MAX_GAP = 1024 ** 3;

function wholeNumber(text: unknown, min: number, max: number): number | null {
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

function megabytes(text: unknown): number | null {
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return n > 0 && n <= 100_000 ? n : null;
}

/** One absolute path per line (or a JSON array): normalised, de-duplicated, no `..` games. */
export function parseScanRoots(input: unknown): { roots: string[]; problems: string[] } {
  const items = Array.isArray(input) ? input : typeof input === 'string' ? input.split(/\r?\n/) : [];
  const roots: string[] = [];
  const problems: string[] = [];
  for (const raw of items) {
    if (typeof raw !== 'string') {
      problems.push('a scan root must be a path');
      continue;
    }
    const p = raw.trim();
    if (!p) continue;
    if (!p.startsWith('/')) problems.push(`"${p}" is not an absolute path`);
    else if (p.split('/').some((part) => part === '..' || part === '.')) problems.push(`"${p}" must not contain . or .. parts`);
    else if (p.includes('\0')) problems.push('a path cannot contain a NUL byte');
    else {
      const clean = p.length > 1 ? p.replace(/\/+/g, '/').replace(/\/$/, '') : p;
      if (!roots.includes(clean)) roots.push(clean);
    }
  }
  return { roots, problems };
}

/**
 * Validates a partial update (form strings or JSON values). Every problem is listed at once, and
 * nothing is applied when there is one.
 */
export function validateSettings(input: Record<string, unknown>, current: Settings): { settings: Settings; problems: SettingProblem[] } {
  const next: Settings = { ...current };
  const problems: SettingProblem[] = [];
  const has = (k: SettingKey) => input[k] !== undefined;
  if (has('defaultAlgorithm')) {
    const a = typeof input.defaultAlgorithm === 'string' ? parseAlgorithm(input.defaultAlgorithm) : null;
    if (a) next.defaultAlgorithm = a;
    else problems.push({ key: 'defaultAlgorithm', message: `the algorithm must be one of ${ALGORITHMS.join(', ')}` });
  }
  if (has('scanThreads')) {
    const n = wholeNumber(input.scanThreads, 1, 64);
    if (n === null) problems.push({ key: 'scanThreads', message: 'scan threads must be a whole number from 1 to 64' });
    else next.scanThreads = n;
  }
  if (has('clusterGapBytes')) {
    const n = wholeNumber(input.clusterGapBytes, 0, MAX_GAP);
    if (n === null) problems.push({ key: 'clusterGapBytes', message: 'the cluster gap is a whole number of bytes from 0 to 1 GiB' });
    else next.clusterGapBytes = n;
  }
  for (const key of ['networkWarnMBps', 'networkAgentMBps', 'networkAbortMBps'] as const) {
    if (!has(key)) continue;
    const n = megabytes(input[key]);
    if (n === null) problems.push({ key, message: 'a throughput threshold is a number of MB/s above 0' });
    else next[key] = n;
  }
  if (!problems.some((p) => p.key.startsWith('network')) && !(next.networkWarnMBps > next.networkAgentMBps && next.networkAgentMBps > next.networkAbortMBps)) {
    problems.push({ key: 'networkAgentMBps', message: 'thresholds must go down: warn > suggest an agent > suggest aborting' });
  }
  if (has('retentionDays')) {
    const n = wholeNumber(input.retentionDays, 0, 36500);
    if (n === null) problems.push({ key: 'retentionDays', message: 'retention is a whole number of days (0 keeps scans for ever)' });
    else next.retentionDays = n;
  }
  if (has('scanRoots')) {
    const { roots, problems: rootProblems } = parseScanRoots(input.scanRoots);
    for (const message of rootProblems) problems.push({ key: 'scanRoots', message });
    next.scanRoots = roots;
  }
  return { settings: next, problems };
}

/** Stored values read back: anything a rule refuses now takes its default. */
export function settingsFromStored(stored: Partial<Record<SettingKey, unknown>>): Settings {
  const input = Object.fromEntries(SETTING_KEYS.filter((k) => stored[k] !== undefined).map((k) => [k, stored[k]]));
  let result = validateSettings(input, DEFAULT_SETTINGS);
  if (result.problems.length) {
    for (const p of result.problems) delete input[p.key];
    result = validateSettings(input, DEFAULT_SETTINGS);
    if (result.problems.length) {
      for (const k of ['networkWarnMBps', 'networkAgentMBps', 'networkAbortMBps']) delete input[k];
      result = validateSettings(input, DEFAULT_SETTINGS);
    }
  }
  return result.settings;
}

/** Whether `path` is one of `roots` or inside one (both already absolute and resolved). */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => r === '/' || path === r || path.startsWith(r.endsWith('/') ? r : r + '/'));
}
