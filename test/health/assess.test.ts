/**
 * The score and verdict: 100 less what each reason costs, and what Bitarr saw of the device
 * besides SMART (I/O errors, unreadable files, open bitrot events) counts too.
 */
import test from 'ava';
import { assessHealth, LEVEL_RANK, parseSmartctlJson, type HealthAssessment } from '../../src/domain/health/index.js';
import { allFixtures, fixture } from './fixtures.js';
import { edited, HEALTHY_ATA } from './synthetic.js';

const healthy = () => edited(HEALTHY_ATA, () => undefined);
const cost = (a: HealthAssessment) => Object.fromEntries(a.reasons.map((r) => [r.code, r.penalty]));

test('a healthy drive with nothing else known passes with 100', (t) => {
  const a = assessHealth(healthy());
  t.deepEqual([a.verdict, a.score, a.reasons], ['passed', 100, []]);
});

test('I/O errors lower the score a few points each, up to a cap, and warn', (t) => {
  const few = assessHealth(healthy(), { ioErrors: 3 });
  t.is(few.verdict, 'warning');
  t.deepEqual(cost(few), { io_errors: 15 });
  t.is(few.score, 85);
  t.is(assessHealth(healthy(), { ioErrors: 1000 }).score, 70);
  t.is(assessHealth(healthy(), { ioErrors: 0 }).score, 100);
});

test('unreadable files and open bitrot events lower the score by their own amounts', (t) => {
  const a = assessHealth(healthy(), { bitrot: { unreadableFiles: 2, openEvents: { severe: 1, moderate: 0, minor: 1 } } });
  t.deepEqual(cost(a), { unreadable_files: 10, bitrot_severe: 20, bitrot_minor: 3 });
  t.is(a.score, 67);
  t.is(a.verdict, 'warning', 'evidence from scans alone never fails a drive: it may be a cable or the filesystem');
  t.regex(a.reasons.find((r) => r.code === 'unreadable_files')!.message, /^2 files that could not be read/);
});

test('without SMART data the verdict is unknown, and scan evidence still lowers the score', (t) => {
  const parsed = parseSmartctlJson(fixture('smart-fail.json').text);
  if (parsed.kind === 'not_smartctl_json') return t.fail();
  t.is(assessHealth(parsed).score, 100, 'nothing is known against the drive');
  const a = assessHealth(parsed, { bitrot: { openEvents: { severe: 1 } }, ioErrors: 2 });
  t.is(a.verdict, 'unknown');
  t.is(a.score, 70);
});

test('the score is 100 less the penalties of the reasons, never below 0, reasons worst first', (t) => {
  for (const f of allFixtures) {
    const parsed = parseSmartctlJson(f.text);
    if (parsed.kind === 'not_smartctl_json') continue;
    const a = assessHealth(parsed, { ioErrors: 1 });
    t.is(a.score, Math.max(0, 100 - a.reasons.reduce((s, r) => s + r.penalty, 0)), f.name);
    const ranks = a.reasons.map((r) => LEVEL_RANK[r.severity]);
    t.deepEqual(ranks, [...ranks].sort((x, y) => y - x), f.name);
  }
});

test('a failed drive scores 40 or less; a drive with one warning 85', (t) => {
  const parse = (name: string) => {
    const parsed = parseSmartctlJson(fixture(name).text);
    if (parsed.kind !== 'report') throw new Error(name);
    return assessHealth(parsed);
  };
  t.is(parse('smart-nvme-failed.json').score, 40);
  t.is(parse('smart-ata-failed-scrutiny.json').score, 85);
});

test('a smartctl -H output (status only) passes but says no counter was judged', (t) => {
  const parsed = parseSmartctlJson(fixture('smart-pass.json').text);
  if (parsed.kind !== 'report') return t.fail();
  const a = assessHealth(parsed);
  t.is(a.verdict, 'passed');
  t.deepEqual(a.reasons.map((r) => [r.code, r.penalty]), [['status_only', 0]]);
});
