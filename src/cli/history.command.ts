/** `bitarr history [--limit N] [--json]` and `bitarr show SCAN_ID [--status S] [--page N] [--json]` */
import { usageError } from '../domain/errors.js';
import { ALARM_STATUSES, FINDING_STATUSES, type FindingStatus } from '../domain/findings.js';
import { ScanQueryService, type ScanSummary } from '../services/scan-query.service.js';
import { parse, positiveInt } from './args.js';
import { openContext } from './context.js';
import { bytes, duration, int, isoFromNs, table } from './format.js';
import { displayPath } from '../domain/path-bytes.js';

const PER_PAGE = 50;

function summaryJson(s: ScanSummary) {
  return {
    scanId: s.scan.id,
    status: s.scan.status,
    reason: s.scan.statusReason,
    host: { id: s.scan.hostId, hostname: s.scan.hostname, address: s.scan.hostAddress },
    algorithm: s.scan.algorithm,
    roots: s.roots.map((r) => ({ path: r.path, device: { source: r.device.source, fsType: r.device.fsType, uuid: r.device.uuid, mountPoint: r.device.mountPoint } })),
    startedAt: isoFromNs(s.scan.startedAtNs),
    endedAt: isoFromNs(s.scan.endedAtNs),
    files: s.scan.filesDone,
    bytes: Number(s.scan.bytesDone),
    counts: s.counts,
  };
}

const alarms = (s: ScanSummary) => [...ALARM_STATUSES].reduce((n, st) => n + s.counts[st], 0);
const took = (s: ScanSummary) => (s.scan.endedAtNs === null ? '' : duration(Number((s.scan.endedAtNs - s.scan.startedAtNs) / 1_000_000n)));

export async function historyCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'config-dir': { type: 'string' }, limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } });
  const limit = positiveInt(values.limit, '--limit');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const scans = await new ScanQueryService(ctx.db).history({ limit });
    if (values.json) {
      process.stdout.write(JSON.stringify({ scans: scans.map(summaryJson) }) + '\n');
      return 0;
    }
    if (!scans.length) {
      process.stdout.write('No scans yet. Start one with: bitarr scan PATH\n');
      return 0;
    }
    const rows = [['ID', 'STATUS', 'STARTED', 'TOOK', 'FILES', 'BYTES', 'ALARMS', 'ROOTS']];
    for (const s of scans) {
      rows.push([String(s.scan.id), s.scan.status, isoFromNs(s.scan.startedAtNs)!.replace('T', ' ').slice(0, 19), took(s), int(s.scan.filesDone), bytes(Number(s.scan.bytesDone)), String(alarms(s)), s.roots.map((r) => r.path).join(' ')]);
    }
    process.stdout.write(table(rows) + '\n');
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}

export async function showCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'config-dir': { type: 'string' },
    status: { type: 'string' },
    page: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0])) throw usageError('usage: bitarr show SCAN_ID [--status S] [--page N] [--json]');
  const status = values.status as FindingStatus | undefined;
  if (status && !FINDING_STATUSES.includes(status)) throw usageError(`unknown finding "${status}"; one of ${FINDING_STATUSES.join(', ')}`);
  const page = positiveInt(values.page, '--page');
  const ctx = await openContext(values['config-dir'] as string | undefined);
  try {
    const query = new ScanQueryService(ctx.db);
    const summary = await query.summary(Number(positionals[0]));
    const { total, items } = await query.findingsPage(summary.scan.id, status, page, PER_PAGE);
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    if (values.json) {
      process.stdout.write(JSON.stringify({ ...summaryJson(summary), page, pages, total, findings: items }) + '\n');
      return 0;
    }
    const s = summary.scan;
    const out = [
      `Scan ${s.id}: ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`,
      `  host ${s.hostAddress ? `${s.hostAddress} (${s.hostname})` : s.hostname}, ${s.algorithm}, started ${isoFromNs(s.startedAtNs)}${took(summary) ? `, took ${took(summary)}` : ''}`,
      ...summary.roots.map((r) => `  ${r.path} on ${[r.device.source, r.device.fsType, r.device.uuid && `UUID ${r.device.uuid}`].filter(Boolean).join(', ')}`),
      `  ${int(s.filesDone)} files, ${bytes(Number(s.bytesDone))}: ` + Object.entries(summary.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${int(n)}`).join(' · '),
      '',
      `Findings${status ? ` (${status})` : ''}: ${int(total)}, page ${page} of ${pages}`,
      ...items.map((f) => `  ${f.status.padEnd(24)} ${displayPath(f.path)}${f.detail ? `  — ${f.detail}` : ''}`),
    ];
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    await ctx.db.destroy();
  }
}
