import test from 'ava';
import { explainEvent, toEventFiles } from '../../../src/domain/events/explain.js';
import { SEVERITY_RULES, assessSeverity } from '../../../src/domain/events/severity.js';
import { DEFAULT_EVENT_SETTINGS } from '../../../src/domain/events/types.js';
import type { DamagedFile, EventEvidence } from '../../../src/domain/events/types.js';
import { GiB, KiB, MiB, disk, file, unmapped } from './fixtures.js';

const none: EventEvidence = { smartGrowth: [], recurrences: [] };
const judge = (files: DamagedFile[], evidence: EventEvidence = none) => {
  const e = explainEvent(toEventFiles(files, 1), evidence, disk, DEFAULT_EVENT_SETTINGS);
  return { severity: e.severity, rules: e.reasons.map((r) => r.rule), texts: e.reasons.map((r) => r.text) };
};
const one = file('/photos/2019/IMG_0042.jpg', 'corrupted', [GiB, 4 * KiB]);

test('every rule in the table has a test here', (t) => {
  // Adding a rule without a test below fails this list.
  t.deepEqual(
    SEVERITY_RULES.map((r) => `${r.id}:${r.severity}`),
    ['unreadable-file:severe', 'smart-grew:severe', 'recurrence:severe', 'unstable-read:moderate', 'several-clusters:moderate', 'several-files:moderate', 'one-file:minor'],
  );
});

test('one-file: a single corrupted file is minor and the reason names it', (t) => {
  const r = judge([one]);
  t.is(r.severity, 'minor');
  t.deepEqual(r.rules, ['one-file']);
  t.is(r.texts[0], 'one file damaged: /photos/2019/IMG_0042.jpg');
});

test('unreadable-file: one unreadable file is severe on its own, and the one-file reason is kept below it', (t) => {
  const r = judge([file('/vm/disk.qcow2', 'unreadable', [GiB, MiB])]);
  t.is(r.severity, 'severe');
  t.deepEqual(r.rules, ['unreadable-file', 'one-file']);
  t.regex(r.texts[0], /1 file could not be read at all .*I\/O error.*: \/vm\/disk\.qcow2/);
  // Unmapped does not soften it.
  t.is(judge([unmapped('/vm/disk.qcow2', 'unreadable')]).severity, 'severe');
});

test('smart-grew: SMART counts that grew make even one file severe, and the reason gives the numbers', (t) => {
  const r = judge([one], { smartGrowth: [{ counter: 'reallocated', before: 8, after: 24 }, { counter: 'pending', before: 0, after: 3 }], recurrences: [] });
  t.is(r.severity, 'severe');
  t.is(r.rules[0], 'smart-grew');
  t.is(r.texts[0], 'SMART counts grew while files were damaged: reallocated sectors 8 → 24, pending sectors 0 → 3');
});

test('recurrence: damage back in the region of a resolved event is severe and names that event', (t) => {
  const r = judge([one], { smartGrowth: [], recurrences: [{ eventId: 7, scanId: 3, start: GiB, end: GiB + 4 * KiB }] });
  t.is(r.severity, 'severe');
  t.is(r.rules[0], 'recurrence');
  t.regex(r.texts[0], /event #7 was resolved/);
  t.regex(r.texts[0], /bytes 1073741824–1073745920/);
});

test('unstable-read: reads that disagree are moderate even for one file', (t) => {
  const r = judge([file('/db/pg.dat', 'unstable', [GiB, MiB])]);
  t.is(r.severity, 'moderate');
  t.deepEqual(r.rules, ['unstable-read', 'one-file']);
  t.regex(r.texts[0], /two reads gave different bytes for 1 file: \/db\/pg\.dat/);
});

test('several-files: two files in one spot are moderate and the reason names them', (t) => {
  const r = judge([one, file('/photos/2019/IMG_0043.jpg', 'corrupted', [GiB + 4 * KiB, 4 * KiB])]);
  t.is(r.severity, 'moderate');
  t.deepEqual(r.rules, ['several-files']);
  t.is(r.texts[0], '2 files damaged: /photos/2019/IMG_0042.jpg, /photos/2019/IMG_0043.jpg');
  const band = judge(['/a', '/b', '/c'].map((p, i) => file(p, 'corrupted', [GiB + i * MiB, MiB])));
  t.regex(band.texts[0], /3 files damaged side by side \(a band\)/);
});

test('several-clusters: two regions far apart are moderate', (t) => {
  const r = judge([one, file('/other', 'corrupted', [100 * GiB, 4 * KiB])]);
  t.is(r.severity, 'moderate');
  t.deepEqual(r.rules, ['several-clusters', 'several-files']);
  t.is(r.texts[0], 'damage in 2 separate regions of the disk');
});

test('highest severity wins and every matching reason is kept, severe first', (t) => {
  const r = judge(
    [file('/a', 'unreadable', [GiB, 4 * KiB]), file('/b', 'unstable', [50 * GiB, 4 * KiB])],
    { smartGrowth: [{ counter: 'uncorrectable', before: 1, after: 2 }], recurrences: [] },
  );
  t.is(r.severity, 'severe');
  t.deepEqual(r.rules, ['unreadable-file', 'smart-grew', 'unstable-read', 'several-clusters', 'several-files']);
});

test('severity is evidence only: no rule looks at how many files the device holds', (t) => {
  // A thousand rotten files in one band are moderate, the same as three: the band itself, not a share, is the evidence.
  const many = Array.from({ length: 1000 }, (_, i) => file(`/f${String(i).padStart(4, '0')}`, 'corrupted', [GiB + i * 64 * KiB, 64 * KiB]));
  t.is(judge(many).severity, 'moderate');
  // An empty event (nothing matches) is minor with no reasons rather than a crash.
  t.deepEqual(assessSeverity({ files: [], unreadable: [], unstable: [], clusters: [], pattern: 'unlocated', smartGrowth: [], recurrences: [], listLimit: 10 }), {
    severity: 'minor',
    reasons: [],
  });
});

test('a rules table in any order still puts the severe reasons first', (t) => {
  const facts = { files: ['/a'], unreadable: ['/a'], unstable: [], clusters: [], pattern: 'one-file' as const, smartGrowth: [], recurrences: [], listLimit: 10 };
  const rules = [...SEVERITY_RULES].reverse();
  t.deepEqual(assessSeverity(facts, rules).reasons.map((r) => r.rule), ['unreadable-file', 'one-file']);
});
