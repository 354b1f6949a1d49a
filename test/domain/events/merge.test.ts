import test from 'ava';
import { acknowledge, dismiss, resolve } from '../../../src/domain/events/lifecycle.js';
import { planEvents, type EventPlan } from '../../../src/domain/events/merge.js';
import type { BitrotEvent } from '../../../src/domain/events/types.js';
import { GiB, KiB, MiB, S, file, opened, scan, share, unmapped } from './fixtures.js';

const a = file('/photos/a.jpg', 'corrupted', [GiB, 4 * KiB]);
const b = file('/photos/b.jpg', 'corrupted', [GiB + 8 * KiB, 4 * KiB]);
const faraway = file('/music/far.flac', 'corrupted', [500 * GiB, MiB]);
const user = { who: 'alice', atNs: 5000n * S };

/** Store a plan the way the service would, giving a new event the next id. */
function apply(events: BitrotEvent[], plan: EventPlan): BitrotEvent[] {
  const out = events.map((e) => plan.updates.find((u) => u.id === e.id)?.event ?? e);
  if (plan.open) out.push({ ...plan.open, id: Math.max(0, ...events.map((e) => e.id)) + 1 });
  return out;
}

test('the first damage of a device opens one event, with who, when and the scan in its history', (t) => {
  const plan = planEvents(scan(3, [b, a, faraway]), []);
  t.deepEqual(plan.updates, []);
  const e = plan.open!;
  t.is(e.status, 'open');
  t.is(e.pattern, 'scattered');
  t.deepEqual(e.clusters.map((c) => c.files), [['/photos/a.jpg', '/photos/b.jpg'], ['/music/far.flac']]);
  t.deepEqual([e.firstScanId, e.lastScanId, e.openedAtNs], [3, 3, 3000n * S]);
  t.deepEqual(e.history, [
    { action: 'opened', status: 'open', who: 'bitarr', atNs: 3000n * S, note: 'scan #3 found 3 damaged files: /music/far.flac, /photos/a.jpg, /photos/b.jpg', scanId: 3 },
  ]);
  t.deepEqual(planEvents(scan(3, []), []), { updates: [], open: null });
});

test('the same scan applied twice changes nothing the second time', (t) => {
  const damage = scan(3, [a, b, faraway, unmapped('/photos/c.jpg', 'corrupted')], { smartGrowth: [{ counter: 'pending', before: 0, after: 2 }] });
  const events = apply([], planEvents(damage, []));
  t.deepEqual(planEvents(damage, events), { updates: [], open: null });
});

test('new damage in the region of an open event joins it instead of opening a duplicate', (t) => {
  const first = opened(scan(3, [a]), 1);
  t.is(first.severity, 'minor');
  const plan = planEvents(scan(4, [a, b]), [first]);
  t.is(plan.open, null);
  t.is(plan.updates.length, 1);
  const u = plan.updates[0];
  t.is(u.change, 'grew');
  t.deepEqual(u.addedFiles, ['/photos/b.jpg']);
  t.deepEqual(u.event.clusters.map((c) => c.files), [['/photos/a.jpg', '/photos/b.jpg']]);
  t.is(u.event.severity, 'moderate');
  t.is(u.event.lastScanId, 4);
  t.is(u.event.firstScanId, 3);
  t.deepEqual(u.event.history.at(-1), {
    action: 'grew',
    status: 'open',
    who: 'bitarr',
    atNs: 4000n * S,
    note: 'scan #4 added 1 damaged file: /photos/b.jpg; severity minor → moderate',
    scanId: 4,
  });
  // Joining does not make growth a recurrence: b may have been damaged all along.
  t.deepEqual(u.event.evidence.recurrences, []);
  // And again: nothing more.
  t.deepEqual(planEvents(scan(4, [a, b]), apply([first], plan)), { updates: [], open: null });
});

test('a later scan that sees the same damage only moves lastScanId', (t) => {
  const first = opened(scan(3, [a]), 1);
  const plan = planEvents(scan(9, [a]), [first]);
  t.is(plan.open, null);
  t.deepEqual(plan.updates.map((u) => [u.change, u.event.lastScanId, u.event.history.length]), [['seen-again', 9, 1]]);
});

test('an acknowledged event absorbs damage too and stays acknowledged', (t) => {
  const acked = acknowledge(opened(scan(3, [a]), 1), user);
  const u = planEvents(scan(4, [b]), [acked]).updates[0];
  t.is(u.event.status, 'acknowledged');
  t.deepEqual(u.addedFiles, ['/photos/b.jpg']);
});

test('damage far from every open event opens a new event', (t) => {
  const first = opened(scan(3, [a]), 1);
  const plan = planEvents(scan(4, [a, faraway]), [first]);
  t.deepEqual(plan.open!.files.map((f) => f.path), ['/music/far.flac']);
  t.is(plan.open!.pattern, 'one-file');
  // a was already in event 1 and only seen again.
  t.deepEqual(plan.updates.map((u) => u.change), ['seen-again']);
});

