// usedSpace on real btrfs images: the ranges must follow the data (a file written shows up, a file
// deleted goes away), hold every extent map() gives, and be refused plainly where they cannot be had.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { open, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import type { CommandRunner, DeviceRange, UsedSpaceRequest, UsedSpaceResult } from '../../../src/shared/plugin-api.js';
import { Lab, fsNeeds, labTest, readBtrfsChunks, run, writeInterleaved } from '../../../test/lab/index.js';
import plugin from '../index.js';
import { blockdevSize, errorOf, hasExtents, mapRels, rangeShapeProblems, uncovered, usedBytes, watchedContext } from './helpers.js';

const btrfsTest = labTest(fsNeeds('btrfs'));
const mapper = plugin.sectorMapper!;
const MiB = 1 << 20;

const usedRequest = (lab: Lab, extra: Partial<UsedSpaceRequest> = {}): UsedSpaceRequest => ({ device: lab.loop!, mountPoint: lab.mnt, fsType: 'btrfs', ...extra });
// dump-tree reads what is committed; a commit makes what was just written count.
const commit = (lab: Lab) => run('btrfs', ['filesystem', 'sync', lab.mnt]);

/** usedSpace, which must be available and well formed for the lab's loop device. */
async function usedOf(t: ExecutionContext, lab: Lab, settings: Record<string, number> = {}): Promise<Extract<UsedSpaceResult, { available: true }>> {
  const { context } = watchedContext(settings);
  const result = await mapper.usedSpace!(usedRequest(lab), context);
  if (!result.available) throw new Error(`usedSpace said unavailable: ${result.reason}`);
  t.deepEqual(rangeShapeProblems(result.ranges, result.sizeBytes), []);
  t.is(result.sizeBytes, await blockdevSize(lab.loop!));
  return result;
}

/** map()'s extents of `rels` as device ranges. */
async function extentRanges(t: ExecutionContext, lab: Lab, rels: string[]): Promise<Map<string, DeviceRange[]>> {
  const mappings = await mapRels(t, lab, rels, watchedContext().context);
  const out = new Map<string, DeviceRange[]>();
  for (const [rel, mapping] of mappings) {
    if (!hasExtents(mapping)) throw new Error(`${rel}: ${errorOf(mapping)}`);
    out.set(rel, mapping.extents.map((e) => ({ start: e.physical, end: e.physical + e.length })));
  }
  return out;
}

const notIn = (extents: DeviceRange[], used: DeviceRange[]) => extents.reduce((sum, e) => sum + uncovered(e.start, e.end, used), 0);

btrfsTest('btrfs used space: metadata only when fresh, +20 MiB for a 20 MiB file, given back when it is deleted', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await commit(lab);
  const fresh = await usedOf(t, lab);
  t.is(fresh.granularity, 'extent');
  // The reserved first MiB, the superblock copy at 64 MiB and some 16 KiB tree blocks, twice (DUP).
  t.true(usedBytes(fresh.ranges) < 2 * MiB, `fresh: ${usedBytes(fresh.ranges)} bytes used`);
  t.is(uncovered(0, MiB, fresh.ranges), 0, 'the reserved first MiB is used');

  await lab.writeFiles({ 'big.bin': 20 * MiB });
  await commit(lab);
  const written = await usedOf(t, lab);
  const grown = usedBytes(written.ranges) - usedBytes(fresh.ranges);
  t.log(`fresh ${usedBytes(fresh.ranges)} B used; the 20 MiB file added ${grown} B`);
  // The data, plus its checksums (4 bytes per 4 KiB: 20 KiB) and the tree blocks the commits
  // copied, each 16 KiB and stored twice; copies replaced are freed again: < 1 MiB either way.
  t.true(grown >= 20 * MiB - 256 * 1024 && grown <= 21 * MiB, `grew by ${grown} bytes`);
  const big = (await extentRanges(t, lab, ['big.bin'])).get('big.bin')!;
  t.is(notIn(big, written.ranges), 0, 'every extent of the file is in used space');
  t.is(notIn(big, fresh.ranges), 20 * MiB, 'none of it was used before: used space is not whole chunks');

  await unlink(lab.path('big.bin'));
  await commit(lab);
  const deleted = await usedOf(t, lab);
  const shrunk = usedBytes(written.ranges) - usedBytes(deleted.ranges);
  t.log(`deleting it gave back ${shrunk} B`);
  t.true(shrunk >= 20 * MiB - 256 * 1024 && shrunk <= 21 * MiB, `shrank by ${shrunk} bytes`);
  t.is(notIn(big, deleted.ranges), 20 * MiB, 'the freed extents are free again');
});

