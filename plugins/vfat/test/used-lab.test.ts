// Used space of real FAT volumes on loop devices, mounted through fusefat: it starts at the
// system area, grows by what is written and shrinks by what is deleted, agrees with fsck.fat's
// cluster count, and holds every extent map() gives. fusefat writes on its own schedule, so
// each measurement follows a remount.
import { spawnSync } from 'node:child_process';
import { open, readFile, unlink } from 'node:fs/promises';
import { Lab, fsNeeds, labTest, run, writeInterleaved } from '../../../test/lab/index.js';
import type { DeviceRange, PhysicalExtent } from '../../../src/shared/plugin-api.js';
import { parseFatBootSector, type FatGeometry } from '../boot.js';
import plugin from '../index.js';
import { usedBytes } from '../ranges.js';
import { byPath, extentProblems, extentsOf, extentsOutside, mapWith, rangeProblems, rangesOf, usedWith } from './check.js';

const usedTest = labTest([...fsNeeds('vfat'), 'fsck.fat', 'blockdev']);
const MiB = 1 << 20;

async function geometryOf(lab: Lab): Promise<FatGeometry> {
  const handle = await open(lab.img, 'r');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, 0);
    const geometry = parseFatBootSector(boot);
    if ('notFat' in geometry) throw new Error(geometry.notFat);
    return geometry;
  } finally {
    await handle.close();
  }
}

/** fsck.fat -n's "USED/TOTAL clusters"; it exits 1 for a volume marked dirty, which a mounted one is. */
function fsckUsedClusters(image: string): number {
  const fsck = spawnSync('fsck.fat', ['-n', image], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const match = /(\d+)\/\d+ clusters\s*$/.exec(fsck.stdout);
  if (!match || (fsck.status !== 0 && fsck.status !== 1)) throw new Error(`fsck.fat -n ${image}: ${fsck.stdout}${fsck.stderr}`);
  return Number(match[1]);
}

async function measure(lab: Lab, t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; is: (a: unknown, b: unknown, m?: string) => void }) {
  await lab.unmount();
  await lab.mount();
  const result = await usedWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat' });
  const deviceSize = Number((await run('blockdev', ['--getsize64', lab.loop!])).stdout.trim());
  t.deepEqual(rangeProblems(result, deviceSize), [], 'well-formed ranges over the whole device');
  const geometry = await geometryOf(lab);
  const ranges = rangesOf(result);
  t.is(usedBytes(ranges), geometry.heapOffset + fsckUsedClusters(lab.img) * geometry.clusterSize, 'the clusters fsck.fat counts as used');
  return { ranges, used: usedBytes(ranges), geometry };
}

async function mapAll(lab: Lab, rels: string[]): Promise<Map<string, PhysicalExtent[]>> {
  const mapped = byPath(await mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat', files: rels.map((rel) => lab.path(rel)) }));
  return new Map(rels.map((rel) => [rel, extentsOf(mapped.get(lab.path(rel)))]));
}

function overlaps(extents: PhysicalExtent[], ranges: DeviceRange[]): boolean {
  return extents.some((e) => ranges.some((r) => r.start < e.physical + e.length && e.physical < r.end));
}

const SMALL = { 'docs/readme.txt': 1234, 'docs/deeper/notes.bin': 5000, 'photo.jpg': 70_000 };

usedTest('FAT32: metadata only when fresh, +20 MiB for a 20 MiB file, every extent inside, shrinking after a delete', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  const fresh = await measure(lab, t);
  t.is(fresh.geometry.type, 'FAT32');
  // Reserved sectors and two FATs (about 4 MiB of 256) and the root directory's one cluster.
  t.is(fresh.used, fresh.geometry.heapOffset + fresh.geometry.clusterSize);
  t.deepEqual(fresh.ranges, [{ start: 0, end: fresh.used }]);

  await lab.writeFiles(SMALL);
  writeInterleaved(lab, 'frag/one.bin', 'frag/two.bin', 64 * 1024);
  await lab.writeFiles({ 'big.bin': 20 * MiB, 'after.bin': 3000 });
  const written = await measure(lab, t);
  const { clusterSize } = written.geometry;
  const rels = [...Object.keys(SMALL), 'frag/one.bin', 'frag/two.bin', 'big.bin', 'after.bin'];
  let dataBytes = 0;
  for (const rel of rels) dataBytes += Math.ceil((await readFile(lab.path(rel))).length / clusterSize) * clusterSize;
  // Beyond the files' clusters only the three new directories (docs, docs/deeper, frag: one cluster each, few entries).
  t.is(written.used - fresh.used, dataBytes + 3 * clusterSize);
  t.true(Math.abs(written.used - fresh.used - 20 * MiB) < MiB, 'about 20 MiB more');

  const extents = await mapAll(lab, rels);
  t.true(extents.get('frag/one.bin')!.length > 1, 'frag/one.bin is fragmented');
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
  const kept = await mapAll(lab, ['frag/two.bin', 'after.bin', 'photo.jpg']);
  for (const [rel, keptExtents] of kept) t.deepEqual(extentsOutside(keptExtents, deleted.ranges), [], `${rel} still lies in used space`);
});

