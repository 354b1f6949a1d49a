import test from 'ava';
import { briefErrorMessage } from '../../src/domain/errors.js';

test("a database error keeps SQLite's message, not the statement knex put before it", (t) => {
  const sql = `INSERT INTO baselines SELECT value->>0 FROM jsonb_each('${'["/a/very/long/path",1],'.repeat(20_000)}')`;
  const err = new Error(`${sql} - SQLITE_BUSY: database is locked`);
  t.is(briefErrorMessage(err), 'SQLITE_BUSY: database is locked');
});

test('any other message is kept whole up to the limit, then cut with an ellipsis', (t) => {
  t.is(briefErrorMessage(new Error('EIO: i/o error, read')), 'EIO: i/o error, read');
  const long = briefErrorMessage(new Error('x'.repeat(1000)), 50);
  t.is(long.length, 50);
  t.true(long.endsWith('…'));
  t.is(briefErrorMessage('not an Error'), 'not an Error');
});