/** Appends 1 MiB at a time, each synced: the allocator fills chunk after chunk, to the device's end and then into its start. */
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

btrfsTest('btrfs used space holds every extent of every file, on a device whose chunks lie elsewhere than their btrfs addresses', async (t) => {
  const lab = await Lab.create('btrfs', { sizeMiB: 256 });
  t.teardown(() => lab.dispose());
  await writeSynced(lab.path('fill.bin'), 110);
  writeInterleaved(lab, 'a/one.bin', 'a/two.bin', 2 * MiB);
  const tree = await lab.randomTree(30, { seed: 7 });
  await lab.writeFiles({ 'gone.bin': 6 * MiB });
  await commit(lab);
  await unlink(lab.path('gone.bin'));
  await commit(lab);
  // Without chunks placed away from their logical address, a missing translation would pass.
  const chunks = await readBtrfsChunks(lab.loop!);
  t.true(chunks.some((c) => c.physical !== c.logical && c.type.startsWith('DATA')), 'a data chunk lies elsewhere on the device');

  const used = await usedOf(t, lab);
  const rels = ['fill.bin', 'a/one.bin', 'a/two.bin', ...tree];
  const mappings = await mapRels(t, lab, rels, watchedContext().context);
  let extents = 0;
  const outside: string[] = [];
  for (const [rel, mapping] of mappings) {
    if (!hasExtents(mapping)) continue; // inline files: in a tree block, which is used space too
    for (const e of mapping.extents) {
      extents++;
      const missing = uncovered(e.physical, e.physical + e.length, used.ranges);
      if (missing > 0) outside.push(`${rel}: ${missing} of ${e.length} bytes at ${e.physical}`);
    }
  }
  t.deepEqual(outside, []);
  t.true(extents > 30, `${extents} extents checked`);
  // The 6 MiB deleted left a hole inside a data chunk: used space is less than the chunks.
  const total = usedBytes(used.ranges);
  t.true(total < used.sizeBytes - 20 * MiB, `${total} of ${used.sizeBytes} bytes used`);
});

btrfsTest('btrfs used space per chunk when the extent tree prints too much: holds every extent, and grows by a chunk when data outgrows the old ones', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'first.bin': 4 * MiB });
  await commit(lab);
  const { context, logs, calls } = watchedContext({ extentTreeMaxBytes: 2000 });
  const before = await mapper.usedSpace!(usedRequest(lab), context);
  if (!before.available) return t.fail(before.reason);
  t.is(before.granularity, 'chunk');
  t.deepEqual(rangeShapeProblems(before.ranges, before.sizeBytes), []);
  t.deepEqual(calls.map((c) => c.slice(3, -1)), [['-e'], ['-t', 'dev']], 'the extent tree first, then the device tree alone');
  t.regex(logs.join('\n'), /prints more than 2000 bytes: used space per chunk instead/);

  const chunksBefore = await readBtrfsChunks(lab.loop!);
  await lab.writeFiles({ 'second.bin': 40 * MiB });
  await commit(lab);
  const after = await usedOf(t, lab, { extentTreeMaxBytes: 2000 });
  const chunksAfter = await readBtrfsChunks(lab.loop!);
  const added = chunksAfter.filter((c) => !chunksBefore.some((old) => old.logical === c.logical));
  t.true(added.some((c) => c.type.startsWith('DATA')), 'a new data chunk');
  t.true(usedBytes(after.ranges) - usedBytes(before.ranges) >= 32 * MiB, 'used space grew by whole chunks');
  for (const chunk of added) t.is(uncovered(chunk.physical, chunk.physical + chunk.length, after.ranges), 0, `new chunk at ${chunk.physical} is used`);
  const files = await extentRanges(t, lab, ['first.bin', 'second.bin']);
  for (const [rel, extents] of files) t.is(notIn(extents, after.ranges), 0, `${rel} lies in used chunks`);
});

