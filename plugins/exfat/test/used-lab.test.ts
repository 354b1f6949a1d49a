// Used space of real exFAT volumes on loop devices, mounted through exfat-fuse: it starts at the
// area before the heap, grows by what is written (NoFatChain files too, which the FAT does not
// show) and shrinks by what is deleted, agrees with dump.exfat, and holds every extent map()
// gives. Each measurement follows a remount, the only dependable flush through FUSE.
import { spawnSync } from 'node:child_process';
import { open, readFile, unlink } from 'node:fs/promises';
import type { DeviceRange, PhysicalExtent } from '../../../src/shared/plugin-api.js';
import { Lab, fsNeeds, labTest, run, writeInterleaved } from '../../../test/lab/index.js';
import { usedBytes } from '../../vfat/ranges.js';
import { byPath, extentProblems, extentsOf, extentsOutside, mapWith, rangeProblems, rangesOf, usedWith } from '../../vfat/test/check.js';
import { parseExfatBootSector, type ExfatGeometry } from '../boot.js';
import plugin from '../index.js';

const usedTest = labTest([...fsNeeds('exfat'), 'dump.exfat', 'blockdev']);
const MiB = 1 << 20;

async function readImage(lab: Lab, at: number, length: number): Promise<Buffer> {
  const handle = await open(lab.img, 'r');
  try {
    const bytes = Buffer.alloc(length);
    await handle.read(bytes, 0, length, at);
    return bytes;
  } finally {
    await handle.close();
  }
}

async function geometryOf(lab: Lab): Promise<ExfatGeometry> {
  const geometry = parseExfatBootSector(await readImage(lab, 0, 512));
  if ('notExfat' in geometry) throw new Error(geometry.notExfat);
  return geometry;
}

/** Clusters in use by dump.exfat's count (Total - Free), read from the image: it opens a device exclusively. */
function dumpedUsedClusters(image: string): number {
  const dump = spawnSync('dump.exfat', [image], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const number = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(dump.stdout)?.[1] ?? NaN);
  const used = number('Total Clusters') - number('Free Clusters');
  if (dump.status !== 0 || Number.isNaN(used)) throw new Error(`dump.exfat ${image}: ${dump.stdout}${dump.stderr}`);
  return used;
}

async function measure(lab: Lab, t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; is: (a: unknown, b: unknown, m?: string) => void }) {
  await lab.unmount();
  await lab.mount();
  const result = await usedWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk' });
  const deviceSize = Number((await run('blockdev', ['--getsize64', lab.loop!])).stdout.trim());
  t.deepEqual(rangeProblems(result, deviceSize), [], 'well-formed ranges over the whole device');
  const geometry = await geometryOf(lab);
  const ranges = rangesOf(result);
  t.is(usedBytes(ranges), geometry.heapOffset + dumpedUsedClusters(lab.img) * geometry.clusterSize, 'the clusters dump.exfat counts as used');
  return { ranges, used: usedBytes(ranges), geometry };
}

async function mapAll(lab: Lab, rels: string[]): Promise<Map<string, PhysicalExtent[]>> {
  const mapped = byPath(await mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: rels.map((rel) => lab.path(rel)) }));
  return new Map(rels.map((rel) => [rel, extentsOf(mapped.get(lab.path(rel)))]));
}

function overlaps(extents: PhysicalExtent[], ranges: DeviceRange[]): boolean {
  return extents.some((e) => ranges.some((r) => r.start < e.physical + e.length && e.physical < r.end));
}

const SMALL = { 'docs/readme.txt': 1234, 'docs/deeper/notes.bin': 5000, 'Ünïcödé photo.jpg': 70_000 };

