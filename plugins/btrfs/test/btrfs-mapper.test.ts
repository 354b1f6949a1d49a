// The btrfs mapper on real btrfs images. Every returned extent is read back from the loop device
// and compared with the file: a translation that is merely plausible fails here.
import { randomBytes } from 'node:crypto';
import { mkdir, open, symlink, unlink, writeFile } from 'node:fs/promises';
import { Lab, fsNeeds, labTest, readBtrfsChunks, run, type BtrfsChunk } from '../../../test/lab/index.js';
import plugin from '../index.js';
import { byteProblems, bytesOf, errorOf, hasExtents, mapRels, rawFiemap, request, watchedContext } from './helpers.js';

const btrfsTest = labTest(fsNeeds('btrfs'));
const MiB = 1 << 20;

/** Appends 1 MiB at a time, each synced: the allocator fills chunk after chunk, back to back. */
async function writeSynced(path: string, mebibytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let i = 0; i < mebibytes; i++) {
      await handle.write(randomBytes(MiB), 0, MiB, i * MiB);
      await handle.datasync();
    }
  } finally {
    await handle.close();
  }
}

const chunkOf = (chunks: BtrfsChunk[], address: number) => chunks.find((c) => c.logical <= address && address < c.logical + c.length);

btrfsTest('btrfs: a file filling chunk after chunk maps byte-exact, past the first data chunk and across chunk boundaries', async (t) => {
  const lab = await Lab.create('btrfs', { sizeMiB: 256 });
  t.teardown(() => lab.dispose());
  // On 256 MiB, data chunks are 32 MiB; when the device end is used up, the last chunk goes
  // into the gap at its start: logically next, physically 200 MiB lower.
  await writeSynced(lab.path('fill.bin'), 170);
  const { context } = watchedContext();
  const mapping = (await mapRels(t, lab, ['fill.bin'], context)).get('fill.bin');
  if (!hasExtents(mapping)) return t.fail(errorOf(mapping));
  t.deepEqual(await byteProblems(lab.loop!, mapping, await bytesOf(lab, 'fill.bin')), []);

  // What makes the bytes above worth something, checked with the lab's own chunk parser.
  await run('btrfs', ['filesystem', 'sync', lab.mnt]);
  const chunks = await readBtrfsChunks(lab.img);
  const raw = await rawFiemap(lab, 'fill.bin');
  const firstData = chunks.filter((c) => c.type.startsWith('DATA')).sort((a, b) => a.logical - b.logical)[0]!;
  const rawAt = (logical: number) => {
    const extent = raw.extents.find((e) => e.logical <= logical && logical < e.logical + e.length)!;
    return extent.physical + (logical - extent.logical);
  };
  const beyond = mapping.extents.filter((e) => rawAt(e.logical) >= firstData.logical + firstData.length);
  t.true(beyond.length >= 5, `${beyond.length} extents beyond the first data chunk`);
  for (const extent of beyond) t.not(extent.physical, rawAt(extent.logical), `extent at file offset ${extent.logical} was not translated`);
  // A boundary inside one FIEMAP extent where the next chunk does not follow on the device.
  const jump = raw.extents.find((e) =>
    chunks.some((c) => {
      const previous = chunkOf(chunks, c.logical - 1);
      return c.logical > e.physical && c.logical < e.physical + e.length && previous !== undefined && previous.physical + previous.length !== c.physical;
    }),
  );
  t.truthy(jump, 'no FIEMAP extent runs into a chunk placed elsewhere on the device: the split went untested');
  t.true(mapping.extents.length > raw.extents.length, 'extents were split at chunk boundaries');
});

btrfsTest('btrfs: a chunk allocated after the last commit is found by committing and reading the chunk tree again', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  // Written without fsync, as most programs write: writeback places the data (filefrag -s
  // starts it) in a new chunk that the chunk tree on the device gets only at the next commit.
  await writeFile(lab.path('new.bin'), randomBytes(30 * MiB));
  await run('filefrag', ['-s', lab.path('new.bin')]);
  const before = await readBtrfsChunks(lab.img);
  const raw = await rawFiemap(lab, 'new.bin');
  t.true(raw.extents.some((e) => chunkOf(before, e.physical) === undefined), 'the data is already in committed chunks: nothing stale to find');
  const { context, logs, calls } = watchedContext();
  const mapping = (await mapRels(t, lab, ['new.bin'], context)).get('new.bin');
  if (!hasExtents(mapping)) return t.fail(errorOf(mapping));
  t.deepEqual(await byteProblems(lab.loop!, mapping, await bytesOf(lab, 'new.bin')), []);
  t.true(logs.some((line) => /allocated after the last commit/.test(line)), logs.join('\n'));
  t.is(calls.filter((c) => c[2] === 'dump-tree').length, 2);
});

