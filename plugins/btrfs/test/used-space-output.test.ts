// Used space from recorded dump-tree outputs and a recorded superblock (testdata/record-used.sh),
// without a filesystem.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { majorMinor } from '../device-size.js';
import { deviceUse, normalizeRanges, parseExtentDump, RESERVED_BYTES } from '../extent-tree.js';
import { parseSuperblock } from '../superblock.js';
import { parseSuper } from '../chunk-tree.js';
import { uncovered, usedBytes } from './helpers.js';

const recorded = (name: string): string => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
const MiB = 1 << 20;
const KiB = 1024;
const DEVICE = 256 * MiB;

test('the superblock read from the device says what dump-super says', (t) => {
  const block = readFileSync(new URL('../testdata/superblock-single.bin', import.meta.url));
  const dump = recorded('superblock-single.dump-super.txt');
  const parsed = parseSuperblock(block);
  t.deepEqual(parsed, {
    ...parseSuper(dump),
    nodesize: Number(/^nodesize\s+(\d+)$/m.exec(dump)![1]),
    sectorsize: Number(/^sectorsize\s+(\d+)$/m.exec(dump)![1]),
  });
  t.is(parseSuperblock(Buffer.alloc(4096)), null, 'zeros are no superblock');
  const foreign = Buffer.from(block);
  foreign.write('_BHRfS_X', 0x40, 'latin1');
  t.is(parseSuperblock(foreign), null, 'a wrong magic is no superblock');
  t.is(parseSuperblock(block.subarray(0, 100)), null);
});

test('dump-tree -e of a filled device: every dev extent, block group, data extent and tree block', (t) => {
  const dump = parseExtentDump(recorded('extent-dev-single.txt'), 16 * KiB, true);
  t.is(dump.devExtents.length, 11);
  t.is(dump.blockGroups.length, 9);
  // 170 one-MiB data extents (the 3 MiB file deleted before the dump is not there) and 21 tree blocks.
  t.is(dump.allocations.filter((a) => a.length === MiB).length, 170);
  t.is(dump.allocations.filter((a) => a.length === 16 * KiB).length, 21);
  t.deepEqual(dump.devExtents[0], { devid: 1, offset: MiB, length: 12 * MiB, chunkOffset: 226492416 });
  t.deepEqual(dump.blockGroups.find((g) => g.logical === 30408704), { logical: 30408704, length: 32 * MiB, type: 'METADATA|DUP', profile: 'dup' });
});

test('used space extent by extent: translated through each chunk’s place on the device, both DUP copies, holes left free', (t) => {
  const dump = parseExtentDump(recorded('extent-dev-single.txt'), 16 * KiB, true);
  const use = deviceUse(dump, 1, DEVICE, true);
  t.like(use, { exactChunks: 9, wholeChunks: 0 });
  // The reserved MiB, the data, 21 tree blocks twice (DUP) and the superblock copy at 64 MiB,
  // which lies in a metadata chunk but in no tree block.
  t.is(usedBytes(use.ranges), RESERVED_BYTES + 170 * MiB + 2 * 21 * 16 * KiB + 4 * KiB);
  // Chunk 226492416 lies at device offset 1 MiB: its 7 data extents, right after the reserved MiB.
  t.deepEqual(use.ranges[0], { start: 0, end: 8 * MiB });
  // Where the deleted file was, before the next chunk at 13 MiB: free again.
  t.is(uncovered(8 * MiB, 13631488, use.ranges), 13631488 - 8 * MiB);
  // A tree block of the DUP metadata chunk (logical 30408704, copies at 38797312 and 72351744).
  const block = dump.allocations.find((a) => a.logical >= 30408704 && a.logical < 30408704 + 32 * MiB)!;
  for (const copy of [38797312, 72351744]) t.is(uncovered(copy + block.logical - 30408704, copy + block.logical - 30408704 + 16 * KiB, use.ranges), 0);
  t.is(uncovered(64 * MiB, 64 * MiB + 4 * KiB, use.ranges), 0, 'the superblock copy at 64 MiB');
});

