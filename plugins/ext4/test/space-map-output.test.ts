// The used-space parsers on outputs recorded from one ext4 in one state (testdata/record-space.sh):
// the used space must hold the 20 MiB file, and GETFSMAP and dumpe2fs must agree but for what
// each can see.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import { mergeRanges, parseDumpe2fs, parseFsmap, usedFromDumpe2fs, usedFromFsmap } from '../space-map.js';
import { notInside, overlapping, rangeProblems, usedBytes } from './used-space-lab-tests.js';

const recorded = (name: string) => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
const [devno, size] = recorded('fsmap-ext4.device').trim().split(' ');
const [major, minor] = devno!.split(':').map(Number) as [number, number];
const sizeBytes = Number(size);
const fsmapText = recorded('fsmap-ext4.txt');
const records = parseFsmap(fsmapText);
const used = usedFromFsmap(records, major, minor, sizeBytes);
const big = parseFilefrag(recorded('fsmap-ext4-big.txt'), ['big.bin']).get('big.bin')!;

test('fsmap: every line is a record of the device, from sector 0 to the end of the 256 MiB device', (t) => {
  t.is(records.length, fsmapText.trim().split('\n').length - 1);
  t.true(records.length > 1024, 'more records than one GETFSMAP batch');
  t.true(records.every((r) => r.major === major && r.minor === minor));
  t.is(records[0]!.start, 0);
  t.is(records.at(-1)!.end, sizeBytes);
  // "special_0:1" is FMR_OWN_FREE; ext4 names no inode owners, file data is "special_0:2" (unknown).
  t.deepEqual([...new Set(records.map((r) => r.owner))].sort(), ['special_0:1', 'special_0:2', 'special_102:1', 'special_102:2', 'special_102:3', 'special_102:4', 'special_88:1', 'special_88:5']);
  t.deepEqual(records[6], { major, minor, start: 584 * 512, end: 15944 * 512, free: false, owner: 'special_88:5' });
});

test('fsmap holds the big file, and all dumpe2fs calls used plus the preallocations it cannot see', (t) => {
  t.deepEqual(rangeProblems(used, sizeBytes), []);
  t.deepEqual(notInside(used, big.extents, 'big.bin'), []);
  t.is(big.extents.length, 2);
  // 27 MiB of metadata, the 20 MiB file, 550 one-block small files and their directory.
  t.is(usedBytes(used), 49_369_088);
  const groups = usedFromDumpe2fs(parseDumpe2fs(recorded('dumpe2fs-ext4.txt')), sizeBytes);
  t.deepEqual(notInside(used, groups, 'dumpe2fs used'), []);
  // GETFSMAP reads the allocator's in-memory buddy bitmaps, where the unused rest of a locality
  // group preallocation (blocks set aside for the next small files) is taken; dumpe2fs reads the
  // on-disk bitmaps, where it is not. An unmount hands it back (the lab test checks that).
  t.is(usedBytes(used) - usedBytes(groups), 436 * 1024);
  const preallocated = [{ physical: 140463 * 1024, length: 338 * 1024 }, { physical: 141215 * 1024, length: 98 * 1024 }];
  t.deepEqual(overlapping(groups, preallocated, 'preallocated'), []);
  t.deepEqual(notInside(used, preallocated, 'preallocated'), []);
});

test('fsmap: allocated space the kernel never reported is still used', (t) => {
  const gaps: [number, number][] = [];
  records.reduce((at, r) => (r.start > at && gaps.push([at, r.start]), Math.max(at, r.end)), 0);
  // Linux 6.18 reported neither the used nor the free state of these. The first is bytes
  // [27264000, 33555456) of big.bin: the union of the owned records would miss it.
  t.deepEqual(gaps, [[27264000, 33555456], [144603136, 144704512]]);
  const owned = mergeRanges(records.filter((r) => !r.free), sizeBytes);
  t.deepEqual(notInside(owned, big.extents, 'big.bin'), ['big.bin: [27264000, 39846912) is not in used space']);
});

test('fsmap: headers between batches and records of other devices are skipped', (t) => {
  const lines = fsmapText.trim().split('\n');
  // A second batch, as xfs_io prints it, and an external journal on 8:16.
  const twoBatches = [...lines.slice(0, 600), lines[0], ...lines.slice(600), '9999,8,16,0,65535,special_88:2,,,65536'].join('\n');
  const again = parseFsmap(twoBatches);
  t.is(again.length, records.length + 1);
  t.deepEqual(usedFromFsmap(again, major, minor, sizeBytes), used);
  t.deepEqual(usedFromFsmap(again, 8, 16, 65536 * 512), [{ start: 0, end: 65536 * 512 }]);
  t.deepEqual(usedFromFsmap(records, 8, 17, sizeBytes), []);
});

test('fsmap: a line in another shape is refused, not guessed', (t) => {
  t.throws(() => parseFsmap('EXT,MAJOR,MINOR,PSTART,PEND,OWNER,OSTART,OEND,LENGTH\n\t0: 7:0 [0..1]: unknown 2\n'), { message: /fsmap line 2/ });
  // The length must agree with the sector range, or the units are not what they seem.
  t.throws(() => parseFsmap('0,7,0,0,7,special_0:1,,,4\n'), { message: /fsmap line 1/ });
  t.throws(() => parseFsmap('0,7,0,8,7,special_0:1,,,0\n'), { message: /fsmap line 1/ });
  t.deepEqual(parseFsmap(''), []);
});

test('dumpe2fs: block size and count, and each group\'s free list in bytes', (t) => {
  const space = parseDumpe2fs(recorded('dumpe2fs-ext4.txt'));
  t.is(space.blockSize, 1024);
  t.is(space.blockCount, 262144);
  t.is(space.blockCount * space.blockSize, sizeBytes);
  // Group 0's list, not the superblock's "Free blocks:" count.
  t.true(space.free.length > 500);
  t.deepEqual(
    parseDumpe2fs('Block count:              100\nBlock size:               4096\nFree blocks:              7\nGroup 0: (Blocks 0-99)\n  Free blocks: 10-12, 50\nGroup 1:\n  Free blocks: \n').free,
    [{ start: 40960, end: 53248 }, { start: 204800, end: 208896 }],
  );
  t.throws(() => parseDumpe2fs('Block count: 100\n'), { message: /Block size/ });
  t.throws(() => parseDumpe2fs('Block count:  100\nBlock size:  1024\n  Free blocks: 5-200\n'), { message: /not within the 100 blocks/ });
  t.throws(() => parseDumpe2fs('Block count:  100\nBlock size:  1024\nFree blocks:  3\n'), { message: /no block group/ });
});

test('mergeRanges sorts, joins touching and overlapping ranges, and clips to the device', (t) => {
  t.deepEqual(
    mergeRanges([{ start: 50, end: 60 }, { start: 0, end: 10 }, { start: 10, end: 20 }, { start: 55, end: 70 }, { start: 90, end: 200 }, { start: 30, end: 30 }], 100),
    [{ start: 0, end: 20 }, { start: 50, end: 70 }, { start: 90, end: 100 }],
  );
});
