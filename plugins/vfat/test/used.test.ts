// Used space without root or a mount: the recorded FAT12 image against what fsck.fat said about
// it, FAT entries of every width and kind, and the ways a request is refused.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { fatAllocatedRuns, fatBytesFor, fatOffsetOf } from '../allocation.js';
import { parseFatBootSector, type FatGeometry } from '../boot.js';
import { RangeBuilder, clipRanges, usedBytes } from '../ranges.js';
import plugin from '../index.js';
import { rangeProblems, rangesOf, usedWith } from './check.js';

const testdata = (name: string) => new URL(`../testdata/${name}`, import.meta.url);
const fat12Image = gunzipSync(readFileSync(testdata('fat12-mtools.img.gz')));
const geometry = parseFatBootSector(fat12Image.subarray(0, 512)) as FatGeometry;

/** fsck.fat's last line: "<image>: N files, USED/TOTAL clusters". */
function fsckClusters(output: string): { used: number; total: number } {
  const match = /(\d+)\/(\d+) clusters\s*$/.exec(output);
  if (!match) throw new Error(`no cluster count in ${output}`);
  return { used: Number(match[1]), total: Number(match[2]) };
}

async function usedOfImage(image: Buffer, t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-vfat-used-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const device = join(dir, 'fat.img');
  writeFileSync(device, image);
  return { dir, device, result: await usedWith(plugin, { device, mountPoint: dir, fsType: 'vfat' }) };
}

test('the recorded FAT12 image: the system area and as many clusters as fsck.fat counted', async (t) => {
  const { result } = await usedOfImage(fat12Image, t);
  t.deepEqual(rangeProblems(result, fat12Image.length), []);
  const recorded = fsckClusters(readFileSync(testdata('fat12-mtools.fsck.txt'), 'utf8'));
  t.is(recorded.total, geometry.lastCluster - 1);
  t.is(usedBytes(rangesOf(result)), geometry.heapOffset + recorded.used * geometry.clusterSize);
  t.is(rangesOf(result)[0]!.start, 0, 'the boot sector, the FATs and the root directory are used');
  t.true(rangesOf(result)[0]!.end >= geometry.heapOffset);
});

test('a file freed in the FAT leaves a gap; a cluster marked bad counts as used', async (t) => {
  const image = Buffer.from(fat12Image);
  const fat = (copy: number) => geometry.fatOffset + copy * 9 * 512; // 9 sectors per FAT (fsck.fat)
  const setEntry = (cluster: number, value: number) => {
    for (const copy of [0, 1]) {
      const at = fat(copy) + cluster + (cluster >> 1);
      const pair = image.readUInt16LE(at);
      image.writeUInt16LE(cluster & 1 ? (pair & 0x000f) | (value << 4) : (pair & 0xf000) | value, at);
    }
  };
  const before = rangesOf((await usedOfImage(image, t)).result);
  const lastUsed = (before[before.length - 1]!.end - geometry.heapOffset) / geometry.clusterSize + 1; // numbered from 2
  setEntry(10, 0); // in the middle of the allocated clusters
  setEntry(lastUsed + 5, 0xff7); // beyond them, bad
  const { result } = await usedOfImage(image, t);
  const at = (cluster: number) => geometry.heapOffset + (cluster - 2) * geometry.clusterSize;
  t.deepEqual(rangeProblems(result, image.length), []);
  t.deepEqual(rangesOf(result), [
    { start: 0, end: at(10) },
    { start: at(11), end: at(lastUsed + 1) },
    { start: at(lastUsed + 5), end: at(lastUsed + 6) },
  ]);
});

