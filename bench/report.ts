/**
 * Turns measurements into the tables and the verdict on the targets. Rates are decimal
 * (MB = 10^6 bytes), like the tools being compared print them.
 */
import type { Dataset } from './dataset.js';
import type { Tool } from './tools.js';

export type Cache = 'hot' | 'cold';

export interface Row {
  tool: Tool;
  /** Median of `runs` (one run unless a hot run was short enough to repeat). */
  seconds: number;
  runs: number[];
  /** Bitarr only: from its JSON. */
  wallMs?: number;
  databaseMs?: number;
  databaseReadMs?: number;
  /** Hashing workers the scan ended with. */
  workers?: number;
  /** Files the scan read with the native reader (timing.nativeReads). */
  nativeReads?: number;
  peakRssKiB?: number | null;
  /** Anything that makes the number suspect (exit code, file count mismatch). */
  problem?: string;
}

export interface Table {
  ds: Dataset;
  cache: Cache;
  rows: Row[];
  skipped: string[];
}

/** The targets: large files ≥ 0.9× the `cat` floor; small files ≥ 1.0× `find | xargs b3sum` files/s. */
export const TARGETS = {
  large: { refId: 'cat', refName: 'cat', min: 0.9, unit: 'MB/s' as const },
  small: { refId: 'b3sum', refName: 'b3sum', min: 1.0, unit: 'files/s' as const },
};

const mbps = (ds: Dataset, s: number) => ds.bytes / 1e6 / s;
const fps = (ds: Dataset, s: number) => ds.files / s;

export function ratio(t: Table, row: Row): number | null {
  const target = TARGETS[t.ds.name];
  const ref = t.rows.find((r) => r.tool.id === target.refId && !r.problem);
  if (!ref || row.problem) return null;
  // Same bytes and files for every tool, so either rate gives the same ratio; it is time.
  return ref.seconds / row.seconds;
}

const f = (n: number, digits: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
const rss = (kib: number | null | undefined) => (kib ? `${f(kib / 1024, 0)} MiB` : '');

function cells(t: Table, row: Row): string[] {
  const r = ratio(t, row);
  const target = TARGETS[t.ds.name];
  const share = row.databaseMs !== undefined && row.wallMs ? `${f((100 * row.databaseMs) / row.wallMs, 0)}%` : '';
  const runs = row.runs.length > 1 ? ` (median of ${row.runs.length})` : '';
  return [
    row.tool.label + (row.problem ? ` — ${row.problem}` : ''),
    f(row.seconds, 2) + runs,
    f(mbps(t.ds, row.seconds), 0),
    f(fps(t.ds, row.seconds), 0),
    r === null ? '' : `${f(r, 2)}× ${target.refName}`,
    share,
    row.wallMs !== undefined ? f(row.wallMs / 1000, 2) : '',
    rss(row.peakRssKiB),
  ];
}

const HEAD = ['tool', 'seconds', 'MB/s', 'files/s', 'vs reference', 'bitarr DB write ÷ wall', 'bitarr own wallMs (s)', 'peak RSS'];

export const title = (t: Table) => `${t.ds.name} — ${t.ds.describe} — ${t.cache} cache`;

export function textTable(t: Table): string {
  const body = t.rows.map((r) => cells(t, r));
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [title(t), line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...t.skipped.map((s) => `  skipped: ${s}`)].join('\n');
}

// A `|` inside a cell (`find | xargs b3sum`) would end the cell.
const mdRow = (c: string[]) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;

export function markdownTable(t: Table): string {
  const row = mdRow;
  return [
    `#### ${title(t)}`,
    '',
    row(HEAD),
    row(HEAD.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...t.rows.map((r) => row(cells(t, r))),
    ...t.skipped.map((s) => `\nSkipped: ${s}`),
  ].join('\n');
}

export interface Verdict {
  table: Table;
  row: Row;
  ratio: number | null;
  /** The ratio had Bitarr no fixed cost: what it does per byte and per file, for diagnosis only. */
  withoutFixed: number | null;
  met: boolean;
}

export function verdicts(tables: Table[], fixedS: number | null): Verdict[] {
  const out: Verdict[] = [];
  for (const t of tables) {
    for (const row of t.rows.filter((r) => r.tool.bitarr)) {
      const r = ratio(t, row);
      const rest = fixedS === null ? 0 : row.seconds - fixedS;
      const withoutFixed = r === null || rest <= 0 ? null : (r * row.seconds) / rest;
      out.push({ table: t, row, ratio: r, withoutFixed, met: r !== null && r >= TARGETS[t.ds.name].min });
    }
  }
  return out;
}

function verdictCells(v: Verdict): string[] {
  const target = TARGETS[v.table.ds.name];
  const goal = v.table.ds.name === 'large' ? `≥ ${target.min}× cat floor (MB/s)` : `≥ ${target.min}× find|xargs b3sum (files/s)`;
  const x = (n: number | null) => (n === null ? 'n/a' : `${f(n, 2)}×`);
  return [v.table.ds.name, v.table.cache, v.row.tool.label, goal, x(v.ratio), v.ratio === null ? 'not measured' : v.met ? 'met' : 'MISSED', x(v.withoutFixed)];
}

const VHEAD = ['dataset', 'cache', 'run', 'target', 'observed', 'verdict', 'without bitarr fixed cost'];

export function textVerdicts(vs: Verdict[]): string {
  const body = vs.map(verdictCells);
  const widths = VHEAD.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  return ['Targets', line(VHEAD), ...body.map(line)].join('\n');
}

export function markdownVerdicts(vs: Verdict[]): string {
  const row = mdRow;
  return ['#### Targets', '', row(VHEAD), row(VHEAD.map(() => '---')), ...vs.map((v) => row(verdictCells(v)))].join('\n');
}
