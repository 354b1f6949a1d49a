/**
 * `npm run bench:appliance`: how fast the appliance's pages answer with a home lab's worth of
 * history in the database (1,000,000 files, 100 scans; see appliance-seed.ts), as a logged-in
 * browser gets them. The seeded database is cached (BENCH_APPLIANCE_CACHE, default
 * /tmp/bitarr-bench-appliance/<key>/) and copied for each run, so the run's own writes
 * (sessions, this machine's devices) never change the cache. `bitarr serve` runs as its own
 * process, as in production, so the client's work never shares its event loop.
 *
 * Knobs: BENCH_APPLIANCE_FILES (1000000), BENCH_APPLIANCE_REQUESTS (200 a URL),
 * BENCH_APPLIANCE_WARMUP (20), BENCH_APPLIANCE_CONCURRENCY (1,4), BENCH_APPLIANCE_CACHE,
 * BENCH_APPLIANCE_ONLY (parts of the paths to measure, e.g. `/devices,q=`).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { CLI, fetchOnce, loginAsAdmin, startServer, stopServer, type Server } from './appliance-client.js';
import { abandonPartialSeed, ensureSeed, type Manifest } from './appliance-seed.js';

const TARGET_MS = 100;
const log = (s = '') => process.stdout.write(s + '\n');

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return n;
}

const FILES = num('BENCH_APPLIANCE_FILES', 1_000_000);
const REQUESTS = num('BENCH_APPLIANCE_REQUESTS', 200);
const WARMUP = num('BENCH_APPLIANCE_WARMUP', 20);
const CONCURRENCY = (process.env.BENCH_APPLIANCE_CONCURRENCY || '1,4').split(',').map((c) => {
  const n = Number(c.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_APPLIANCE_CONCURRENCY must list positive integers, not "${c}"`);
  return n;
});
const CACHE = process.env.BENCH_APPLIANCE_CACHE || '/tmp/bitarr-bench-appliance';
/** Comma-separated parts of paths: only the URLs containing one are measured (a quick look at one page). */
const ONLY = (process.env.BENCH_APPLIANCE_ONLY || '').split(',').filter(Boolean);

interface Target {
  label: string;
  path: string;
  /** Pages still being built answer 404 until they exist: reported, not timed. */
  pending?: boolean;
}

function targets(m: Manifest): Target[] {
  const busiest = m.devices.find((d) => d.id === m.busiestDeviceId)!;
  const first = m.firstScanId;
  const findings = `${(m.firstScanFindings ?? m.files).toLocaleString('en-US')} findings`;
  return [
    { label: 'dashboard', path: '/' },
    { label: `device page (${busiest.kind}, ${busiest.baselines.toLocaleString('en-US')} baselines)`, path: `/devices/${busiest.id}` },
    { label: 'bitrot events', path: '/events' },
    { label: `event (${m.events.find((e) => e.id === m.biggestEventId)!.files} files)`, path: `/events/${m.biggestEventId}` },
    { label: 'scan history', path: '/scans', pending: true },
    { label: `first scan (${findings}), page 1`, path: `/scans/${first}?page=1`, pending: true },
    { label: 'first scan, page 2000', path: `/scans/${first}?page=2000`, pending: true },
    { label: 'first scan, only corrupted (it has none)', path: `/scans/${first}?status=corrupted`, pending: true },
    { label: 'first scan, search IMG_12', path: `/scans/${first}?q=IMG_12`, pending: true },
    { label: 'device JSON', path: `/api/v1/devices/${busiest.id}` },
  ];
}

interface Result {
  target: Target;
  concurrency: number;
  /** Why it was not timed ("404 not built yet", "status 500"). */
  skipped?: string;
  ms?: number[];
  serverMs?: number[];
  bytes?: number;
  errors?: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

async function measure(server: Server, cookie: string, target: Target, concurrency: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const url = server.url + target.path;
    let bytes = 0;
    for (let i = 0; i < WARMUP; i++) {
      const r = await fetchOnce(agent, url, { cookie });
      if (r.status === 404 && target.pending) return { target, concurrency, skipped: '404 not built yet' };
      if (r.status !== 200) return { target, concurrency, skipped: `status ${r.status}` };
      bytes = r.bytes;
    }
    const before = server.serverMs.length;
    const ms: number[] = [];
    let errors = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < REQUESTS) {
          next++;
          const r = await fetchOnce(agent, url, { cookie });
          ms.push(r.ms);
          if (r.status !== 200) errors++;
        }
      }),
    );
    // The request log line is written as the response ends: give the pipe a moment to catch up.
    for (let i = 0; i < 100 && server.serverMs.length < before + REQUESTS; i++) await new Promise((r) => setTimeout(r, 10));
    return { target, concurrency, ms, serverMs: server.serverMs.slice(before, before + REQUESTS), bytes, errors };
  } finally {
    agent.destroy();
  }
}

const f1 = (n: number) => n.toFixed(1);
const p95Of = (r: Result) => (r.ms ? percentile([...r.ms].sort((a, b) => a - b), 95) : null);
const verdict = (r: Result) => (r.skipped ? r.skipped : p95Of(r)! <= TARGET_MS && !r.errors ? 'met' : 'MISSED');

