import test from 'ava';
import { BitarrError } from '../../../src/domain/errors.js';
import { EventTransitionError, acknowledge, allowedActions, dismiss, resolve, transition } from '../../../src/domain/events/lifecycle.js';
import { GiB, KiB, S, file, opened, scan, unmapped } from './fixtures.js';

const event = opened(scan(1, [file('/photos/a.jpg', 'corrupted', [GiB, 4 * KiB]), unmapped('/photos/b.jpg', 'unreadable')]), 5);
const alice = (sec: bigint, note?: string) => ({ who: 'alice', atNs: sec * S, note });

test('acknowledge records who, when and the note, and leaves the input as it was', (t) => {
  const acked = acknowledge(event, alice(2000n, '  replacing the disk on Friday '));
  t.is(acked.status, 'acknowledged');
  t.is(acked.updatedAtNs, 2000n * S);
  t.deepEqual(acked.history.at(-1), { action: 'acknowledged', status: 'acknowledged', who: 'alice', atNs: 2000n * S, note: 'replacing the disk on Friday' });
  t.is(acked.history.length, 2);
  t.is(event.status, 'open');
  t.is(event.history.length, 1);
  t.is(acknowledge(event, alice(2000n, '   ')).history.at(-1)!.note, null);
});

test('resolve is refused, naming the files, until every file has verified good again', (t) => {
  const acked = acknowledge(event, alice(2000n));
  const err = t.throws(() => resolve(acked, alice(3000n), ['/photos/a.jpg']), { instanceOf: EventTransitionError })!;
  t.is(err.kind, 'conflict');
  t.is(err.status, 409);
  t.is(err.refusal, 'not-verified');
  t.deepEqual(err.unverified, ['/photos/b.jpg']);
  t.is(err.message, 'event #5 cannot be resolved yet: 1 file has not verified good since the damage: /photos/b.jpg. Restore it, rescan, then resolve.');
  const none = t.throws(() => resolve(acked, alice(3000n), new Set()), { instanceOf: EventTransitionError })!;
  t.deepEqual(none.unverified, ['/photos/a.jpg', '/photos/b.jpg']);
  t.regex(none.message, /2 files have not verified good/);

  const done = resolve(acked, alice(3000n, 'restored from the Sunday backup'), new Set(['/photos/a.jpg', '/photos/b.jpg', '/unrelated']));
  t.is(done.status, 'resolved');
  t.deepEqual(done.history.map((h) => [h.action, h.who]), [['opened', 'bitarr'], ['acknowledged', 'alice'], ['resolved', 'alice']]);
  t.is(done.history.at(-1)!.note, 'restored from the Sunday backup');
});

test('open events can be resolved or dismissed directly', (t) => {
  t.is(resolve(event, alice(3000n), ['/photos/a.jpg', '/photos/b.jpg']).status, 'resolved');
  const d = dismiss(event, alice(3000n, 'I edited those files on purpose'));
  t.is(d.status, 'dismissed');
  t.is(d.history.at(-1)!.note, 'I edited those files on purpose');
  t.deepEqual(allowedActions('open'), ['acknowledge', 'resolve', 'dismiss']);
  t.deepEqual(allowedActions('acknowledged'), ['resolve', 'dismiss']);
});

test('invalid transitions are typed conflicts that say what is possible', (t) => {
  const acked = acknowledge(event, alice(2000n));
  const again = t.throws(() => acknowledge(acked, alice(2001n)), { instanceOf: EventTransitionError })!;
  t.is(again.kind, 'conflict');
  t.is(again.refusal, 'invalid-transition');
  t.is(again.message, 'event #5 is acknowledged: it cannot be acknowledged (it can be: resolve, dismiss)');

  const resolved = resolve(acked, alice(3000n), ['/photos/a.jpg', '/photos/b.jpg']);
  const dismissed = dismiss(acked, alice(3000n));
  for (const [final, status] of [[resolved, 'resolved'], [dismissed, 'dismissed']] as const) {
    for (const action of ['acknowledge', 'resolve', 'dismiss'] as const) {
      const e = t.throws(() => transition(final, action, alice(4000n), ['/photos/a.jpg', '/photos/b.jpg']), { instanceOf: EventTransitionError })!;
      t.is(e.from, status);
      t.regex(e.message, /that is final/);
    }
  }
  t.deepEqual(allowedActions('resolved'), []);
});

test('an action needs to say who does it', (t) => {
  const e = t.throws(() => acknowledge(event, { who: ' ', atNs: 1n }), { instanceOf: BitarrError })!;
  t.is(e.kind, 'usage');
});