test('FAT entries: 12-bit pairs, 16 bits, FAT32 with its reserved top bits; every non-free value is used', (t) => {
  // FAT12 clusters 2..7: 0x000, 0xFF7 (bad), 0x005, 0x000, 0xFFF (end), 0x001 (reserved, still not free).
  const fat12 = Buffer.alloc(fatBytesFor('FAT12', 6));
  const values = [0x000, 0xff7, 0x005, 0x000, 0xfff, 0x001];
  for (let i = 0; i < values.length; i += 2) {
    const packed = values[i]! | (values[i + 1]! << 12);
    fat12.writeUIntLE(packed, (i / 2) * 3, 3);
  }
  t.deepEqual(fatAllocatedRuns('FAT12', fat12, 2, 6), [
    { first: 3, count: 2 },
    { first: 6, count: 2 },
  ]);
  t.is(fatOffsetOf('FAT12', 2), 3);
  t.throws(() => fatOffsetOf('FAT12', 3), { message: /even/ });
  const fat16 = Buffer.from([0, 0, 0xf8, 0xff, 0x04, 0, 0, 0]);
  t.deepEqual(fatAllocatedRuns('FAT16', fat16, 2, 4), [{ first: 3, count: 2 }]);
  const fat32 = Buffer.alloc(12);
  fat32.writeUInt32LE(0xf0000000, 0); // only the reserved bits: free
  fat32.writeUInt32LE(0x0ffffff7, 4);
  fat32.writeUInt32LE(0xfffffff8, 8);
  t.deepEqual(fatAllocatedRuns('FAT32', fat32, 2, 3), [{ first: 3, count: 2 }]);
  t.throws(() => fatAllocatedRuns('FAT32', fat32, 2, 4), { message: /fewer than 4 entries/ });
});

test('ranges: touching ones merged, out-of-order ones refused, cut at the device end', (t) => {
  const builder = new RangeBuilder();
  builder.add(0, 100);
  builder.add(100, 200);
  builder.add(150, 180);
  builder.add(300, 300);
  builder.addClusters([{ first: 2, count: 2 }], { heapOffset: 400, clusterSize: 50 });
  t.deepEqual(builder.ranges, [
    { start: 0, end: 200 },
    { start: 400, end: 500 },
  ]);
  t.throws(() => builder.add(10, 20), { message: /comes after/ });
  t.deepEqual(clipRanges(builder.ranges, 450), [
    { start: 0, end: 200 },
    { start: 400, end: 450 },
  ]);
  t.deepEqual(clipRanges(builder.ranges, 150), [{ start: 0, end: 150 }]);
});

test('a device that is not FAT, one that does not exist, one past whose end the FAT reaches', async (t) => {
  const { dir, device: zeros } = await usedOfImage(Buffer.alloc(1 << 20), t);
  t.deepEqual(await usedWith(plugin, { device: zeros, mountPoint: dir, fsType: 'vfat' }), {
    available: false,
    reason: `${zeros} does not hold a FAT12/16/32 filesystem: no boot sector signature (55 AA at byte 510)`,
  });
  const missing = await usedWith(plugin, { device: join(dir, 'nothing'), mountPoint: dir, fsType: 'vfat' });
  t.regex(missing.available ? '' : missing.reason, /^cannot open .*nothing: ENOENT/);
  // Only the boot sector and a piece of the first FAT: the rest of the FAT is not on this "device".
  const { result: cut } = await usedOfImage(fat12Image.subarray(0, 1024), t);
  t.regex(cut.available ? '' : cut.reason, /^cannot read a FAT12\/16\/32 filesystem on .*: the device ends before byte/);
  const unmounted = await usedWith(plugin, { device: zeros, mountPoint: join(dir, 'no-mount'), fsType: 'vfat' });
  t.regex(unmounted.available ? '' : unmounted.reason, /^cannot stat the mount point/);
});

test('without read access to the device: unavailable, and it says root would do', async (t) => {
  const { dir, device } = await usedOfImage(fat12Image, t);
  chmodSync(device, 0o600);
  const request = { device, mountPoint: dir, fsType: 'vfat' };
  let result: unknown;
  if (process.getuid?.() === 0) {
    // Root reads anything, so the plugin runs once more as nobody, the way a non-root install would.
    const script = `const { default: plugin } = await import(${JSON.stringify(fileURLToPath(new URL('../index.ts', import.meta.url)))});
      process.stdout.write(JSON.stringify(await plugin.sectorMapper.usedSpace(${JSON.stringify(request)}, {})));`;
    const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    t.is(child.status, 0, child.stderr);
    result = JSON.parse(child.stdout);
  } else {
    chmodSync(device, 0o000);
    result = await usedWith(plugin, request);
  }
  t.deepEqual(result, {
    available: false,
    reason: `cannot read ${device} (EACCES): the used space is read from the raw device, which takes root or read access to the device`,
    needs: 'root',
  });
});