const HEAD = ['URL', 'what', 'KiB', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server p95', 'p95 ≤ 100 ms'];

function cells(r: Result): string[] {
  if (!r.ms) return [r.target.path, r.target.label, '', '', '', '', '', '', r.skipped!];
  const s = [...r.ms].sort((a, b) => a - b);
  const server = r.serverMs?.length ? f1(percentile([...r.serverMs].sort((a, b) => a - b), 95)) : '?';
  return [r.target.path, r.target.label, f1(r.bytes! / 1024), f1(percentile(s, 50)), f1(percentile(s, 95)), f1(percentile(s, 99)), f1(s[s.length - 1]!), server, verdict(r) + (r.errors ? ` (${r.errors} errors)` : '')];
}

function textTable(title: string, rows: Result[]): string {
  const body = rows.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 || i === c.length - 1 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [title, line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const mdRow = (c: string[]) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
const markdownTable = (title: string, rows: Result[]) =>
  [`#### ${title}`, '', mdRow(HEAD), mdRow(HEAD.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map((r) => mdRow(cells(r)))].join('\n');

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/** Bytes per table and index, when this SQLite has the dbstat table (most builds do). */
async function spaceByObject(file: string): Promise<Array<{ name: string; bytes: number }>> {
  const db = knexFactory({ client: 'sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    const rows: Array<{ name: string; bytes: number }> = await db.raw('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8');
    return rows;
  } catch {
    return [];
  } finally {
    await db.destroy();
  }
}

function busyWarning(when: string) {
  const load = loadavg()[0]!;
  if (load > 0.5) log(`WARNING ${when}: 1-minute load average ${load.toFixed(2)} on ${cpus().length} cores: something else is running, numbers will be noisy`);
}

let runDir: string | null = null;
let server: Server | null = null;
async function cleanup() {
  await stopServer(server).catch(() => undefined);
  server = null;
  abandonPartialSeed();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  runDir = null;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping the appliance and removing ${runDir ?? 'nothing'}\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (or \`npm run bench:appliance\`, which builds)`);
  log(`Bitarr appliance benchmark — Node ${process.version}, ${cpus().length} cores; ${REQUESTS} requests a URL after ${WARMUP} warm-up, concurrency ${CONCURRENCY.join(' then ')}`);
  busyWarning('at start');
  log(`Seed: ${FILES.toLocaleString('en-US')} files, 100 scans (cache ${CACHE})`);
  const seeded = await ensureSeed(CACHE, FILES, log);
  const m = seeded.manifest;
  log(
    seeded.reused
      ? `Seed: reused ${seeded.dir} (made ${m.createdAt}, seeding took ${f1(m.seedSeconds)} s)`
      : `Seed: made ${seeded.dir} in ${f1(m.seedSeconds)} s`,
  );
  log(`      ${m.baselines.toLocaleString('en-US')} baselines, ${m.findings.toLocaleString('en-US')} findings, ${m.scans} scans, ${m.devices.length} devices, ${m.events.length} events`);
  for (const d of m.devices) log(`      device ${d.id} ${d.type.padEnd(7)} ${d.mountPoint.padEnd(13)} ${d.baselines.toLocaleString('en-US').padStart(9)} baselines  ${d.name}`);

  runDir = join(CACHE, `run-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const c0 = performance.now();
  copyFileSync(join(seeded.dir, 'bitarr.db'), join(runDir, 'bitarr.db'));
  log(`Copied the database for this run in ${f1((performance.now() - c0) / 1000)} s`);

  server = await startServer(runDir);
  const cookie = await loginAsAdmin(new Agent(), server.url);
  log(`Appliance: ${server.url} (pid ${server.child.pid}), logged in as admin through /setup\n`);

  const list = targets(m).filter((t) => !ONLY.length || ONLY.some((o) => t.path.includes(o)));
  const tables: Array<{ title: string; rows: Result[] }> = [];
  for (const c of CONCURRENCY) {
    busyWarning(`before concurrency ${c}`);
    const rows: Result[] = [];
    for (const t of list) {
      const r = await measure(server, cookie, t, c);
      rows.push(r);
      log(`  c=${c} ${t.path.padEnd(28)} ${r.ms ? `p95 ${f1(p95Of(r)!)} ms` : r.skipped}`);
    }
    const title = `Concurrency ${c} — ${REQUESTS} requests a URL, ms from request to last byte (server p95: the appliance's own request log)`;
    tables.push({ title, rows });
    log();
  }
  await stopServer(server);
  server = null;

  for (const t of tables) log(textTable(t.title, t.rows) + '\n');
  const db = join(runDir, 'bitarr.db');
  const total = sizeOf(db) + sizeOf(`${db}-wal`) + sizeOf(`${db}-shm`);
  log(`Database on disk: ${mb(total)} (bitarr.db ${mb(sizeOf(db))}, WAL ${mb(sizeOf(`${db}-wal`))}); the cached seed: ${mb(sizeOf(join(seeded.dir, 'bitarr.db')))}`);
  const space = await spaceByObject(db);
  if (space.length) log(`Largest tables and indexes: ${space.map((s) => `${s.name} ${mb(s.bytes)}`).join(', ')}`);
  log();
  for (const t of list) {
    const [first, ...rest] = tables.map((tb) => tb.rows.find((r) => r.target === t)!);
    const more = rest.map((r) => (r.ms ? ` (concurrency ${r.concurrency}: p95 ${f1(p95Of(r)!)} ms, ${verdict(r)})` : '')).join('');
    log(`${t.path.padEnd(28)} ${first!.ms ? `p95 ${f1(p95Of(first!)!).padStart(7)} ms  target p95 <= ${TARGET_MS} ms: ${verdict(first!)}${more}` : first!.skipped}`);
  }
  log(`\nLoad average at the end: ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores.\n\n---- Markdown ----\n`);
  log(tables.map((t) => markdownTable(t.title, t.rows)).join('\n\n'));
}

main()
  .catch((err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