test('used space per chunk from the device tree alone: a filled device is used end to end', (t) => {
  const dump = parseExtentDump(recorded('dev-tree-single.txt'), 16 * KiB, false);
  t.is(dump.allocations.length, 0);
  const use = deviceUse(dump, 1, DEVICE, false);
  t.like(use, { exactChunks: 0, wholeChunks: 11 });
  t.deepEqual(use.ranges, [{ start: 0, end: DEVICE }]);
  // The same chunks without the extent tree's block groups: no profile known, so every chunk whole.
  const withoutGroups = parseExtentDump(recorded('extent-dev-single.txt').replace(/^.*BLOCK_GROUP_ITEM.*\n.*\n/gm, ''), 16 * KiB, true);
  t.is(withoutGroups.blockGroups.length, 0);
  t.like(deviceUse(withoutGroups, 1, DEVICE, true), { exactChunks: 0, wholeChunks: 11 });
});

test('RAID0 data is striped: its piece on each device is counted whole, RAID1 metadata extent by extent', (t) => {
  const dump = parseExtentDump(recorded('extent-dev-raid0.txt'), 16 * KiB, true);
  for (const [devid, dataPiece] of [[1, 84082688], [2, 63111168]] as const) {
    const use = deviceUse(dump, devid, 512 * MiB, true);
    t.like(use, { exactChunks: 2, wholeChunks: 1 }, `devid ${devid}`);
    t.is(uncovered(dataPiece, dataPiece + 64 * MiB, use.ranges), 0, `devid ${devid}: the RAID0 piece`);
    t.true(usedBytes(use.ranges) < 64 * MiB + 2 * MiB, `devid ${devid}: metadata chunks are not whole`);
  }
});

test('a dump that is cut short, lacks a tree, or has an extent past its chunk is refused, not half read', (t) => {
  const text = recorded('extent-dev-single.txt');
  const cut = text.slice(0, text.lastIndexOf('chunk_objectid 256 chunk_offset'));
  t.throws(() => parseExtentDump(cut, 16 * KiB, true), { message: /unexpected DEV_EXTENT item/ });
  t.throws(() => parseExtentDump(text.slice(0, text.indexOf('device tree key')), 16 * KiB, true), { message: /no device tree/ });
  t.throws(() => parseExtentDump(recorded('dev-tree-single.txt'), 16 * KiB, true), { message: /no extent tree/ });
  t.throws(() => parseExtentDump('btrfs-progs v6.2\ndevice tree key (DEV_TREE ROOT_ITEM 0)\n', 16 * KiB, false), { message: /no dev extents/ });
  const past = text.replace('key (232783872 EXTENT_ITEM 1048576)', 'key (232783872 EXTENT_ITEM 9437184)');
  t.throws(() => deviceUse(parseExtentDump(past, 16 * KiB, true), 1, DEVICE, true), { message: /runs past the end of its chunk/ });
});

test('ranges come out sorted, merged, clipped to the device, without empty ones', (t) => {
  const ranges = [
    { start: 50, end: 60 },
    { start: 0, end: 10 },
    { start: 10, end: 20 },
    { start: 15, end: 18 },
    { start: 30, end: 30 },
    { start: 95, end: 120 },
    { start: -5, end: 2 },
  ];
  t.deepEqual(normalizeRanges(ranges, 100), [
    { start: 0, end: 20 },
    { start: 50, end: 60 },
    { start: 95, end: 100 },
  ]);
});

test('device numbers split as glibc does, for sysfs', (t) => {
  t.is(majorMinor(0x702), '7:2');
  t.is(majorMinor((259 << 8) | 1), '259:1');
  t.is(majorMinor((259 << 8) + 44 + (256 << 12)), '259:300');
});
