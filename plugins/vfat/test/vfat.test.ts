// Real FAT volumes on loop devices, mounted through fusefat: every extent the plugin returns
// must hold the file's bytes in the image, agree with the lab's own (content-search) map, and
// every file the plugin cannot map must get its own error without failing the batch.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { open, readFile, unlink } from 'node:fs/promises';
import { Lab, fsNeeds, labTest, run, writeInterleaved } from '../../../test/lab/index.js';
import { parseFatBootSector, type FatType } from '../boot.js';
import plugin from '../index.js';
import { byPath, extentProblems, extentsOf, mapWith, normalized } from './check.js';

const vfatTest = labTest(fsNeeds('vfat'));


async function mapLab(lab: Lab, rels: string[]) {
  return mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat', files: rels.map((rel) => lab.path(rel)) });
}

async function fatType(lab: Lab): Promise<FatType> {
  const handle = await open(lab.img, 'r');
  const boot = Buffer.alloc(512);
  await handle.read(boot, 0, 512, 0);
  await handle.close();
  const geometry = parseFatBootSector(boot);
  if ('notFat' in geometry) throw new Error(geometry.notFat);
  return geometry.type;
}

const TREE = {
  'Music/The Long Artist Name/01 - A Song With A Rather Long Name.flac': 70_000,
  'Music/The Long Artist Name/cover.jpg': 5000,
  'DOCS/README.TXT': 1234,
  'lower.txt': 700,
  'MixedCase Folder/Mixed.Case.With.Dots.bin': 3000,
  'a/b/c/d/deep file.bin': 600,
  'empty.txt': 0,
};

vfatTest('FAT32: nested long names, fragmented files, a file far out and a big directory map to their bytes', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  t.is(await fatType(lab), 'FAT32');
  await lab.writeFiles(TREE);
  writeInterleaved(lab, 'frag/one.bin', 'frag/two.bin', 64 * 1024);
  // 16 entries fill a 512-byte cluster; 40 long names need several clusters, allocated among the files' data.
  const many: Record<string, number> = {};
  for (let i = 0; i < 40; i++) many[`many/entry number ${i} with a long name.bin`] = 700;
  await lab.writeFiles(many);
  // Past 24 MiB of data the FAT entries lie far beyond the first page the reader caches.
  await lab.writeFiles({ 'filler.bin': 24 << 20 });
  await lab.writeFiles({ 'far/away.bin': 300_000 });
  // fusefat writes on its own schedule: the device is only sure to be current after a remount.
  await lab.unmount();
  await lab.mount();

  const rels = [...Object.keys(TREE), 'frag/one.bin', 'frag/two.bin', ...Object.keys(many), 'far/away.bin'];
  const mapped = byPath(await mapLab(lab, rels));
  for (const rel of rels) {
    const extents = extentsOf(mapped.get(lab.path(rel)));
    t.deepEqual(await extentProblems(lab.img, extents, await readFile(lab.path(rel))), [], rel);
  }
  t.true(extentsOf(mapped.get(lab.path('frag/one.bin'))).length > 1, 'frag/one.bin is fragmented');
  t.true(extentsOf(mapped.get(lab.path('far/away.bin')))[0]!.physical > 24 << 20, 'far/away.bin lies past the filler');
  t.deepEqual(extentsOf(mapped.get(lab.path('empty.txt'))), []);

  // The lab finds the same files by searching the image for their content: both must agree.
  const agreeOn = ['frag/one.bin', 'far/away.bin', 'Music/The Long Artist Name/01 - A Song With A Rather Long Name.flac'];
  const labMap = await lab.mapFiles(agreeOn);
  for (const rel of agreeOn) {
    const size = (await readFile(lab.path(rel))).length;
    t.deepEqual(normalized(extentsOf(mapped.get(lab.path(rel))), size), normalized(labMap.get(rel)!, size), rel);
  }
});

vfatTest('files that vanished, never existed or are not files get their own errors; the batch is mapped', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'keep.bin': 9000, 'gone.bin': 9000, 'dir/inside.bin': 100 });
  await lab.unmount();
  await lab.mount();
  await unlink(lab.path('gone.bin'));
  const paths = ['keep.bin', 'gone.bin', 'never/existed.bin', 'dir'].map((rel) => lab.path(rel));
  const result = await mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat', files: [...paths, '/etc/hostname'] });
  const mapped = byPath(result);
  t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path('keep.bin'))), await readFile(lab.path('keep.bin'))), []);
  t.like(mapped.get(lab.path('gone.bin')), { error: 'vanished: the file no longer exists' });
  t.like(mapped.get(lab.path('never/existed.bin')), { error: 'vanished: the file no longer exists' });
  t.like(mapped.get(lab.path('dir')), { error: 'not a regular file' });
  t.regex((mapped.get('/etc/hostname') as { error: string }).error, /not a file under the mount point/);
  t.is(result.available && result.files.length, 5);
});

