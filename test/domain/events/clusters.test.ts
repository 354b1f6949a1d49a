import test from 'ava';
import { clusterFiles, evidentClusters, patternOf } from '../../../src/domain/events/clusters.js';
import { DEFAULT_EVENT_SETTINGS } from '../../../src/domain/events/types.js';
import type { DamagedFile } from '../../../src/domain/events/types.js';
import { GiB, KiB, MiB, file, unmapped } from './fixtures.js';

const GAP = DEFAULT_EVENT_SETTINGS.gapBytes;
const pattern = (files: DamagedFile[]) => patternOf(files.length, evidentClusters(clusterFiles(files, GAP).clusters), DEFAULT_EVENT_SETTINGS);

test('a band over three neighbouring files is one cluster of three, in physical order, and a band', (t) => {
  // Given out of order: the cluster lists files as they lie on the disk.
  const files = [
    file('/photos/c.jpg', 'corrupted', [GiB + 2 * MiB, MiB]),
    file('/photos/a.jpg', 'corrupted', [GiB, MiB]),
    file('/photos/b.jpg', 'corrupted', [GiB + MiB, MiB]),
  ];
  const { clusters, unlocated } = clusterFiles(files, GAP);
  t.deepEqual(
    clusters.map((c) => ({ start: c.start, end: c.end, files: c.files, bytes: c.bytes })),
    [{ start: GiB, end: GiB + 3 * MiB, files: ['/photos/a.jpg', '/photos/b.jpg', '/photos/c.jpg'], bytes: 3 * MiB }],
  );
  t.deepEqual(clusters[0].ranges, [{ start: GiB, end: GiB + 3 * MiB }]);
  t.deepEqual(unlocated, []);
  t.is(pattern(files), 'band');
});

test('two distant single corruptions are two clusters: scattered', (t) => {
  const files = [file('/a', 'corrupted', [10 * GiB, 4 * KiB]), file('/b', 'corrupted', [GiB, 4 * KiB])];
  const { clusters } = clusterFiles(files, GAP);
  t.deepEqual(
    clusters.map((c) => [c.start, c.end, c.files]),
    [
      [GiB, GiB + 4 * KiB, ['/b']],
      [10 * GiB, 10 * GiB + 4 * KiB, ['/a']],
    ],
  );
  t.is(pattern(files), 'scattered');
});

test('a gap of exactly the threshold separates; one byte less joins', (t) => {
  const at = (gap: number) => clusterFiles([file('/a', 'corrupted', [0, 4 * KiB]), file('/b', 'corrupted', [4 * KiB + gap, 4 * KiB])], GAP).clusters.length;
  t.is(at(GAP), 2);
  t.is(at(GAP - 1), 1);
  // The threshold is a parameter, not a constant.
  t.is(clusterFiles([file('/a', 'corrupted', [0, 4 * KiB]), file('/b', 'corrupted', [8 * KiB, 4 * KiB])], 4 * KiB).clusters.length, 2);
  t.is(clusterFiles([file('/a', 'corrupted', [0, 4 * KiB]), file('/b', 'corrupted', [8 * KiB, 4 * KiB])], 4 * KiB + 1).clusters.length, 1);
});

test('extents chain: each within the gap of the cluster end joins, however long the cluster grows', (t) => {
  const step = GAP - 1 + 4 * KiB;
  const files = [0, 1, 2, 3].map((i) => file(`/f${i}`, 'corrupted', [i * step, 4 * KiB]));
  const { clusters } = clusterFiles(files, GAP);
  t.is(clusters.length, 1);
  t.is(clusters[0].end - clusters[0].start, 3 * step + 4 * KiB);
  // Four small files spread over 3 MiB: localized, but too sparse to be a band.
  t.is(pattern(files), 'one-cluster');
});

