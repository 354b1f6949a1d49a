/**
 * A device's health: a verdict, a score and the reasons for both. The score starts at 100 and
 * every reason takes off the points its rule says; the verdict is the worst severity among the
 * reasons. All judgement is in the tables (metric-rules.ts, reason-rules.ts, no-data.ts); this
 * file only applies them.
 */
import { exitFlagMeaning } from './exit-status.js';
import { LEVEL_RANK, METRIC_RULES, rangeOf, type Range } from './metric-rules.js';
import { readMetrics, type MetricReading } from './metrics.js';
import { hintsFor } from './no-data.js';
import { ATTRIBUTE_THRESHOLD_RULES, CONTEXT_RULES, EXIT_FLAG_RULES, NVME_CRITICAL_WARNING_BITS, type ContextRule } from './reason-rules.js';
import { reason, type HealthReason } from './reasons.js';
import type { NoHealthData, SmartReport } from './report.js';
import { analyseTrends, type HealthSample, type TrendAnalysis } from './trends.js';

export type Verdict = 'passed' | 'warning' | 'failed' | 'unknown';

export interface HealthContext {
  /** Kernel I/O errors counted for the device since it was last checked. */
  ioErrors?: number;
  bitrot?: {
    /** Open (not resolved, not dismissed) bitrot events on the device, by severity. */
    openEvents?: { minor?: number; moderate?: number; severe?: number };
    /** Files on the device whose last scan ended in EIO. */
    unreadableFiles?: number;
  };
  /** Every collection of this device, this one included, for growth and projections. */
  history?: readonly HealthSample[];
}

export interface HealthAssessment {
  verdict: Verdict;
  score: number;
  /** Worst first. */
  reasons: HealthReason[];
  metrics: MetricReading[];
  trends: TrendAnalysis | null;
}

export function assessHealth(input: SmartReport | NoHealthData, context: HealthContext = {}): HealthAssessment {
  const metrics = input.kind === 'report' ? readMetrics(input) : [];
  const trends = context.history?.length ? analyseTrends(context.history) : null;
  // Without SMART data the score still counts what Bitarr saw of the device; the verdict says SMART could not speak.
  const found = [
    ...(input.kind === 'report' ? smartReasons(input, metrics) : noDataReasons(input)),
    ...contextReasons(context),
    ...(trends?.reasons ?? []),
  ];
  const reasons = found
    .filter((r, i) => found.findIndex((o) => o.code === r.code && o.attribute === r.attribute && o.metric === r.metric) === i)
    .sort((a, b) => LEVEL_RANK[b.severity] - LEVEL_RANK[a.severity]);
  const score = Math.max(0, Math.min(100, 100 - reasons.reduce((sum, r) => sum + r.penalty, 0)));
  return { verdict: verdictOf(input, reasons), score, reasons, metrics, trends };
}

function verdictOf(input: SmartReport | NoHealthData, reasons: HealthReason[]): Verdict {
  if (input.kind === 'no_health_data') return 'unknown';
  if (reasons.some((r) => r.severity === 'critical')) return 'failed';
  return reasons.some((r) => r.severity === 'warning') ? 'warning' : 'passed';
}

function noDataReasons(noData: NoHealthData): HealthReason[] {
  return [
    reason('no_smart_data', 'info', `no SMART data: ${noData.message}`, { penalty: 0 }),
    ...hintsFor(noData).map((h) => reason(h.code, 'info', h.hint, { penalty: 0 })),
  ];
}

