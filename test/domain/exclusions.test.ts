import test from 'ava';
import { Exclusions } from '../../src/domain/exclusions.js';

test('a glob without a slash matches a name at any depth', (t) => {
  const ex = Exclusions.fromGlobs(['*.tmp', 'Thumbs.db']);
  t.true(ex.excludes('a.tmp', false));
  t.true(ex.excludes('deep/er/b.tmp', false));
  t.true(ex.excludes('x/Thumbs.db', false));
  t.false(ex.excludes('a.tmpx', false));
});

test('a glob with a slash is anchored at the root; ** crosses folders', (t) => {
  const ex = Exclusions.fromGlobs(['cache/**', '/top.txt', '**/node_modules']);
  t.true(ex.excludes('cache/x/y', false));
  t.false(ex.excludes('sub/cache/x', false));
  t.true(ex.excludes('top.txt', false));
  t.false(ex.excludes('sub/top.txt', false));
  t.true(ex.excludes('a/b/node_modules', true));
});

test('.bitarrignore rules apply below their folder only; ! re-includes; trailing / is folders only', (t) => {
  const ex = Exclusions.fromGlobs([]).withIgnoreFile('photos', '# comment\n*.xmp\n!keep.xmp\nraw/\n\n');
  t.true(ex.excludes('photos/a.xmp', false));
  t.true(ex.excludes('photos/2020/b.xmp', false));
  t.false(ex.excludes('photos/keep.xmp', false));
  t.false(ex.excludes('music/a.xmp', false));
  t.true(ex.excludes('photos/raw', true));
  t.false(ex.excludes('photos/raw', false));
});