usedTest('exFAT: metadata only when fresh, +20 MiB for a 20 MiB file, every extent inside, shrinking after a delete', async (t) => {
  const lab = await Lab.create('exfat');
  t.teardown(() => lab.dispose());
  const fresh = await measure(lab, t);
  const { clusterSize, heapOffset } = fresh.geometry;
  // Before the heap: boot regions and the FAT, aligned to 1 MiB by mkfs.exfat; in it the bitmap
  // (2 clusters), the up-case table (2) and the root directory (1).
  t.deepEqual(fresh.ranges, [{ start: 0, end: heapOffset + 5 * clusterSize }]);

  await lab.writeFiles(SMALL);
  writeInterleaved(lab, 'frag/one.bin', 'frag/two.bin', 64 * 1024);
  await lab.writeFiles({ 'big.bin': 20 * MiB, 'after.bin': 3000 });
  const written = await measure(lab, t);
  const rels = [...Object.keys(SMALL), 'frag/one.bin', 'frag/two.bin', 'big.bin', 'after.bin'];
  let dataBytes = 0;
  for (const rel of rels) dataBytes += Math.ceil((await readFile(lab.path(rel))).length / clusterSize) * clusterSize;
  // Beyond the files' clusters only the three new directories (docs, docs/deeper, frag: one cluster each).
  t.is(written.used - fresh.used, dataBytes + 3 * clusterSize);
  t.true(Math.abs(written.used - fresh.used - 20 * MiB) < MiB, 'about 20 MiB more');

  const extents = await mapAll(lab, rels);
  t.true(extents.get('frag/one.bin')!.length > 1, 'frag/one.bin is fragmented (a FAT chain)');
  t.is(extents.get('big.bin')!.length, 1);
  // exfat-fuse leaves a contiguous file's FAT entries free: only the bitmap says it is there.
  const bigFirst = (extents.get('big.bin')![0]!.physical - heapOffset) / clusterSize + 2;
  t.is((await readImage(lab, fresh.geometry.fatOffset + bigFirst * 4, 4)).readUInt32LE(0), 0, 'big.bin has no FAT chain');
  for (const rel of rels) {
    t.deepEqual(await extentProblems(lab.img, extents.get(rel)!, await readFile(lab.path(rel))), [], `${rel} maps to its bytes`);
    t.deepEqual(extentsOutside(extents.get(rel)!, written.ranges), [], `${rel} lies in used space`);
  }

  await unlink(lab.path('big.bin'));
  await unlink(lab.path('frag/one.bin'));
  const deleted = await measure(lab, t);
  t.is(deleted.used, written.used - 20 * MiB - 64 * 1024);
  t.false(overlaps(extents.get('big.bin')!, deleted.ranges), "big.bin's clusters are free again");
  t.false(overlaps(extents.get('frag/one.bin')!, deleted.ranges), "frag/one.bin's clusters are free again");
  t.true(deleted.ranges.length > 2, 'the holes they left split the used space');
  const kept = await mapAll(lab, ['frag/two.bin', 'after.bin', 'Ünïcödé photo.jpg']);
  for (const [rel, keptExtents] of kept) t.deepEqual(extentsOutside(keptExtents, deleted.ranges), [], `${rel} still lies in used space`);
});

labTest([...fsNeeds('exfat'), ...fsNeeds('vfat')])('another volume device than the one mounted, and a FAT32 device, are refused', async (t) => {
  const [mounted, other, fat] = await Promise.all([
    Lab.create('exfat', { sizeMiB: 16 }),
    Lab.create('exfat', { sizeMiB: 16 }),
    Lab.create('vfat', { sizeMiB: 64 }),
  ]);
  t.teardown(() => Promise.all([mounted.dispose(), other.dispose(), fat.dispose()]));
  t.deepEqual(await usedWith(plugin, { device: other.loop!, mountPoint: mounted.mnt, fsType: 'fuseblk' }), {
    available: false,
    reason: `${other.loop} is not the device mounted at ${mounted.mnt}`,
  });
  t.deepEqual(await usedWith(plugin, { device: fat.loop!, mountPoint: fat.mnt, fsType: 'fuse.fusefat' }), {
    available: false,
    reason: `${fat.loop} does not hold an exFAT filesystem: the file system name is "mkfs.fat", not EXFAT`,
  });
});
