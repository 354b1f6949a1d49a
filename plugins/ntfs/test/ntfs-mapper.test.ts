// The NTFS mapper on real ntfs-3g volumes. Files are mapped while mounted (as Bitarr does), then
// the volume is unmounted, so nothing ntfs-3g or the loop device still holds can hide a wrong
// offset, and every extent is checked against the image: the bytes at `physical` must be the
// file's bytes at `logical`, and every data byte must be covered.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import type { CommandRunner, FileMapping, MapResult, PhysicalExtent, PluginContext, PluginManifest } from '../../../src/shared/plugin-api.js';
import { Lab, byteProblems, fsNeeds, labTest, run, type Extents } from '../../../test/lab/index.js';
import plugin from '../index.js';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'plugin.json'), 'utf8')) as PluginManifest;
const mapper = plugin.sectorMapper!;
const ntfsTest = labTest(fsNeeds('ntfs'));


/** The real runner, watched: counts ntfsinfo processes, the most at once, and can act before one starts. */
function watchedContext(settings: Record<string, number> = {}, before?: (args: string[]) => Promise<void>) {
  const context: PluginContext = createPluginContext(manifest, settings, () => undefined);
  const stats = { calls: 0, inFlight: 0, mostInFlight: 0 };
  const run: CommandRunner = async (command, args, options) => {
    stats.calls++;
    await before?.(args);
    stats.mostInFlight = Math.max(stats.mostInFlight, ++stats.inFlight);
    try {
      return await context.run(command, args, options);
    } finally {
      stats.inFlight--;
    }
  };
  return { context: { ...context, run }, stats };
}

function byPath(t: ExecutionContext, result: MapResult): Map<string, FileMapping> {
  if (!result.available) throw new Error(`mapper said unavailable: ${result.reason}`);
  t.is(new Set(result.files.map((f) => f.path)).size, result.files.length, 'one entry per file');
  return new Map(result.files.map((f) => [f.path, f]));
}

function extentsOf(t: ExecutionContext, mapping: FileMapping | undefined): Extents {
  if (!mapping || !('extents' in mapping)) {
    t.fail(`expected extents, got ${JSON.stringify(mapping)}`);
    throw new Error('no extents');
  }
  return mapping;
}


// Written last block first: every cluster is allocated on its own, away from its file neighbour,
// so the runlist has one run per cluster and outgrows the base MFT record ($ATTRIBUTE_LIST).
async function writeBackwards(path: string, blocks: number, blockSize: number): Promise<Buffer> {
  const content = randomBytes(blocks * blockSize);
  const handle = await open(path, 'w');
  try {
    for (let i = blocks - 1; i >= 0; i--) await handle.write(content, i * blockSize, blockSize, i * blockSize);
  } finally {
    await handle.close();
  }
  return content;
}

