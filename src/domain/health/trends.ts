/**
 * Trends over a device's health history: what grew since the previous collection, and at the rate
 * seen so far, how long until a counter reaches its failing range. Pure: the history is given.
 */
import { LEVEL_RANK, METRIC_RULES, rangeOf, type MetricRule } from './metric-rules.js';
import type { MetricValues } from './metrics.js';
import { DAYS_PER_MONTH, GROWTH_RULE, PROJECTION_RULE } from './reason-rules.js';
import { reason, type HealthReason } from './reasons.js';

export interface HealthSample {
  /** When the collection was made, ms since the epoch. */
  atMs: number;
  metrics: MetricValues;
}

export interface Growth {
  metric: string;
  from: number;
  to: number;
  /** When the previous value was collected. */
  sinceMs: number;
}

export interface Projection {
  metric: string;
  current: number;
  /** Least-squares slope over the whole history, per month; null with fewer than two points in time. */
  perMonth: number | null;
  /** The first value in the failing range, or null when the rule has none. */
  failingAt: number | null;
  /** 0 when already failing; null when not heading there (flat, improving) or no failing range. */
  daysToFailing: number | null;
}

export interface TrendAnalysis {
  growth: Growth[];
  projections: Projection[];
  reasons: HealthReason[];
}

const DAY_MS = 86_400_000;
export const MIN_PROJECTION_SPAN_DAYS = 1;

export function analyseTrends(history: readonly HealthSample[]): TrendAnalysis {
  const samples = [...history].sort((a, b) => a.atMs - b.atMs);
  const growth: Growth[] = [];
  const projections: Projection[] = [];
  const reasons: HealthReason[] = [];
  for (const rule of METRIC_RULES) {
    const points = samples.filter((s) => Number.isFinite(s.metrics[rule.metric])).map((s) => ({ atMs: s.atMs, value: s.metrics[rule.metric] }));
    if (!points.length) continue;
    const last = points[points.length - 1];
    const previous = points.length > 1 ? points[points.length - 2] : null;
    if (previous && gotWorse(rule, previous.value, last.value)) {
      growth.push({ metric: rule.metric, from: previous.value, to: last.value, sinceMs: previous.atMs });
      if (rule.growthIsBad) {
        reasons.push(
          reason(GROWTH_RULE.code, GROWTH_RULE.severity, `${rule.label} went from ${previous.value} to ${last.value} since ${new Date(previous.atMs).toISOString().slice(0, 10)}`, {
            metric: rule.metric,
            value: last.value,
            advice: rule.advice,
          }),
        );
      }
    }
    const projection = project(rule, points);
    projections.push(projection);
    if (projection.daysToFailing !== null && projection.daysToFailing > 0 && projection.daysToFailing <= PROJECTION_RULE.horizonDays) {
      reasons.push(
        reason(
          PROJECTION_RULE.code,
          PROJECTION_RULE.severity,
          `at ${round(Math.abs(projection.perMonth!))} a month, ${rule.label} reach the failing range (${projection.failingAt}) in about ${Math.ceil(projection.daysToFailing)} days`,
          { metric: rule.metric, value: last.value, advice: rule.advice },
        ),
      );
    }
  }
  return { growth, projections, reasons };
}

const gotWorse = (rule: MetricRule, from: number, to: number) => (rule.worse === 'higher' ? to > from : to < from);

function project(rule: MetricRule, points: { atMs: number; value: number }[]): Projection {
  const current = points[points.length - 1].value;
  const failing = rule.ranges.find((r) => r.level === 'critical') ?? null;
  const failingAt = failing === null ? null : rule.worse === 'higher' ? failing.min : failing.max;
  // Two checks minutes apart (a scan's check right after a manual one) say nothing of a monthly
  // rate: a projection needs the history to span at least MIN_PROJECTION_SPAN_DAYS.
  const spanDays = (points[points.length - 1].atMs - points[0].atMs) / DAY_MS;
  const slopePerDay = spanDays < MIN_PROJECTION_SPAN_DAYS ? null : leastSquaresSlope(points.map((p) => [(p.atMs - points[0].atMs) / DAY_MS, p.value]));
  const perMonth = slopePerDay === null ? null : slopePerDay * DAYS_PER_MONTH;
  let daysToFailing: number | null = null;
  if (failingAt !== null && LEVEL_RANK[rangeOf(rule, current).level] === LEVEL_RANK.critical) daysToFailing = 0;
  else if (failingAt !== null && slopePerDay !== null && slopePerDay !== 0) {
    const days = (failingAt - current) / slopePerDay;
    daysToFailing = days > 0 ? days : null;
  }
  return { metric: rule.metric, current, perMonth, failingAt, daysToFailing };
}

/** Slope of the least-squares line through (x, y); null when all x are equal. */
export function leastSquaresSlope(points: [number, number][]): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

const round = (n: number) => (n >= 10 ? Math.round(n).toString() : n.toFixed(1));
