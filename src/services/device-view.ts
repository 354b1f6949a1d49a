/**
 * Hosts → storage devices → mounts as JSON: one shape for `bitarr devices --json`, the JSON API
 * and the dashboard, so the three never disagree.
 */
import { LEVEL_RANK, METRIC_RULES, rangeOf, readMetrics, type HealthReason, type Level, type MetricReading, type MetricRule, type TrendAnalysis } from '../domain/health/index.js';
import { UNUSED_ATTRIBUTE_NAME } from '../domain/health/metric-rules.js';
import { ATTRIBUTE_THRESHOLD_RULES, NVME_CRITICAL_WARNING_BITS } from '../domain/health/reason-rules.js';
import type { NvmeHealthLog, ScsiHealth, SmartReport } from '../domain/health/report.js';
import type { HealthRow } from '../repositories/health.repository.js';
import type { DeviceService, DeviceView, HostView } from './device.service.js';
import type { EventService } from './event.service.js';
import { TEMPERATURE } from './health.service.js';

const isoFromNs = (ns: bigint | null) => (ns === null ? null : new Date(Number(ns / 1_000_000n)).toISOString());

export function hostJson(h: HostView) {
  return {
    id: h.id,
    hostname: h.hostnameOverride || h.hostname,
    displayName: h.displayName,
    addresses: h.addressOverride ? [h.addressOverride, ...h.addresses] : h.addresses,
    local: h.isLocal,
    lastSeen: isoFromNs(h.lastSeenNs),
    devices: h.devices.map(deviceJson),
  };
}

export function deviceJson(d: DeviceView) {
  return {
    id: d.id,
    identity: { kind: d.identityKind, value: d.identityValue },
    fsType: d.fsType,
    uuid: d.fsUuid,
    label: d.label,
    devicePath: d.devicePath,
    type: d.type,
    evidence: d.evidence,
    network: d.network,
    rotational: d.rotational,
    transport: d.transport,
    model: d.model,
    serial: d.serial,
    wwn: d.wwn,
    sizeBytes: d.sizeBytes,
    present: d.present,
    detectedBy: d.detectedBy,
    unknown: d.unknown,
    warnings: d.warnings,
    firstSeen: isoFromNs(d.firstSeenNs),
    lastSeen: isoFromNs(d.lastSeenNs),
    mounts: d.mounts.map((m) => ({ mountPoint: m.mountPoint, fsRoot: m.fsRoot, fsType: m.fsType, source: m.source, options: m.options, present: m.present })),
  };
}

export type HostJson = ReturnType<typeof hostJson>;
export type DeviceJson = ReturnType<typeof deviceJson>;

/** Devices seen once and gone now (an unplugged USB disk) keep their history; `all` shows them. */
export const presentOnly = (hosts: HostView[], all: boolean): HostView[] =>
  hosts.map((h) => ({ ...h, devices: h.devices.filter((d) => all || d.present) }));

/** The dashboard: every host's devices with the number of bitrot events still open on each. */
/** What the dashboard shows beside each device: its latest health and when a scan last verified it. */
export interface DashboardFacts {
  latestHealth(): Promise<Map<number, { verdict: string; score: number | null; collectedAtNs: bigint }>>;
  lastVerified(): Promise<Map<number, { scanId: number; endedAtNs: bigint }>>;
}

export async function dashboardHosts(devices: DeviceService, events: EventService, opts: { all?: boolean; facts?: DashboardFacts } = {}) {
  const [model, list, health, verified] = await Promise.all([
    devices.model(),
    events.list({ statuses: ['open', 'acknowledged'] }),
    opts.facts?.latestHealth() ?? new Map(),
    opts.facts?.lastVerified() ?? new Map(),
  ]);
  const hosts = presentOnly(model, opts.all ?? false);
  const open = new Map<number, number>();
  for (const e of list) open.set(e.deviceId, (open.get(e.deviceId) ?? 0) + 1);
  return hosts.map((h) => {
    const json = hostJson(h);
    return {
      ...json,
      devices: json.devices.map((d) => {
        const hh = health.get(d.id);
        const v = verified.get(d.id);
        return {
          ...d,
          openEvents: open.get(d.id) ?? 0,
          health: hh ? { verdict: hh.verdict, score: hh.score, checkedAt: isoFromNs(hh.collectedAtNs) } : null,
          lastVerified: v ? { scanId: v.scanId, at: isoFromNs(v.endedAtNs) } : null,
        };
      }),
    };
  });
}