ntfsTest('ntfs: every extent holds the file’s bytes, for fragmented, sparse, resident and oddly named files', async (t) => {
  // 16 MiB gets 4 KiB clusters from the lab: small runs, many of them.
  const lab = await Lab.create('ntfs', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  const contents = new Map<string, Buffer>();
  const put = async (rel: string, content: Buffer) => {
    await lab.writeFiles({ [rel]: content });
    contents.set(rel, content);
  };
  await put('plain.bin', randomBytes(300_000));
  await put('dir with space/é ü — ☃.bin', randomBytes(50_000));
  await put('-leading dash', randomBytes(9_000));
  contents.set('fragmented.bin', await writeBackwards(lab.path('fragmented.bin'), 600, 4096));
  const sparse = Buffer.alloc(1024 * 1024 + 8192);
  randomBytes(4096).copy(sparse, 0);
  randomBytes(8192).copy(sparse, 1024 * 1024);
  const handle = await open(lab.path('sparse.bin'), 'w');
  await handle.write(sparse, 1024 * 1024, 8192, 1024 * 1024);
  await handle.write(sparse, 0, 4096, 0);
  await handle.close();
  contents.set('sparse.bin', sparse);
  await lab.writeFiles({ 'small.txt': Buffer.from('hello, resident\n'), 'empty.txt': Buffer.alloc(0) });

  const rels = [...contents.keys()];
  const { context, stats } = watchedContext();
  const result = await mapper.map(
    { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: [...rels, 'small.txt', 'empty.txt'].map((rel) => lab.path(rel)) },
    context,
  );
  const files = byPath(t, result);
  // One ntfsinfo per file with data: the empty one needs none. Never more than 4 at once.
  t.is(stats.calls, rels.length + 1);
  t.true(stats.mostInFlight <= 4 && stats.mostInFlight > 1, `at most 4 at once, saw ${stats.mostInFlight}`);

  const fragmented = extentsOf(t, files.get(lab.path('fragmented.bin')));
  t.true(fragmented.extents.length > 300, `one run per cluster: ${fragmented.extents.length}`);
  const ino = String((await stat(lab.path('fragmented.bin'))).ino);
  const { stdout: dump } = await run('ntfsinfo', ['-f', '-t', '-v', '-i', ino, lab.loop!]);
  t.regex(dump, /^Dumping attribute \$ATTRIBUTE_LIST/m, 'the runlist is spread over several MFT records');
  t.deepEqual(extentsOf(t, files.get(lab.path('small.txt'))), { path: lab.path('small.txt'), extents: [], note: 'resident in the MFT record' });
  t.deepEqual(extentsOf(t, files.get(lab.path('empty.txt'))), { path: lab.path('empty.txt'), extents: [], note: 'empty file' });
  const sparseMap = extentsOf(t, files.get(lab.path('sparse.bin')));
  t.regex(sparseMap.note ?? '', /^sparse: /);

  await lab.unmount();
  const problems: string[] = [];
  for (const rel of rels) {
    const holes = rel === 'sparse.bin' ? sparse.length - 4096 - 8192 : 0;
    problems.push(...(await byteProblems(lab.img, extentsOf(t, files.get(lab.path(rel))), contents.get(rel)!, holes)));
  }
  t.deepEqual(problems, []);
});

ntfsTest('ntfs: files far into a 6 GiB volume are mapped to their real offsets (past 4 GiB)', async (t) => {
  // ntfs-3g starts each new file 4096 clusters past the last one: with 64 KiB clusters, 256 MiB
  // apart, so a couple of dozen small files reach past 4 GiB. The image file stays sparse.
  const lab = await Lab.create('ntfs', { sizeMiB: 6144 });
  t.teardown(() => lab.dispose());
  const contents = new Map<string, Buffer>();
  for (let i = 0; i < 24; i++) contents.set(`far/${i}.bin`, randomBytes(100_000 + i * 1000));
  await lab.writeFiles(Object.fromEntries(contents));

  const result = await mapper.map(
    { device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: [...contents.keys()].map((rel) => lab.path(rel)) },
    watchedContext().context,
  );
  const files = byPath(t, result);
  const all = [...contents.keys()].map((rel) => extentsOf(t, files.get(lab.path(rel))));
  const farthest = Math.max(...all.flatMap((m) => m.extents.map((e) => e.physical)));
  t.true(farthest > 2 ** 32, `some file lies past 4 GiB (farthest at ${farthest})`);

  await lab.unmount();
  const problems: string[] = [];
  for (const [rel, content] of contents) problems.push(...(await byteProblems(lab.img, extentsOf(t, files.get(lab.path(rel))), content)));
  t.deepEqual(problems, []);
});

ntfsTest('ntfs: a vanished file, one deleted mid-batch, a directory and foreign paths get errors; the rest maps', async (t) => {
  const lab = await Lab.create('ntfs', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  const good = randomBytes(40_000);
  await lab.writeFiles({ 'good.bin': good, 'gone.bin': 5000, 'race.bin': 20_000 });
  await unlink(lab.path('gone.bin'));
  await mkdir(lab.path('a dir'));
  const raceIno = String((await stat(lab.path('race.bin'))).ino);
  // Deleted after the mapper looked at it and just before ntfsinfo reads its MFT record.
  const { context } = watchedContext({ concurrency: 1 }, async (args) => {
    if (args.includes(raceIno)) await unlink(lab.path('race.bin'));
  });
  const request = ['gone.bin', 'race.bin', 'a dir', 'good.bin'].map((rel) => lab.path(rel));
  const outside = ['/etc/hostname', join(lab.mnt, '..', 'escape'), 'relative/path'];
  const files = byPath(t, await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: [...request, ...outside] }, context));

  t.deepEqual(files.get(lab.path('gone.bin')), { path: lab.path('gone.bin'), error: 'no longer exists' });
  t.deepEqual(files.get(lab.path('race.bin')), { path: lab.path('race.bin'), error: 'no longer exists' });
  t.deepEqual(files.get(lab.path('a dir')), { path: lab.path('a dir'), error: 'not a regular file' });
  for (const path of outside) t.regex((files.get(path) as { error: string }).error, /not a file under the mount point/);
  const mapped = extentsOf(t, files.get(lab.path('good.bin')));
  await lab.unmount();
  t.deepEqual(await byteProblems(lab.img, mapped, good), []);
});

labTest([...fsNeeds('ntfs'), ...fsNeeds('exfat')])('ntfs: another fuseblk filesystem, a device not mounted there, or no ntfsinfo: unavailable, said plainly', async (t) => {
  const [ntfs, exfat] = await Promise.all([Lab.create('ntfs', { sizeMiB: 16 }), Lab.create('exfat', { sizeMiB: 16 })]);
  t.teardown(() => Promise.all([ntfs.dispose(), exfat.dispose()]));
  await writeFile(exfat.path('a.bin'), randomBytes(10_000));
  const context = watchedContext().context;

  const onExfat = await mapper.map({ device: exfat.loop!, mountPoint: exfat.mnt, fsType: 'fuseblk', files: [exfat.path('a.bin')] }, context);
  t.false(onExfat.available);
  t.regex(onExfat.available ? '' : onExfat.reason, /does not hold an NTFS volume/);

  const elsewhere = await mapper.map({ device: ntfs.loop!, mountPoint: exfat.mnt, fsType: 'fuseblk', files: [exfat.path('a.bin')] }, context);
  t.false(elsewhere.available);
  t.regex(elsewhere.available ? '' : elsewhere.reason, /is not the device mounted at/);

  // ntfsinfo not installed: the real runner, asked for a program that does not exist.
  await ntfs.writeFiles({ 'b.bin': 10_000 });
  const withoutTool = { ...context, run: ((_command, args, options) => context.run('ntfsinfo-not-installed', args, options)) as CommandRunner };
  const missing = await mapper.map({ device: ntfs.loop!, mountPoint: ntfs.mnt, fsType: 'fuseblk', files: [ntfs.path('b.bin')] }, withoutTool);
  t.deepEqual(missing, { available: false, reason: 'ntfsinfo (ntfs-3g package) is not installed', needs: 'ntfsinfo' });
});
