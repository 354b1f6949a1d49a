/**
 * The rule table: every value is judged (no gaps between buckets, none past the last), more damage
 * never judges milder, each level follows from Backblaze's failure rates by the stated policy, and
 * the values Scrutiny lets pass silently are caught.
 */
import test from 'ava';
import { assessHealth, LEVEL_RANK, METRIC_RULES, rangeOf, type Level, type Range } from '../../src/domain/health/index.js';
import { ataWith, edited, HEALTHY_SCSI, nvmeWith } from './synthetic.js';

test('every rule covers every integer, from its lowest value to infinity, with no gap or overlap', (t) => {
  for (const rule of METRIC_RULES) {
    const [first] = rule.ranges;
    t.is(first.min, rule.worse === 'higher' ? 0 : Number.NEGATIVE_INFINITY, rule.metric);
    t.is(rule.ranges[rule.ranges.length - 1].max, Number.POSITIVE_INFINITY, rule.metric);
    rule.ranges.forEach((r, i) => {
      t.true(r.min <= r.max, `${rule.metric} ${r.min}–${r.max}`);
      if (i > 0) t.is(r.min, rule.ranges[i - 1].max + 1, `${rule.metric}: ${rule.ranges[i - 1].max} then ${r.min}`);
    });
  }
});

test('more damage never gets a milder level', (t) => {
  for (const rule of METRIC_RULES) {
    const ranks = rule.ranges.map((r) => LEVEL_RANK[r.level]);
    const ordered = rule.worse === 'higher' ? ranks : [...ranks].reverse();
    t.deepEqual(ordered, [...ordered].sort((a, b) => a - b), rule.metric);
  }
});

/** The policy in metric-rules.ts, written again from its words. */
function levelFromFailureRate(range: Range): Level {
  if (range.afr === undefined) return 'warning';
  const afr = typeof range.afr === 'number' ? range.afr : range.afr[0];
  const low = range.interval?.[0] ?? 0;
  if (afr < 5) return 'info';
  if (afr < 10 || low < 10) return 'warning';
  return 'critical';
}

test('each level follows from Backblaze’s failure rate by the stated policy (zero is the baseline)', (t) => {
  let checked = 0;
  for (const rule of METRIC_RULES.filter((r) => r.ranges.some((range) => range.afr !== undefined))) {
    let floor: Level = 'ok';
    for (const range of rule.ranges) {
      if (range.min === 0 && range.max === 0) continue;
      const fromRate = levelFromFailureRate(range);
      const expected: Level = LEVEL_RANK[fromRate] >= LEVEL_RANK[floor] ? fromRate : floor;
      floor = expected;
      if (range.note?.includes('capped at warning')) {
        t.is(range.level, 'warning', rule.metric);
        continue;
      }
      t.is(range.level, expected, `${rule.metric} ${range.min}–${range.max}`);
      checked++;
    }
  }
  t.true(checked >= 30, `${checked} ranges checked`);
});

const levelOf = (metric: string, value: number) => rangeOf(METRIC_RULES.find((r) => r.metric === metric)!, value).level;

test('values that fall between Scrutiny’s buckets or past its last one are judged, not waved through', (t) => {
  // Scrutiny: {0} then (1, …], so 1 is in no bucket; and nothing past the last bucket.
  t.is(levelOf('reallocated_sectors', 1), 'info');
  t.is(levelOf('pending_sectors', 1), 'critical');
  t.is(levelOf('offline_uncorrectable', 1), 'critical');
  t.is(levelOf('spin_retries', 1), 'warning');
  t.is(levelOf('offline_uncorrectable', 17), 'critical');
  t.is(levelOf('reported_uncorrectable', 1_000_000), 'critical');
  t.is(levelOf('reallocated_sectors', 10_000_000), 'critical');
});

const verdictOf = (report: Parameters<typeof assessHealth>[0]) => assessHealth(report).verdict;

test('one pending sector fails a drive; twenty offline-uncorrectable sectors (past Scrutiny’s last bucket) too', (t) => {
  t.is(verdictOf(ataWith(197, 0)), 'passed');
  t.is(verdictOf(ataWith(197, 1)), 'failed');
  t.is(verdictOf(ataWith(198, 20)), 'failed');
  t.is(verdictOf(ataWith(5, 3)), 'passed');
  t.is(verdictOf(ataWith(5, 10)), 'warning');
  t.is(verdictOf(ataWith(5, 17)), 'failed');
});

test('attribute 201 is judged only under a soft-read-error name', (t) => {
  t.is(verdictOf(ataWith(201, 5, { name: 'Soft_Read_Error_Rate' })), 'warning');
  t.is(verdictOf(ataWith(201, 1331519965652, { name: 'Power_Loss_Cap_Test' })), 'passed');
});

test('NVMe: endurance and spare warn before the failing line Scrutiny uses', (t) => {
  t.is(verdictOf(nvmeWith({ percentage_used: 85 })), 'passed');
  t.is(verdictOf(nvmeWith({ percentage_used: 95 })), 'warning');
  t.is(verdictOf(nvmeWith({ percentage_used: 101 })), 'failed');
  t.is(verdictOf(nvmeWith({ available_spare: 15, available_spare_threshold: 10 })), 'warning');
  t.is(verdictOf(nvmeWith({ available_spare: 9, available_spare_threshold: 10 })), 'failed');
  t.is(verdictOf(nvmeWith({ media_errors: 1 })), 'failed');
});

test('NVMe critical-warning bits are read one by one', (t) => {
  const temperatureOnly = assessHealth(nvmeWith({ critical_warning: 0b10 }));
  t.is(temperatureOnly.verdict, 'warning');
  t.deepEqual(temperatureOnly.reasons.map((r) => r.code), ['nvme_temperature']);
  const readOnly = assessHealth(nvmeWith({ critical_warning: 0b1000 }));
  t.is(readOnly.verdict, 'failed');
  t.deepEqual(readOnly.reasons.map((r) => r.code), ['nvme_read_only']);
});

test('SCSI: a few grown defects or uncorrected errors warn before they fail', (t) => {
  const scsi = (defects: number, uncorrected: number) =>
    edited(HEALTHY_SCSI, (j) => {
      j.scsi_grown_defect_list = defects;
      j.scsi_error_counter_log.read.total_uncorrected_errors = uncorrected;
    });
  t.is(verdictOf(scsi(0, 0)), 'passed');
  t.is(verdictOf(scsi(3, 0)), 'passed');
  t.is(verdictOf(scsi(10, 0)), 'warning');
  t.is(verdictOf(scsi(41, 0)), 'failed');
  t.is(verdictOf(scsi(0, 5)), 'warning');
  t.is(verdictOf(scsi(0, 11)), 'failed');
});

test('the manufacturer’s own threshold: failing now fails a pre-failure attribute; in the past, or a usage attribute, warns', (t) => {
  const withWhenFailed = (whenFailed: string, prefailure: boolean) =>
    edited('smart-ata.json', (j) => {
      const attr = j.ata_smart_attributes.table.find((a: { id: number }) => a.id === 3);
      Object.assign(attr, { when_failed: whenFailed, flags: { ...attr.flags, prefailure } });
    });
  t.is(verdictOf(withWhenFailed('now', true)), 'failed');
  t.is(verdictOf(withWhenFailed('now', false)), 'warning');
  t.is(verdictOf(withWhenFailed('past', true)), 'warning');
  t.is(verdictOf(withWhenFailed('past', false)), 'passed');
});