// ——— Health: the SMART table of the latest check and the history as charts ———

type RowVerdict = Level | null;

/** One line of the SMART table: an ATA attribute, or a field of the NVMe or SCSI health log. */
export interface SmartRow {
  id: number | null;
  name: string;
  /** ATA: the normalised value; otherwise the field's value. */
  value: number | null;
  worst: number | null;
  thresh: number | null;
  /** ATA: the raw value as smartctl printed it. */
  raw: string | null;
  /** Ours, from the rule tables; null: no rule judges this line. */
  verdict: RowVerdict;
  reasons: string[];
  /** Where the rule that gave the verdict comes from. */
  source: string | null;
}

const DRIVE_THRESHOLD = 'the drive’s own threshold (smartctl WHEN_FAILED)';
/** Vendor-specific error rates no rule judges (see metric-rules.ts). */
const RATES = new Set([1, 7, 195]);

function ruleSource(rule: MetricRule): string {
  if (rule.ranges.some((r) => r.afr !== undefined)) return 'Backblaze drive stats, Scrutiny’s buckets';
  return rule.ranges.map((r) => r.note).find((n) => n && /Scrutiny|thomas-krenn/.test(n)) ?? 'Bitarr’s rule table';
}

function rangeText(rule: MetricRule, value: number): string {
  const r = rangeOf(rule, value);
  const span = r.max === Number.POSITIVE_INFINITY ? `${r.min} or more` : r.min === Number.NEGATIVE_INFINITY ? `${r.max} or less` : r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`;
  const afr = r.afr === undefined ? '' : `; Backblaze drives there failed at ${typeof r.afr === 'number' ? r.afr : r.afr.join('–')}% a year`;
  return `${rule.label} ${value}: ${r.level === 'ok' ? 'ok' : r.level} range (${span})${afr}${r.note ? ` — ${r.note}` : ''}`;
}

const worse = (a: RowVerdict, b: RowVerdict): RowVerdict => (a === null ? b : b === null ? a : LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a);

/** The verdict of a line that a metric rule reads, with the growth and projections the check recorded for it. */
function judged(reading: MetricReading | undefined, stored: readonly HealthReason[]): Pick<SmartRow, 'verdict' | 'reasons' | 'source'> | null {
  if (!reading) return null;
  const rule = METRIC_RULES.find((r) => r.metric === reading.metric)!;
  const row: Pick<SmartRow, 'verdict' | 'reasons' | 'source'> =
    reading.value === null
      ? { verdict: 'info', reasons: [`${reading.note ?? 'the raw value could not be read as a count'}; not judged`], source: 'Bitarr' }
      : { verdict: rangeOf(rule, reading.value).level, reasons: [rangeText(rule, reading.value)], source: ruleSource(rule) };
  for (const r of stored.filter((s) => s.metric === rule.metric && s.code !== rule.metric && s.code !== 'raw_value_unreadable')) {
    row.verdict = worse(row.verdict, r.severity);
    row.reasons.push(r.message);
  }
  return row;
}

function ataRows(report: SmartReport, readings: MetricReading[], stored: readonly HealthReason[]): SmartRow[] {
  return (report.ata?.attributes ?? []).map((a) => {
    const row: SmartRow = { id: a.id, name: a.name, value: a.value, worst: a.worst, thresh: a.thresh, raw: a.rawString || (a.raw === null ? null : String(a.raw)), verdict: null, reasons: [], source: null };
    const reading = readings.find((r) => r.source === a.id);
    const metric = judged(reading, stored);
    if (metric) Object.assign(row, metric);
    // The count judged, where smartctl's rendering does not start with it (a vendor-packed raw value).
    if (reading && reading.value !== null && row.raw !== null && !new RegExp(`^${reading.value}\\b`).test(row.raw)) row.raw += ` (read as ${reading.value})`;
    const own = ATTRIBUTE_THRESHOLD_RULES.find((r) => r.whenFailed === a.whenFailed && r.prefailure === a.prefailure);
    if (own) {
      row.verdict = worse(row.verdict, own.severity);
      row.reasons.unshift(`the normalised value ${own.message}`);
      row.source = row.source ? `${DRIVE_THRESHOLD}; ${row.source}` : DRIVE_THRESHOLD;
    } else if (!metric) {
      const positive = a.thresh !== null && a.thresh > 0 && a.value !== null;
      if (positive) Object.assign(row, { verdict: 'ok', reasons: [`normalised value ${a.value} above the manufacturer’s threshold ${a.thresh}`], source: DRIVE_THRESHOLD });
      row.reasons.push(RATES.has(a.id) ? 'a vendor-specific error rate: no count to judge' : UNUSED_ATTRIBUTE_NAME.test(a.name) ? 'not used on this model' : 'no rule of ours reads its raw value');
    }
    return row;
  });
}

const field = (name: string, value: number | null, extra: Partial<SmartRow> = {}): SmartRow => ({ id: null, name, value, worst: null, thresh: null, raw: null, verdict: null, reasons: [], source: null, ...extra });

function nvmeRows(log: NvmeHealthLog, readings: MetricReading[], stored: readonly HealthReason[]): SmartRow[] {
  const by = (source: string) => judged(readings.find((r) => r.source === source), stored) ?? {};
  const bits = NVME_CRITICAL_WARNING_BITS.filter((b) => ((log.criticalWarning ?? 0) >> b.bit) & 1);
  const warning = log.criticalWarning === null ? {} : {
    verdict: bits.reduce<RowVerdict>((v, b) => worse(v, b.severity), 'ok'),
    reasons: bits.length ? bits.map((b) => b.message) : ['no warning bit set'],
    source: 'NVMe base specification: critical warning bits',
  };
  return [
    field('Critical warning', log.criticalWarning, warning),
    field('Media and data integrity errors', log.mediaErrors, by('mediaErrors')),
    field('Available spare (%)', log.availableSpare, { thresh: log.availableSpareThreshold, ...by('spareMargin') }),
    field('Percentage used', log.percentageUsed, by('percentageUsed')),
    field('Temperature (°C)', log.temperatureC),
    field('Warning temperature time (min)', log.warningTempMinutes),
    field('Critical temperature time (min)', log.criticalTempMinutes),
    field('Error log entries', log.errorLogEntries),
    field('Unsafe shutdowns', log.unsafeShutdowns),
    field('Power cycles', log.powerCycles),
    field('Power-on hours', log.powerOnHours),
    field('Data units read (512,000 bytes)', log.dataUnitsRead),
    field('Data units written (512,000 bytes)', log.dataUnitsWritten),
  ];
}

function scsiRows(scsi: ScsiHealth, readings: MetricReading[], stored: readonly HealthReason[]): SmartRow[] {
  const by = (source: string) => judged(readings.find((r) => r.source === source), stored) ?? {};
  const rows = [field('Grown defects', scsi.grownDefects, by('grownDefects'))];
  for (const op of ['read', 'write', 'verify'] as const) {
    const c = scsi[op];
    if (!c) continue;
    rows.push(field(`${op[0]!.toUpperCase()}${op.slice(1)}: uncorrected errors`, c.uncorrected, by(`${op}Uncorrected`)));
    rows.push(field(`${op[0]!.toUpperCase()}${op.slice(1)}: corrected errors`, c.corrected));
    rows.push(field(`${op[0]!.toUpperCase()}${op.slice(1)}: gigabytes processed`, c.gigabytesProcessed));
  }
  if (scsi.percentageUsed !== null) rows.push(field('Percentage used', scsi.percentageUsed, by('percentageUsed')));
  return rows;
}

/**
 * Every line of the latest check's SMART data with our verdict, why and whose rule: failing and
 * warning lines first (the drive's own order otherwise). `stored` are the reasons the check recorded.
 */
export function smartTable(report: SmartReport, stored: readonly HealthReason[]) {
  const readings = readMetrics(report);
  const rows = [
    ...ataRows(report, readings, stored),
    ...(report.nvme ? nvmeRows(report.nvme, readings, stored) : []),
    ...(report.scsi ? scsiRows(report.scsi, readings, stored) : []),
  ];
  const urgency = (r: SmartRow) => (r.verdict === 'critical' ? 2 : r.verdict === 'warning' ? 1 : 0);
  const i = report.identity;
  return {
    kind: report.ata ? ('ata' as const) : ('fields' as const),
    drive: {
      protocol: i.protocol,
      model: i.model,
      family: i.family,
      serial: i.serial,
      firmware: i.firmware,
      smartPassed: report.smartPassed,
      powerOnHours: report.powerOnHours,
      temperatureC: report.temperatureC,
      smartctl: report.smartctl.version,
    },
    rows: rows.map((r, k) => ({ r, k })).sort((a, b) => urgency(b.r) - urgency(a.r) || a.k - b.k).map(({ r }) => r),
  };
}

export type SmartTableJson = ReturnType<typeof smartTable>;

/** What the charts draw besides the score: the counts that mean damage, and the temperature. */
const CHARTED = ['reallocated_sectors', 'pending_sectors', 'offline_uncorrectable', 'reported_uncorrectable', 'crc_errors', 'media_errors', 'grown_defects', TEMPERATURE];
const DAY_MS = 86_400_000;
/** A projection further out than this is told, not drawn: it would squash the history to a sliver. */
const DRAWN_PROJECTION_DAYS = 366;

/** The health history as chart series (x in ms since the epoch), each counter with its projection. */
export function healthTrends(history: readonly HealthRow[], trends: TrendAnalysis | null) {
  const atMs = (h: HealthRow) => Number(h.collectedAtNs / 1_000_000n);
  const series = CHARTED.filter((m) => history.some((h) => Number.isFinite(h.counters[m]))).map((metric) => {
    const points = history.filter((h) => Number.isFinite(h.counters[metric])).map((h) => [atMs(h), h.counters[metric]!] as [number, number]);
    const p = trends?.projections.find((x) => x.metric === metric) ?? null;
    const lastMs = points[points.length - 1]![0];
    const heading = p && p.failingAt !== null && p.daysToFailing !== null && p.daysToFailing > 0 && p.perMonth !== null;
    return {
      metric,
      label: metric === TEMPERATURE ? 'temperature (°C)' : METRIC_RULES.find((r) => r.metric === metric)!.label,
      points,
      projection: heading
        ? {
            perMonth: Math.round(p.perMonth! * 10) / 10,
            failingAt: p.failingAt!,
            days: Math.ceil(p.daysToFailing!),
            line: p.daysToFailing! <= DRAWN_PROJECTION_DAYS ? [[lastMs, p.current], [lastMs + p.daysToFailing! * DAY_MS, p.failingAt!]] : null,
          }
        : null,
    };
  });
  return {
    score: history.filter((h) => h.score !== null).map((h) => [atMs(h), h.score!] as [number, number]),
    series,
    checks: history.map((h) => ({ at: new Date(atMs(h)).toISOString(), verdict: h.verdict, score: h.score, counters: Object.fromEntries(series.map((s) => [s.metric, h.counters[s.metric] ?? null])) })),
  };
}

export type HealthTrendsJson = ReturnType<typeof healthTrends>;

/**
 * JSON to place inside <script type="application/json">: `<`, `>` and `&` as \u escapes, so no
 * string in the data (a model name with `</script>` in it) can end the element or open a comment.
 */
export const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
