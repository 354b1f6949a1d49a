// fsutil's outputs, recorded, into byte offsets. The contiguous case is a published real session
// whose disk offset was verified by reading the raw disk on Linux: the same arithmetic must land
// on the same byte.
import test from 'ava';
import { parseNtfsInfo, parseQueryExtents, placeExtents } from '../fsutil.js';
import { testdata } from './fake.js';

test('a contiguous file: one extent, LCN × bytes per cluster, cut at the end of the file', (t) => {
  const result = parseQueryExtents(testdata('fsutil-queryextents-contiguous.txt'), 0);
  if (result.kind !== 'extents') return t.fail(result.kind);
  t.deepEqual(result.extents, [{ vcn: 0n, clusters: 5n, lcn: 0xce2en }]);
  t.deepEqual(placeExtents(result.extents, 4096, 20_000).extents, [{ logical: 0, physical: 0xce2e * 4096, length: 20_000 }]);
});

test('on the whole disk the partition offset is added: the byte the published session read on Linux', (t) => {
  const result = parseQueryExtents(testdata('fsutil-queryextents-contiguous.txt'), 0);
  if (result.kind !== 'extents') return t.fail(result.kind);
  // Partition 3 at 333447168; "absolute offset = 333447168 + 0xce2e*4096 = 549642240 -> LBA 1073520".
  const [extent] = placeExtents(result.extents, 4096, 20_480, 333_447_168).extents;
  t.is(extent!.physical, 549_642_240);
  t.is(extent!.physical / 512, 1_073_520);
});

test('a fragmented file: one extent per run, in file order, wherever each lies on the volume', (t) => {
  const result = parseQueryExtents(testdata('fsutil-queryextents-fragmented.txt'), 0);
  if (result.kind !== 'extents') return t.fail(result.kind);
  const size = 0x300 * 4096 - 100;
  t.deepEqual(placeExtents(result.extents, 4096, size).extents, [
    { logical: 0, physical: 0x2c2d0f * 4096, length: 0x100 * 4096 },
    { logical: 0x100 * 4096, physical: 0x41e200 * 4096, length: 0x3a * 4096 },
    { logical: 0x13a * 4096, physical: 0x1b7f44 * 4096, length: 0x1c6 * 4096 - 100 },
  ]);
});

test('a sparse file: LCN 0xffffffffffffffff is a hole with no place on the disk', (t) => {
  const result = parseQueryExtents(testdata('fsutil-queryextents-sparse.txt'), 0);
  if (result.kind !== 'extents') return t.fail(result.kind);
  t.deepEqual(result.extents, [{ vcn: 0n, clusters: 0x1e850n, lcn: null }]);
  t.deepEqual(placeExtents(result.extents, 4096, 512_000_000), { extents: [], holes: true });
  const mixed = parseQueryExtents('VCN: 0x0        Clusters: 0x10       LCN: 0x4000\nVCN: 0x10       Clusters: 0x20       LCN: 0xffffffffffffffff\nVCN: 0x30       Clusters: 0x10       LCN: 0x9000\n', 0);
  if (mixed.kind !== 'extents') return t.fail(mixed.kind);
  t.deepEqual(placeExtents(mixed.extents, 4096, 0x40 * 4096), {
    extents: [
      { logical: 0, physical: 0x4000 * 4096, length: 0x10 * 4096 },
      { logical: 0x30 * 4096, physical: 0x9000 * 4096, length: 0x10 * 4096 },
    ],
    holes: true,
  });
});

test('a file resident in its MFT record has no extents; an empty answer means the same', (t) => {
  t.deepEqual(parseQueryExtents(testdata('fsutil-queryextents-resident.txt'), 1), { kind: 'resident' });
  t.deepEqual(parseQueryExtents('', 0), { kind: 'resident' });
});

test('access denied is an error that says so; not elevated says Administrator', (t) => {
  t.deepEqual(parseQueryExtents(testdata('fsutil-queryextents-denied.txt'), 1), { kind: 'error', message: 'Error:  Access is denied.', accessDenied: true, needsAdmin: false });
  const notAdmin = parseQueryExtents(testdata('fsutil-not-admin.txt'), 1);
  t.like(notAdmin, { kind: 'error', needsAdmin: true });
});

test('text that is not extents, and a failure with no text, are errors, never empty mappings', (t) => {
  t.like(parseQueryExtents('Usage : fsutil file queryExtents [/R] <filename> [<startingvcn> [<numvcns>]]', 0), { kind: 'error' });
  t.like(parseQueryExtents('', 1), { kind: 'error', message: 'fsutil exited with code 1 and printed nothing' });
});

test('ntfsinfo, Windows 10 style and the older style, gives the cluster size', (t) => {
  t.deepEqual(parseNtfsInfo(testdata('fsutil-ntfsinfo-win10.txt')), { bytesPerCluster: 4096, bytesPerSector: 512, serialNumber: '0xf2bebd4abebd07dd' });
  t.deepEqual(parseNtfsInfo(testdata('fsutil-ntfsinfo-64k.txt').replace(/\n/g, '\r\n')), { bytesPerCluster: 65536, bytesPerSector: 512, serialNumber: '0x5840d42e40d4151a' });
  t.is(parseNtfsInfo('Bytes Per Cluster :                4096  (4 KB)').bytesPerCluster, 4096);
  t.is(parseNtfsInfo('Error:  The volume does not contain a recognized file system.').bytesPerCluster, null);
});

test('offsets past 2^53 bytes are refused, not rounded', (t) => {
  t.throws(() => placeExtents([{ vcn: 0n, clusters: 1n, lcn: 0x7fffffffffffn }], 65536, 10), { message: /past 2\^53/ });
});
