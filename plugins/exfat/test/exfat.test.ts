// Real exFAT volumes on loop devices, mounted through exfat-fuse: every extent the plugin
// returns must hold the file's bytes in the image, agree with the lab's own (content-search)
// map, and every file the plugin cannot map must get its own error without failing the batch.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Lab, fsNeeds, labTest, writeInterleaved } from '../../../test/lab/index.js';
import { byPath, extentProblems, extentsOf, mapWith, normalized } from '../../vfat/test/check.js';
import { parseExfatBootSector } from '../boot.js';
import plugin from '../index.js';

const exfatTest = labTest(fsNeeds('exfat'));


async function mapLab(lab: Lab, rels: string[]) {
  return mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: rels.map((rel) => lab.path(rel)) });
}

const TREE = {
  'Musik/Ünïcödé Ålbum/Snow ☃ – track.flac': 70_000,
  'Musik/Ünïcödé Ålbum/A name longer than fifteen UTF-16 units, several File Name entries.txt': 9000,
  'émoji 😀/smile.bin': 5000,
  [`long/${'n'.repeat(200)}.bin`]: 3000,
  'a/b/c/d/deep file.bin': 600,
  'contiguous.bin': 200_000,
  'empty.txt': 0,
};

exfatTest('exFAT: Unicode and long names, contiguous and chained files, a file far out and a big directory map to their bytes', async (t) => {
  const lab = await Lab.create('exfat');
  t.teardown(() => lab.dispose());
  await lab.writeFiles(TREE);
  writeInterleaved(lab, 'frag/one.bin', 'frag/two.bin', 64 * 1024);
  // A 4 KiB cluster holds 128 entries; 60 long names need 4 each, so the directory grows a chain.
  const many: Record<string, number> = {};
  for (let i = 0; i < 60; i++) many[`many/entry number ${i} with a long name.bin`] = 700;
  await lab.writeFiles(many);
  // Past 72 MiB of data (18432 clusters) the FAT entries lie beyond the first page the reader caches.
  await lab.writeFiles({ 'filler.bin': 72 << 20 });
  writeInterleaved(lab, 'far/away.bin', 'far/away too.bin', 256 * 1024);
  // exfat-fuse writes on its own schedule: the device is only sure to be current after a remount.
  await lab.unmount();
  await lab.mount();

  const rels = [...Object.keys(TREE), 'frag/one.bin', 'frag/two.bin', ...Object.keys(many), 'far/away.bin', 'far/away too.bin'];
  const mapped = byPath(await mapLab(lab, rels));
  for (const rel of rels) {
    t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path(rel))), await readFile(lab.path(rel))), [], rel);
  }
  t.true(extentsOf(mapped.get(lab.path('frag/one.bin'))).length > 1, 'frag/one.bin is fragmented');
  t.is(extentsOf(mapped.get(lab.path('contiguous.bin'))).length, 1);
  t.true(extentsOf(mapped.get(lab.path('far/away.bin')))[0]!.physical > 72 << 20, 'far/away.bin lies past the filler');
  t.true(extentsOf(mapped.get(lab.path('far/away.bin'))).length > 1, 'far/away.bin is chained through the FAT');
  t.deepEqual(extentsOf(mapped.get(lab.path('empty.txt'))), []);

  // The lab finds the same files by searching the image for their content: both must agree.
  const agreeOn = ['frag/two.bin', 'far/away.bin', 'Musik/Ünïcödé Ålbum/Snow ☃ – track.flac', 'contiguous.bin'];
  const labMap = await lab.mapFiles(agreeOn);
  for (const rel of agreeOn) {
    const size = (await readFile(lab.path(rel))).length;
    t.deepEqual(normalized(extentsOf(mapped.get(lab.path(rel))), size), normalized(labMap.get(rel)!, size), rel);
  }
});

exfatTest('files that vanished, never existed or are not files get their own errors; the batch is mapped', async (t) => {
  const lab = await Lab.create('exfat');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'keep.bin': 9000, 'gone.bin': 9000, 'dir/inside.bin': 100 });
  await lab.unmount();
  await lab.mount();
  await unlink(lab.path('gone.bin'));
  const result = await mapLab(lab, ['keep.bin', 'gone.bin', 'never/existed.bin', 'dir']);
  const mapped = byPath(result);
  t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path('keep.bin'))), await readFile(lab.path('keep.bin'))), []);
  t.like(mapped.get(lab.path('gone.bin')), { error: 'vanished: the file no longer exists' });
  t.like(mapped.get(lab.path('never/existed.bin')), { error: 'vanished: the file no longer exists' });
  t.like(mapped.get(lab.path('dir')), { error: 'not a regular file' });
});

exfatTest('a broken FAT chain (a loop, a free cluster) is a per-file error', async (t) => {
  const lab = await Lab.create('exfat');
  t.teardown(() => lab.dispose());
  writeInterleaved(lab, 'loop.bin', 'free.bin', 32 * 1024);
  await lab.writeFiles({ 'healthy.bin': 20_000 });
  const firsts = await lab.mapFiles(['loop.bin', 'free.bin']);
  await lab.unmount();
  const handle = await open(lab.img, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await handle.read(boot, 0, 512, 0);
    const geometry = parseExfatBootSector(boot);
    if ('notExfat' in geometry) throw new Error(geometry.notExfat);
    const clusterOf = (name: string) => (firsts.get(name)![0]!.physical - geometry.heapOffset) / geometry.clusterSize + 2;
    const setEntry = (cluster: number, value: number) => {
      const entry = Buffer.alloc(4);
      entry.writeUInt32LE(value);
      return handle.write(entry, 0, 4, geometry.fatOffset + cluster * 4);
    };
    await setEntry(clusterOf('loop.bin'), clusterOf('loop.bin'));
    await setEntry(clusterOf('free.bin'), 0);
  } finally {
    await handle.close();
  }
  await lab.mount();
  const mapped = byPath(await mapLab(lab, ['loop.bin', 'free.bin', 'healthy.bin']));
  t.regex((mapped.get(lab.path('loop.bin')) as { error?: string }).error ?? '', /^broken cluster chain: it loops/);
  t.regex((mapped.get(lab.path('free.bin')) as { error?: string }).error ?? '', /^broken cluster chain: .* is marked free/);
  t.deepEqual(await extentProblems(lab.img, extentsOf(mapped.get(lab.path('healthy.bin'))), await readFile(lab.path('healthy.bin'))), []);
});

labTest(fsNeeds('vfat'))('a FAT32 device is not taken for exFAT', async (t) => {
  const lab = await Lab.create('vfat');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'a.bin': 100 });
  const result = await mapWith(plugin, { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuse.fusefat', files: [lab.path('a.bin')] });
  t.deepEqual(result, { available: false, reason: `${lab.loop} does not hold an exFAT filesystem: the file system name is "mkfs.fat", not EXFAT` });
});

exfatTest('a device other than the one mounted at the mount point is refused', async (t) => {
  const [mounted, other] = await Promise.all([Lab.create('exfat', { sizeMiB: 16 }), Lab.create('exfat', { sizeMiB: 16 })]);
  t.teardown(() => Promise.all([mounted.dispose(), other.dispose()]));
  await mounted.writeFiles({ 'a.bin': 100 });
  const result = await mapWith(plugin, { device: other.loop!, mountPoint: mounted.mnt, fsType: 'fuseblk', files: [mounted.path('a.bin')] });
  t.deepEqual(result, { available: false, reason: `${other.loop} is not the device mounted at ${mounted.mnt}` });
});