btrfsTest('btrfs: compressed, inline, empty, vanished and odd paths get their own answer and the rest of the batch maps', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  const tree = await lab.randomTree(12, { seed: 3 });
  // The lab mounts without options: compression is asked for per file, before it has data.
  await lab.writeFiles({ 'packed.txt': Buffer.alloc(0) });
  await run('btrfs', ['property', 'set', lab.path('packed.txt'), 'compression', 'zstd']);
  await lab.writeFiles({ 'packed.txt': Buffer.from('compressible text, again and again. '.repeat(20_000)), 'tiny.txt': Buffer.from('tiny'), 'empty.bin': Buffer.alloc(0), 'racer.bin': 50_000 });
  await mkdir(lab.path('a-dir'));
  await symlink(lab.path(tree[0]!), lab.path('link.bin'));
  // A directory link out of the filesystem: FIEMAP would answer for the image file underneath.
  await symlink(lab.dir, lab.path('via-link'));
  t.true((await rawFiemap(lab, 'packed.txt')).notOnDisk.some((e) => /encoded/.test(e)), 'zstd did not compress it');
  t.true((await rawFiemap(lab, 'tiny.txt')).inline, 'tiny.txt is not inline');

  // racer.bin passes the checks, then vanishes right before the first filefrag that is given it
  // (two filefrags run at once: the first call of all may be the other batch's).
  let raced = false;
  const { context, calls } = watchedContext({ filesPerCall: 5 }, async (command, args) => {
    if (command === 'filefrag' && !raced && args.some((a) => a.endsWith('racer.bin'))) {
      raced = true;
      await unlink(lab.path('racer.bin'));
    }
  });
  const odd = ['racer.bin', 'packed.txt', 'tiny.txt', 'empty.bin', 'gone.bin', 'a-dir', 'link.bin', 'via-link/btrfs.img'];
  const rels = [...odd.slice(0, 4), ...tree.slice(0, 6), ...odd.slice(4), ...tree.slice(6)];
  const maps = await mapRels(t, lab, rels, context);
  t.is(errorOf(maps.get('racer.bin')), 'vanished: no such file');
  t.is(errorOf(maps.get('packed.txt')), "compressed: physical bytes are not the file's bytes");
  t.deepEqual(maps.get('tiny.txt'), { path: lab.path('tiny.txt'), extents: [], note: 'inline in metadata' });
  t.deepEqual(maps.get('empty.bin'), { path: lab.path('empty.bin'), extents: [], note: 'empty' });
  t.is(errorOf(maps.get('gone.bin')), 'vanished: no such file');
  t.is(errorOf(maps.get('a-dir')), 'not a regular file');
  t.regex(errorOf(maps.get('link.bin')), /symbolic link/);
  t.is(errorOf(maps.get('via-link/btrfs.img')), `reached through a symbolic link, it lies outside ${lab.mnt}`);
  for (const rel of tree) {
    const mapping = maps.get(rel);
    if (!hasExtents(mapping)) t.fail(`${rel}: ${errorOf(mapping)}`);
    else t.deepEqual(await byteProblems(lab.loop!, mapping, await bytesOf(lab, rel)), [], rel);
  }
  // 16 files reach filefrag in batches of 5: four runs, and the first once more without racer.bin.
  t.is(calls.filter((c) => c[0] === 'filefrag').length, 5);
  const outside = await plugin.sectorMapper!.map(request(lab, [], { files: ['/etc/hostname', `${lab.mnt}/../escape`] }), context);
  t.deepEqual(outside.available ? outside.files.map(errorOf) : outside.reason, [`not a file under the mount point ${lab.mnt}`, `not a file under the mount point ${lab.mnt}`]);
});

btrfsTest('btrfs: DUP data maps to the first copy, and the note says where the second copy is', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await run('btrfs', ['balance', 'start', '-dconvert=dup', lab.mnt]);
  await lab.writeFiles({ 'twice.bin': 3 * MiB + 123 });
  await run('btrfs', ['filesystem', 'sync', lab.mnt]);
  const raw = await rawFiemap(lab, 'twice.bin');
  const chunks = await readBtrfsChunks(lab.img);
  t.true(raw.extents.every((e) => chunkOf(chunks, e.physical)?.type === 'DATA|DUP'), 'the data is not in DUP chunks');

  const mapping = (await mapRels(t, lab, ['twice.bin'], watchedContext().context)).get('twice.bin');
  if (!hasExtents(mapping)) return t.fail(errorOf(mapping));
  const content = await bytesOf(lab, 'twice.bin');
  t.deepEqual(await byteProblems(lab.loop!, mapping, content), []);
  const second = /a second copy of each extent lies at physical \+ (\d+)/.exec(mapping.note ?? '');
  if (!second) return t.fail(`no second copy in the note: ${mapping.note}`);
  t.deepEqual(await byteProblems(lab.loop!, mapping, content, Number(second[1])), [], 'second copy');
});
