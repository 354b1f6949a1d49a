import test from 'ava';
import { BitarrError } from '../../../src/domain/errors.js';
import { deviceMap, type MapEvent } from '../../../src/domain/events/device-map.js';
import { GiB, KiB, MiB, file, opened, scan } from './fixtures.js';

const TB4 = 4_000_787_030_016; // a "4 TB" disk: not a multiple of 256
const ev = (id: number, severity: MapEvent['severity'], ...clusters: Array<[number, number]>): MapEvent => ({
  id,
  status: 'open',
  severity,
  clusters: clusters.map(([start, end]) => ({ start, end, ranges: [{ start, end }] })),
});

test('buckets cover the whole device exactly, 256 by default', (t) => {
  const m = deviceMap({ sizeBytes: TB4, events: [] });
  t.is(m.buckets.length, 256);
  t.is(m.buckets[0].start, 0);
  t.is(m.buckets.at(-1)!.end, TB4);
  for (let i = 1; i < m.buckets.length; i++) t.is(m.buckets[i].start, m.buckets[i - 1].end);
  const sizes = new Set(m.buckets.map((b) => b.end - b.start));
  t.true(Math.max(...sizes) - Math.min(...sizes) <= 1);
  t.is(m.buckets[0].usedBytes, null, 'unknown use is null, not zero');
  t.is(deviceMap({ sizeBytes: TB4, buckets: 64, events: [] }).buckets.length, 64);
  t.is(deviceMap({ sizeBytes: 10, buckets: 256, events: [] }).buckets.length, 10);
});

test('a 4 KiB cluster on a 4 TB disk still marks its bucket', (t) => {
  const at = 1000 * GiB;
  const m = deviceMap({ sizeBytes: TB4, events: [ev(12, 'minor', [at, at + 4 * KiB])] });
  const marked = m.buckets.filter((b) => b.clusterIds.length > 0);
  t.is(marked.length, 1);
  t.true(marked[0].start <= at && at < marked[0].end);
  t.deepEqual([marked[0].clusterIds, marked[0].corruptedBytes, marked[0].worst], [['12:0'], 4 * KiB, 'minor']);
});

test('a cluster across a bucket boundary marks both buckets and splits its bytes between them', (t) => {
  const size = 256 * MiB; // 1 MiB buckets
  const m = deviceMap({ sizeBytes: size, events: [ev(3, 'severe', [MiB - 4 * KiB, MiB + 12 * KiB])] });
  t.deepEqual(m.buckets[0].clusterIds, ['3:0']);
  t.deepEqual(m.buckets[1].clusterIds, ['3:0']);
  t.is(m.buckets[0].corruptedBytes, 4 * KiB);
  t.is(m.buckets[1].corruptedBytes, 12 * KiB);
  t.is(m.buckets[2].clusterIds.length, 0);
});

test('a cluster is marked over its whole span, but only damaged ranges count as corrupted bytes', (t) => {
  // One cluster spanning three 1 MiB buckets with damage only at both ends (a larger gap setting made it).
  const wide: MapEvent = { id: 7, status: 'open', severity: 'moderate', clusters: [{ start: 0, end: 3 * MiB, ranges: [{ start: 0, end: 4 * KiB }, { start: 3 * MiB - 4 * KiB, end: 3 * MiB }] }] };
  const m = deviceMap({ sizeBytes: 256 * MiB, events: [wide] });
  t.deepEqual(m.buckets.slice(0, 4).map((b) => [b.clusterIds.length, b.corruptedBytes]), [[1, 4 * KiB], [1, 0], [1, 4 * KiB], [0, 0]]);
  // Events as planEvents makes them are map input as they are: two files 2.5 MiB apart are two clusters.
  const e = opened(scan(1, [file('/a', 'corrupted', [0, 4 * KiB]), file('/b', 'corrupted', [2 * MiB + 512 * KiB, 4 * KiB])]), 7, []);
  const real = deviceMap({ sizeBytes: 256 * MiB, events: [e] });
  t.deepEqual(real.buckets.filter((b) => b.clusterIds.length).map((b) => b.clusterIds), [['7:0'], ['7:1']]);
});

test('used bytes per bucket, overlapping used ranges counted once', (t) => {
  const m = deviceMap({ sizeBytes: 4 * MiB, buckets: 4, used: [{ start: 0, end: MiB + MiB / 2 }, { start: MiB, end: 2 * MiB }, { start: 3 * MiB, end: 3 * MiB + 10 }], events: [] });
  t.deepEqual(m.buckets.map((b) => b.usedBytes), [MiB, MiB, 0, 10]);
});

test('events covering the same bytes count them once; the worst severity colours the bucket', (t) => {
  const m = deviceMap({ sizeBytes: 4 * MiB, buckets: 4, events: [ev(1, 'minor', [0, 8 * KiB]), ev(2, 'severe', [4 * KiB, 12 * KiB])] });
  t.is(m.buckets[0].corruptedBytes, 12 * KiB);
  t.deepEqual(m.buckets[0].clusterIds, ['1:0', '2:0']);
  t.is(m.buckets[0].worst, 'severe');
  // Clusters stored without ranges (older rows) count their whole span.
  const old = deviceMap({ sizeBytes: 4 * MiB, buckets: 4, events: [{ id: 9, status: 'resolved', severity: 'minor', clusters: [{ start: MiB, end: MiB + 100 }] }] });
  t.is(old.buckets[1].corruptedBytes, 100);
});

test('damage past the end of the device is counted, not dropped; a device without a size is refused', (t) => {
  const m = deviceMap({ sizeBytes: 4 * MiB, buckets: 4, events: [ev(5, 'moderate', [4 * MiB - 10, 4 * MiB + 90])] });
  t.is(m.buckets[3].corruptedBytes, 10);
  t.deepEqual(m.beyondEnd, { corruptedBytes: 90, clusterIds: ['5:0'] });
  const e = t.throws(() => deviceMap({ sizeBytes: 0, events: [] }), { instanceOf: BitarrError })!;
  t.is(e.kind, 'usage');
  t.throws(() => deviceMap({ sizeBytes: MiB, buckets: 0, events: [] }), { instanceOf: BitarrError });
});