for (const type of ['FAT12', 'FAT16'] as const) {
  usedTest(`${type}: the fixed root directory is system area; files' clusters are used`, async (t) => {
    const lab = await Lab.create('vfat', { sizeMiB: type === 'FAT12' ? 8 : 64 });
    t.teardown(() => lab.dispose());
    await lab.unmount();
    await run('mkfs.vfat', ['-F', type.slice(3), lab.img]);
    await lab.mount();
    const fresh = await measure(lab, t);
    t.is(fresh.geometry.type, type);
    t.deepEqual(fresh.ranges, [{ start: 0, end: fresh.geometry.heapOffset }], 'nothing but the boot sector, the FATs and the root');
    const size = type === 'FAT12' ? MiB : 20 * MiB;
    await lab.writeFiles({ 'in the root.bin': size, 'sub dir/nested.bin': 20_000 });
    writeInterleaved(lab, 'sub dir/a.bin', 'sub dir/b.bin', 48 * 1024);
    const written = await measure(lab, t);
    const { clusterSize } = written.geometry;
    const rels = ['in the root.bin', 'sub dir/nested.bin', 'sub dir/a.bin', 'sub dir/b.bin'];
    const dataBytes = [size, 20_000, 48 * 1024, 48 * 1024].reduce((sum, bytes) => sum + Math.ceil(bytes / clusterSize) * clusterSize, 0);
    t.is(written.used - fresh.used, dataBytes + clusterSize, 'the files and the one cluster of "sub dir"');
    const extents = await mapAll(lab, rels);
    for (const rel of rels) t.deepEqual(extentsOutside(extents.get(rel)!, written.ranges), [], `${rel} lies in used space`);
  });
}

usedTest('a cluster marked bad in the FAT counts as used', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  const before = await measure(lab, t);
  const { geometry } = before;
  const bad = 100_000; // far past the root directory's cluster, free on a fresh volume
  await lab.unmount();
  const handle = await open(lab.img, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, 0);
    const fatSize = boot.readUInt32LE(36) * geometry.bytesPerSector;
    const entry = Buffer.alloc(4);
    entry.writeUInt32LE(0x0ffffff7);
    for (const copy of [0, 1]) await handle.write(entry, 0, 4, geometry.fatOffset + copy * fatSize + bad * 4);
  } finally {
    await handle.close();
  }
  await lab.mount();
  const result = await usedWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat' });
  const at = geometry.heapOffset + (bad - 2) * geometry.clusterSize;
  t.deepEqual(rangesOf(result), [...before.ranges, { start: at, end: at + geometry.clusterSize }]);
});

labTest([...fsNeeds('vfat'), ...fsNeeds('exfat')])('an exFAT device is not taken for FAT', async (t) => {
  const [fat, exfat] = await Promise.all([Lab.create('vfat', { sizeMiB: 16 }), Lab.create('exfat', { sizeMiB: 16 })]);
  t.teardown(() => Promise.all([fat.dispose(), exfat.dispose()]));
  t.deepEqual(await usedWith(plugin, { device: exfat.loop!, mountPoint: fat.mnt, fsType: 'fuse.fusefat' }), {
    available: false,
    reason: `${exfat.loop} does not hold a FAT12/16/32 filesystem: it is EXFAT`,
  });
});