test('damage back in the region of a resolved event opens a new severe event that names it', (t) => {
  const done = resolve(opened(scan(3, [a]), 1), user, ['/photos/a.jpg']);
  // Within the gap of the old cluster, not overlapping it.
  const back = file('/photos/new.jpg', 'corrupted', [GiB + 4 * KiB + MiB - 1, 4 * KiB]);
  const plan = planEvents(scan(8, [back]), [done]);
  t.deepEqual(plan.updates, []);
  const e = plan.open!;
  t.is(e.severity, 'severe');
  t.deepEqual(e.evidence.recurrences.map((r) => r.eventId), [1]);
  t.regex(e.reasons[0].text, /event #1 was resolved/);
  t.true(e.actions.some((x) => x.code === 'replace-drive'));
  t.regex(e.history[0].note!, /recurs in the region of resolved event #1/);
  // One gap further is another region: no recurrence.
  const away = file('/photos/away.jpg', 'corrupted', [GiB + 4 * KiB + MiB, 4 * KiB]);
  t.is(planEvents(scan(8, [away]), [done]).open!.severity, 'minor');
  // Applied twice: the new event absorbs it and nothing changes.
  const events = apply([done], plan);
  t.deepEqual(planEvents(scan(8, [back]), events), { updates: [], open: null });
});

test('a dismissed event is no evidence: damage in its region is not a recurrence', (t) => {
  const gone = dismiss(opened(scan(3, [a]), 1), user);
  const plan = planEvents(scan(8, [a]), [gone]);
  t.is(plan.open!.severity, 'minor');
  t.deepEqual(plan.open!.evidence.recurrences, []);
});

test('SMART growth with the damage makes the touched event severe, once', (t) => {
  const first = opened(scan(3, [a]), 1);
  const damage = scan(4, [a], { smartGrowth: [{ counter: 'reallocated', before: 8, after: 24 }] });
  const plan = planEvents(damage, [first]);
  const u = plan.updates[0];
  t.is(u.change, 'grew');
  t.is(u.event.severity, 'severe');
  t.is(u.event.history.at(-1)!.note, 'scan #4 found more about the damaged files; SMART reallocated sectors 8 → 24; severity minor → severe');
  t.true(u.event.actions.some((x) => x.code === 'replace-drive'));
  t.deepEqual(planEvents(damage, apply([first], plan)), { updates: [], open: null });
});

test('a file already in an event joins it even when it is found somewhere else on the disk', (t) => {
  const first = opened(scan(3, [a]), 1);
  const moved = file('/photos/a.jpg', 'unreadable', [300 * GiB, 4 * KiB]);
  const plan = planEvents(scan(4, [moved]), [first]);
  t.is(plan.open, null);
  const e = plan.updates[0].event;
  t.deepEqual(e.files[0].statuses, ['unreadable', 'corrupted']);
  t.deepEqual(e.clusters.map((c) => c.start), [GiB, 300 * GiB]);
  t.is(e.severity, 'severe');
});

test('a fragmented file takes all its clusters into the event it joins', (t) => {
  const first = opened(scan(3, [a]), 1);
  const frag = file('/photos/frag.mov', 'corrupted', [GiB + 64 * KiB, 4 * KiB], [800 * GiB, 4 * KiB]);
  const other = file('/photos/next-to-frag.mov', 'corrupted', [800 * GiB + 4 * KiB, 4 * KiB]);
  const plan = planEvents(scan(4, [frag, other]), [first]);
  t.is(plan.open, null);
  t.deepEqual(plan.updates[0].addedFiles, ['/photos/frag.mov', '/photos/next-to-frag.mov']);
});

test('unlocated files join the scan\'s new event, else the open event, so a share keeps one event', (t) => {
  const s1 = scan(3, [unmapped('/mnt/photos/a.jpg', 'corrupted', 'network share')], { device: share });
  const events = apply([], planEvents(s1, []));
  t.is(events[0].pattern, 'one-file');
  t.deepEqual(events[0].unlocated, [{ path: '/mnt/photos/a.jpg', reason: 'network share' }]);
  const s2 = scan(4, [unmapped('/mnt/photos/a.jpg', 'corrupted', 'network share'), unmapped('/mnt/photos/b.jpg', 'corrupted', 'network share')], { device: share });
  const plan = planEvents(s2, events);
  t.is(plan.open, null);
  t.deepEqual(plan.updates[0].addedFiles, ['/mnt/photos/b.jpg']);
  t.is(plan.updates[0].event.pattern, 'unlocated');
  // An unlocated file already in an older event stays with it, not with the newest one.
  const older = apply([], planEvents(s1, []));
  const newer = { ...opened(scan(4, [a]), 2), openedAtNs: 4000n * S };
  const again = planEvents(scan(6, [unmapped('/mnt/photos/a.jpg', 'corrupted', 'network share')], { device: share }), [...older, newer]);
  t.deepEqual(again.updates.map((u) => [u.id, u.change]), [[1, 'seen-again']]);
  // With located damage opening a new event, the unlocated files go with it.
  const mixed = planEvents(scan(5, [faraway, unmapped('/x/lost', 'corrupted')]), [opened(scan(3, [a]), 1)]);
  t.deepEqual(mixed.open!.files.map((f) => f.path), ['/music/far.flac', '/x/lost']);
});