btrfsTest('btrfs used space: a wrong device, no btrfs, an unmounted btrfs, another filesystem type and a missing tool are refused with the reason', async (t) => {
  const lab = await Lab.create('btrfs');
  const other = await Lab.create('btrfs');
  t.teardown(async () => {
    await lab.dispose();
    await other.dispose();
  });
  const { context } = watchedContext();
  const refused = async (extra: Partial<UsedSpaceRequest>, reason: RegExp, runner?: CommandRunner) => {
    const result = await mapper.usedSpace!(usedRequest(lab, extra), runner ? { ...context, run: runner } : context);
    t.false(result.available, JSON.stringify(extra));
    if (!result.available) t.regex(result.reason, reason);
    return result;
  };
  await refused({ device: other.loop! }, /which is not mounted here|is not the device mounted at/);
  await refused({ device: '/dev/null' }, /no btrfs superblock on \/dev\/null/);
  await refused({ device: lab.path('nothing-here') }, /cannot read the btrfs superblock .*ENOENT/);
  await refused({ fsType: 'ext4' }, /is ext4, not btrfs/);
  await other.unmount();
  await refused({ device: other.img }, /which is not mounted/);
  const real = context.run;
  const withoutBtrfs: CommandRunner = (command, args, options) => real(command === 'btrfs' ? 'btrfs-not-installed-here' : command, args, options);
  const missing = await refused({}, /^btrfs cannot be started \(ENOENT\)/, withoutBtrfs);
  t.like(missing, { needs: 'btrfs' });
});

btrfsTest('btrfs used space: a dump that read a block overwritten meanwhile is read again, and refused if it stays bad', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  const { context } = watchedContext();
  let dumps = 0;
  // The real dump-tree, with what it prints on stderr when a commit overwrote a block it read.
  const overwritten = (times: number): CommandRunner => async (command, args, options) => {
    const output = await context.run(command, args, options);
    return ++dumps <= times ? { ...output, stderr: 'parent transid verify failed on 30408704 wanted 9 found 7\n' } : output;
  };
  const once = await mapper.usedSpace!(usedRequest(lab), { ...context, run: overwritten(1) });
  t.true(once.available);
  t.is(dumps, 2);
  dumps = 0;
  const always = await mapper.usedSpace!(usedRequest(lab), { ...context, run: overwritten(99) });
  t.false(always.available);
  if (!always.available) t.regex(always.reason, /could not read every tree block: parent transid verify failed/);
});

labTest([...fsNeeds('btrfs'), 'setpriv'])('btrfs used space as a user who may not read the device: unavailable, needs root', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  const { stdout } = await promisify(execFile)(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--import=tsx', 'plugins/btrfs/test/used-space-cli.ts', lab.loop!, lab.mnt],
    { cwd: new URL('../../..', import.meta.url).pathname, env: { ...process.env, HOME: '/nonexistent' } },
  );
  const { uid, result } = JSON.parse(stdout) as { uid: number; result: UsedSpaceResult };
  t.not(uid, 0);
  t.like(result, { available: false, needs: 'root' });
  if (!result.available) t.regex(result.reason, /cannot read the btrfs superblock on .*EACCES/);
});

btrfsTest('btrfs used space: an aborted request rejects', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await t.throwsAsync(mapper.usedSpace!(usedRequest(lab, { signal: AbortSignal.abort() }), watchedContext().context), { any: true, name: 'AbortError' });
});
