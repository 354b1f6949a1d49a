/** Growth since the previous collection, and the projection to the failing range. */
import test from 'ava';
import { analyseTrends, assessHealth, leastSquaresSlope, metricValues, type HealthSample } from '../../src/domain/health/index.js';
import { ataWith } from './synthetic.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const samples = (metric: string, values: Array<[day: number, value: number]>): HealthSample[] =>
  values.map(([day, value]) => ({ atMs: T0 + day * DAY, metrics: { [metric]: value } }));

test('least squares: the slope of the best line, or null when there is no line', (t) => {
  t.is(leastSquaresSlope([[0, 0], [1, 2], [2, 4]]), 2);
  t.is(leastSquaresSlope([[0, 1], [1, 2], [2, 2], [3, 4]]), 0.9);
  t.is(leastSquaresSlope([[5, 1], [5, 9]]), null);
  t.is(leastSquaresSlope([[0, 1]]), null);
});

test('reallocated sectors growing 4 a month: a warning that they grew, and the days until 17', (t) => {
  const trend = analyseTrends(samples('reallocated_sectors', [[0, 0], [30, 4], [60, 8]]));
  t.deepEqual(trend.growth, [{ metric: 'reallocated_sectors', from: 4, to: 8, sinceMs: T0 + 30 * DAY }]);
  const p = trend.projections.find((x) => x.metric === 'reallocated_sectors')!;
  t.is(p.current, 8);
  t.is(p.failingAt, 17);
  t.is(Math.round(p.perMonth! * 1000) / 1000, 4.058);
  t.is(p.daysToFailing, 67.5);
  t.deepEqual(trend.reasons.map((r) => [r.code, r.severity]), [['count_grew', 'warning'], ['projected_failure', 'info']]);
  t.regex(trend.reasons[0].message, /reallocated sectors went from 4 to 8 since 2026-01-31/);
  t.regex(trend.reasons[1].message, /in about 68 days/);
});

test('a flat or falling count is no growth and has no projection', (t) => {
  const flat = analyseTrends(samples('reallocated_sectors', [[0, 3], [30, 3], [60, 3]]));
  t.deepEqual(flat.growth, []);
  t.deepEqual(flat.reasons, []);
  t.like(flat.projections[0], { perMonth: 0, daysToFailing: null });
  const falling = analyseTrends(samples('reallocated_sectors', [[0, 9], [30, 5]]));
  t.deepEqual(falling.growth, []);
  t.is(falling.projections[0].daysToFailing, null);
});

test('a count already in its failing range projects 0 days', (t) => {
  const trend = analyseTrends(samples('pending_sectors', [[0, 3], [10, 2]]));
  t.is(trend.projections[0].daysToFailing, 0);
  t.deepEqual(trend.reasons, [], 'pending sectors that fell are not growth');
});

test('wear grows by design: endurance used is projected but its growth is not a warning', (t) => {
  const trend = analyseTrends(samples('percentage_used', [[0, 50], [100, 60]]));
  t.is(trend.growth.length, 1);
  t.deepEqual(trend.reasons.map((r) => r.code), []);
  t.is(trend.projections[0].failingAt, 101);
  t.is(trend.projections[0].daysToFailing, 410);
});

test('spare capacity falls toward its failing range (lower is worse)', (t) => {
  const trend = analyseTrends(samples('spare_margin', [[0, 60], [100, 40]]));
  t.deepEqual(trend.growth.map((g) => [g.from, g.to]), [[60, 40]]);
  t.is(trend.projections[0].failingAt, -1);
  t.is(trend.projections[0].daysToFailing, 205);
});

test('history in any order, with gaps in a metric, is read in time order', (t) => {
  const history: HealthSample[] = [
    { atMs: T0 + 60 * DAY, metrics: { reallocated_sectors: 8 } },
    { atMs: T0, metrics: { reallocated_sectors: 0 } },
    { atMs: T0 + 45 * DAY, metrics: {} },
    { atMs: T0 + 30 * DAY, metrics: { reallocated_sectors: 4 } },
  ];
  const trend = analyseTrends(history);
  t.like(trend.growth[0], { from: 4, to: 8 });
  t.is(trend.projections[0].daysToFailing, 67.5);
});

test('one collection: nothing grew and there is no rate yet', (t) => {
  const trend = analyseTrends(samples('reallocated_sectors', [[0, 4]]));
  t.deepEqual(trend.growth, []);
  t.like(trend.projections[0], { perMonth: null, daysToFailing: null });
});

test('assessHealth with a history: a drive whose reallocated count grew warns, though 4 alone is only noted', (t) => {
  const now = ataWith(5, 4);
  t.is(assessHealth(now).verdict, 'passed');
  const history: HealthSample[] = [
    { atMs: T0, metrics: metricValues(ataWith(5, 1)) },
    { atMs: T0 + 7 * DAY, metrics: metricValues(now) },
  ];
  const a = assessHealth(now, { history });
  t.is(a.verdict, 'warning');
  t.truthy(a.reasons.find((r) => r.code === 'count_grew' && r.metric === 'reallocated_sectors'));
  // 3 more in a week: (17 - 4) / (3 / 7) days to the failing range.
  t.is(Math.round(a.trends!.projections.find((p) => p.metric === 'reallocated_sectors')!.daysToFailing! * 10) / 10, 30.3);
});
