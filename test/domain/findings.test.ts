import test from 'ava';
import { classify, confirmSuspect, findingForError, type Baseline, type Observation } from '../../src/domain/findings.js';
import { filesystemTraits } from '../../src/domain/filesystem-traits.js';

const S = 1_000_000_000n;
const ext4 = filesystemTraits('ext4');
const exfat = filesystemTraits('exfat');
const h = (s: string) => Buffer.from(s.padEnd(16, '.'));

const base: Baseline = { size: 100n, mtimeNs: 1000n * S, ctimeNs: 1000n * S, inode: 7n, hash: h('good'), algorithm: 'xxh3-128', verifiedAtNs: 2000n * S };
const read = (o: Partial<Observation> = {}): Observation => ({ size: 100n, mtimeNs: 1000n * S, ctimeNs: 1000n * S, inode: 7n, hash: h('good'), readStartedNs: 3000n * S, ...o });
const status = (v: ReturnType<typeof classify>) => (v.kind === 'final' ? v.status : 'suspect');

test('no baseline is new', (t) => {
  t.is(status(classify(null, read(), 'xxh3-128', ext4)), 'new');
});

test('a baseline made with another algorithm is re-baselined, never compared', (t) => {
  t.is(status(classify({ ...base, algorithm: 'sha256' }, read({ hash: h('other') }), 'xxh3-128', ext4)), 'rehashed');
});

test('same bytes are ok, or touched when only the mtime moved', (t) => {
  t.is(status(classify(base, read(), 'xxh3-128', ext4)), 'ok');
  t.is(status(classify(base, read({ mtimeNs: 1001n * S }), 'xxh3-128', ext4)), 'touched');
});

test('other bytes with another size or mtime are a normal edit', (t) => {
  t.is(status(classify(base, read({ hash: h('x'), size: 101n }), 'xxh3-128', ext4)), 'modified');
  t.is(status(classify(base, read({ hash: h('x'), mtimeNs: 1001n * S }), 'xxh3-128', ext4)), 'modified');
});

test('other bytes with the mtime restored but a new ctime are modified_mtime_preserved', (t) => {
  t.is(status(classify(base, read({ hash: h('x'), ctimeNs: 1500n * S }), 'xxh3-128', ext4)), 'modified_mtime_preserved');
});

test('other bytes with size, mtime and ctime unchanged are only suspect until a second read', (t) => {
  t.is(status(classify(base, read({ hash: h('rot') }), 'xxh3-128', ext4)), 'suspect');
});

test('a baseline read within the timestamp granularity of its write cannot prove corruption', (t) => {
  // read 5 ms after the write on ext4 (20 ms granularity), 1 s after on exFAT (2 s granularity)
  const racy = { ...base, verifiedAtNs: base.mtimeNs + 5_000_000n };
  t.is(status(classify(racy, read({ hash: h('rot') }), 'xxh3-128', ext4)), 'modified');
  const racyFat = { ...base, verifiedAtNs: base.mtimeNs + S };
  t.is(status(classify(racyFat, read({ hash: h('rot') }), 'xxh3-128', exfat)), 'modified');
  t.is(status(classify({ ...base, verifiedAtNs: base.mtimeNs + 3n * S }, read({ hash: h('rot') }), 'xxh3-128', exfat)), 'suspect');
});

test('on a filesystem without change time a ctime difference is no evidence of an edit', (t) => {
  t.is(status(classify(base, read({ hash: h('rot'), ctimeNs: 1500n * S }), 'xxh3-128', exfat)), 'suspect');
});

const confirmed = (v: ReturnType<typeof confirmSuspect>) => (v.kind === 'final' ? `${v.status}: ${v.detail}` : `changing: ${v.why}`);

test('the confirming read decides corrupted or unstable', (t) => {
  t.regex(confirmed(confirmSuspect(h('good'), h('rot'), h('rot'), ext4, 'ext4', true)), /^corrupted: .*bypassed the page cache/);
  t.regex(confirmed(confirmSuspect(h('good'), h('rot'), h('rot'), ext4, 'ext4', false)), /^corrupted: .*could not be bypassed/);
  t.regex(confirmed(confirmSuspect(h('good'), h('rot'), h('rot2'), ext4, 'ext4', true)), /^unstable: /);
  t.regex(confirmed(confirmSuspect(h('good'), h('rot'), h('good'), ext4, 'ext4', true)), /^unstable: .*matched the baseline/);
});

test('corruption on exFAT says the filesystem cannot tell an edit from bitrot', (t) => {
  t.regex(
    confirmed(confirmSuspect(h('good'), h('rot'), h('rot'), exfat, 'exfat', true)),
    /^corrupted: .*exfat keeps no change time, so an edit that restored the mtime cannot be told from bitrot/,
  );
});

test('without a change time, reads that disagree are a file being written, not flaky hardware', (t) => {
  t.regex(confirmed(confirmSuspect(h('good'), h('rot'), h('rot2'), exfat, 'exfat', true)), /^changing: two reads disagreed and exfat keeps no change time/);
});

test('read errors map to findings, and only medium errors are alarms', (t) => {
  t.is(findingForError('EIO'), 'unreadable');
  t.is(findingForError('EBADMSG'), 'unreadable');
  t.is(findingForError('EACCES'), 'denied');
  t.is(findingForError('EPERM'), 'denied');
  t.is(findingForError('ENOENT'), 'vanished');
  t.is(findingForError('EMFILE'), 'skipped');
  t.is(findingForError(undefined), 'skipped');
});