function smartReasons(report: SmartReport, metrics: MetricReading[]): HealthReason[] {
  const reasons: HealthReason[] = [];
  if (report.smartPassed === false) reasons.push(reason('smart_failed', 'critical', overallFailure(report)));
  if (!report.ata && !report.nvme && !report.scsi) {
    reasons.push(reason('status_only', 'info', 'only the overall SMART status was collected (smartctl -H), so no counter was judged', { penalty: 0, advice: 'collect with smartctl --json -x' }));
  }
  for (const a of report.ata?.attributes ?? []) {
    const rule = ATTRIBUTE_THRESHOLD_RULES.find((r) => r.whenFailed === a.whenFailed && r.prefailure === a.prefailure);
    if (rule) reasons.push(reason(rule.code, rule.severity, `attribute ${a.id} ${a.name} (value ${a.value}, threshold ${a.thresh}) ${rule.message}`, { attribute: a.id }));
  }
  // The counted forms first: of two reasons with one code, the first is kept.
  if (report.ata?.errorLogCount) reasons.push(reason('error_log', 'info', `the drive’s error log records ${report.ata.errorLogCount} past command errors (smartctl -l error)`));
  if (report.ata?.selfTestsFailed) reasons.push(reason('self_test_failed', 'warning', `${report.ata.selfTestsFailed} self-test(s) failed (smartctl -l selftest); run a long self-test again`));
  const hasAttributes = !!report.ata?.attributes.length;
  for (const rule of EXIT_FLAG_RULES) {
    if (!report.smartctl.exitStatus.flags.includes(rule.flag) || (rule.withoutAttributes && hasAttributes)) continue;
    reasons.push(reason(rule.code, rule.severity, rule.message, { advice: exitFlagMeaning(rule.flag) }));
  }
  const warningBits = report.nvme?.criticalWarning ?? 0;
  for (const bit of NVME_CRITICAL_WARNING_BITS) {
    if ((warningBits >> bit.bit) & 1) reasons.push(reason(bit.code, bit.severity, `NVMe critical warning: ${bit.message}`, { attribute: 'critical_warning' }));
  }
  for (const reading of metrics) reasons.push(...metricReasons(reading));
  return reasons;
}

function overallFailure(report: SmartReport): string {
  if (report.identity.protocol === 'NVMe') return 'the drive’s SMART status is failed (an NVMe critical warning is set)';
  if (report.identity.protocol === 'SCSI') return 'the drive reports an impending failure (SMART health status not OK)';
  return 'the drive’s own SMART health check says it is failing (overall-health: FAILED)';
}

function metricReasons(reading: MetricReading): HealthReason[] {
  const rule = METRIC_RULES.find((r) => r.metric === reading.metric)!;
  const attribute = reading.source;
  if (reading.value === null) {
    return [reason('raw_value_unreadable', 'info', `${rule.label}: ${reading.note ?? 'the raw value could not be read as a count'}; not judged`, { attribute, metric: rule.metric })];
  }
  const range = rangeOf(rule, reading.value);
  if (range.level === 'ok') return [];
  const where = typeof attribute === 'number' ? ` (attribute ${attribute}${decodedNote(reading)})` : '';
  return [
    reason(rule.metric, range.level, `${rule.label}: ${reading.value}${where}${failureRate(range)}`, {
      attribute,
      metric: rule.metric,
      value: reading.value,
      advice: rule.advice,
    }),
  ];
}

function decodedNote(reading: MetricReading): string {
  if (reading.decodedBy === 'seagate_command_timeouts') return `, decoded from Seagate’s packed raw value ${reading.raw}`;
  return '';
}

function failureRate(range: Range): string {
  if (range.afr === undefined) return '';
  const span = range.max === Number.POSITIVE_INFINITY ? `${range.min} or more` : range.min === range.max ? `${range.min}` : `${range.min}–${range.max}`;
  const rate = typeof range.afr === 'number' ? `${range.afr}%` : `${range.afr[0]}–${range.afr[1]}%`;
  return `; Backblaze drives at ${span} failed at ${rate} a year`;
}

function contextReasons(context: HealthContext): HealthReason[] {
  const events = context.bitrot?.openEvents ?? {};
  const counted: Array<[ContextRule, number | undefined]> = [
    [CONTEXT_RULES.ioErrors, context.ioErrors],
    [CONTEXT_RULES.unreadableFiles, context.bitrot?.unreadableFiles],
    [CONTEXT_RULES.severeEvents, events.severe],
    [CONTEXT_RULES.moderateEvents, events.moderate],
    [CONTEXT_RULES.minorEvents, events.minor],
  ];
  return counted
    .filter((entry): entry is [ContextRule, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .map(([rule, n]) => reason(rule.code, rule.severity, `${n} ${rule.noun}`, { value: n, advice: rule.advice, penalty: Math.min(rule.maxPenalty, rule.perUnit * n) }));
}