test('overlapping extents (shared or reflinked data) are counted once, and a long extent keeps what it covers', (t) => {
  const files = [
    file('/big', 'corrupted', [0, 10 * MiB]),
    file('/clone', 'corrupted', [MiB, 4 * KiB]),
    file('/after', 'corrupted', [10 * MiB + 512 * KiB, 4 * KiB]),
  ];
  const { clusters } = clusterFiles(files, GAP);
  t.is(clusters.length, 1);
  t.deepEqual(clusters[0].files, ['/big', '/clone', '/after']);
  t.is(clusters[0].bytes, 10 * MiB + 4 * KiB);
  t.deepEqual(clusters[0].ranges, [
    { start: 0, end: 10 * MiB },
    { start: 10 * MiB + 512 * KiB, end: 10 * MiB + 516 * KiB },
  ]);
});

test('a file with several extents in one cluster is listed once, and its bytes counted', (t) => {
  const files = [file('/doc.pdf', 'corrupted', [GiB, 4 * KiB], [GiB + 64 * KiB, 4 * KiB]), file('/between', 'corrupted', [GiB + 8 * KiB, 4 * KiB])];
  const { clusters } = clusterFiles(files, GAP);
  t.deepEqual(clusters.map((c) => [c.files, c.bytes]), [[['/doc.pdf', '/between'], 12 * KiB]]);
});

test('a fragmented file spans clusters and is listed in each, but does not make the damage scattered', (t) => {
  const files = [file('/movie.mkv', 'corrupted', [0, MiB], [50 * GiB, MiB]), file('/next.mkv', 'corrupted', [50 * GiB + MiB, MiB])];
  const { clusters } = clusterFiles(files, GAP);
  t.deepEqual(
    clusters.map((c) => c.files),
    [['/movie.mkv'], ['/movie.mkv', '/next.mkv']],
  );
  // The first cluster has no file of its own: the damage may all be at 50 GiB.
  t.deepEqual(evidentClusters(clusters).map((c) => c.start), [50 * GiB]);
  t.is(pattern(files), 'one-cluster');
  // One file alone stays one file, however fragmented.
  t.is(pattern([files[0]]), 'one-file');
  // Two independent spots are scattered even when a fragmented file touches both.
  t.is(pattern([...files, file('/first.mkv', 'corrupted', [MiB, MiB])]), 'scattered');
});

test('files that could not be mapped are listed with their reason, never dropped', (t) => {
  const files = [
    unmapped('/z-share-file', 'corrupted', 'network share: no disk offsets from here'),
    unmapped('/no-reason', 'unreadable'),
    { path: '/inline', status: 'corrupted' as const, size: 60, extents: [] },
    file('/zero-length-only', 'corrupted', [4096, 0]),
    file('/placed', 'corrupted', [GiB, 4 * KiB]),
  ];
  const { clusters, unlocated } = clusterFiles(files, GAP);
  t.deepEqual(clusters.map((c) => c.files), [['/placed']]);
  t.deepEqual(unlocated.map((u) => u.path), ['/inline', '/no-reason', '/z-share-file', '/zero-length-only']);
  t.is(unlocated.find((u) => u.path === '/z-share-file')!.reason, 'network share: no disk offsets from here');
  t.regex(unlocated.find((u) => u.path === '/no-reason')!.reason, /could not be mapped/);
  t.regex(unlocated.find((u) => u.path === '/inline')!.reason, /inline/);
});

test('patterns: one file, one cluster, unlocated', (t) => {
  t.is(pattern([file('/a', 'corrupted', [GiB, 4 * KiB])]), 'one-file');
  t.is(pattern([unmapped('/a', 'corrupted')]), 'one-file');
  t.is(pattern([file('/a', 'corrupted', [GiB, 4 * KiB]), file('/b', 'corrupted', [GiB + 4 * KiB, 4 * KiB])]), 'one-cluster');
  t.is(pattern([unmapped('/a', 'corrupted'), unmapped('/b', 'corrupted')]), 'unlocated');
  // Three neighbours make a band; the minimum is a setting.
  const three = ['/a', '/b', '/c'].map((p, i) => file(p, 'corrupted', [GiB + i * MiB, MiB]));
  const c = evidentClusters(clusterFiles(three, GAP).clusters);
  t.is(patternOf(3, c, { bandMinFiles: 4, bandMinDensity: 0.5 }), 'one-cluster');
});