for (const type of ['FAT12', 'FAT16'] as const) {
  vfatTest(`${type}: the fixed root directory and ${type === 'FAT12' ? '12-bit' : '16-bit'} FAT entries`, async (t) => {
    const lab = await Lab.create('vfat', { sizeMiB: type === 'FAT12' ? 8 : 64 });
    t.teardown(() => lab.dispose());
    // The lab makes FAT32; the same image, made again as FAT12/16 while unmounted, is still the lab's.
    await lab.unmount();
    await run('mkfs.vfat', ['-F', type.slice(3), lab.img]);
    await lab.mount();
    t.is(await fatType(lab), type);
    await lab.writeFiles({ 'in the root.bin': 5000, 'ROOT.TXT': 100, 'sub dir/nested long name.bin': 20_000 });
    writeInterleaved(lab, 'sub dir/frag one.bin', 'sub dir/frag two.bin', 48 * 1024);
    await lab.unmount();
    await lab.mount();
    const rels = ['in the root.bin', 'ROOT.TXT', 'sub dir/nested long name.bin', 'sub dir/frag one.bin', 'sub dir/frag two.bin'];
    const mapped = byPath(await mapLab(lab, rels));
    for (const rel of rels) {
      t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path(rel))), await readFile(lab.path(rel))), [], rel);
    }
    t.true(extentsOf(mapped.get(lab.path('sub dir/frag one.bin'))).length > 1, 'the interleaved files are fragmented');
  });
}

vfatTest('broken cluster chains (a loop, a free, a bad and an early end) are per-file errors', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  const names = ['loop.bin', 'free.bin', 'bad.bin', 'short.bin', 'healthy.bin'];
  await lab.writeFiles(Object.fromEntries(names.map((name) => [name, 4000])));
  const firsts = await lab.mapFiles(names);
  await lab.unmount();
  const handle = await open(lab.img, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, 0);
    const geometry = parseFatBootSector(boot);
    if ('notFat' in geometry) throw new Error(geometry.notFat);
    const fatSize = boot.readUInt32LE(36) * geometry.bytesPerSector;
    const clusterOf = (name: string) => (firsts.get(name)![0]!.physical - geometry.heapOffset) / geometry.clusterSize + 2;
    for (const name of names) t.true(firsts.get(name)![0]!.length >= 2 * geometry.clusterSize, `${name} starts with two clusters in a row`);
    // The entry of each file's second cluster, in both FAT copies.
    const setSecond = async (name: string, value: number) => {
      const entry = Buffer.alloc(4);
      entry.writeUInt32LE(value);
      for (const copy of [0, 1]) await handle.write(entry, 0, 4, geometry.fatOffset + copy * fatSize + (clusterOf(name) + 1) * 4);
    };
    await setSecond('loop.bin', clusterOf('loop.bin'));
    await setSecond('free.bin', 0);
    await setSecond('bad.bin', 0x0ffffff7);
    await setSecond('short.bin', 0x0fffffff);
  } finally {
    await handle.close();
  }
  await lab.mount();
  const mapped = byPath(await mapLab(lab, names));
  const errorOf = (name: string) => (mapped.get(lab.path(name)) as { error?: string }).error ?? '';
  t.regex(errorOf('loop.bin'), /^broken cluster chain: it loops/);
  t.regex(errorOf('free.bin'), /^broken cluster chain: .* is marked free/);
  t.regex(errorOf('bad.bin'), /^broken cluster chain: .* is marked bad/);
  t.regex(errorOf('short.bin'), /^broken cluster chain: it ends after 2 clusters, but the file's 4000 bytes need 8/);
  t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path('healthy.bin'))), await readFile(lab.path('healthy.bin'))), []);
});

labTest(fsNeeds('exfat'))('an exFAT device is not taken for FAT', async (t) => {
  const lab = await Lab.create('exfat', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'a.bin': 100 });
  const result = await mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: [lab.path('a.bin')] });
  t.deepEqual(result, { available: false, reason: `${lab.loop} does not hold a FAT12/16/32 filesystem: it is EXFAT` });
});
