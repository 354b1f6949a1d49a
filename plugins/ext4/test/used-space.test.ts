// usedSpace on real ext4 images: the tests shared with xfs, and what only ext4 has: the dumpe2fs
// fallback, and statfs's free count to check the total against.
import test from 'ava';
import { chmod, mkdtemp, readFile, rm, statfs, unlink } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { CommandRunner, PluginContext } from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import { Lab, fsNeeds, labTest } from '../../../test/lab/index.js';
import plugin from '../index.js';
import { readManifest } from './fiemap-lab-tests.js';
import { asNobody, available, notInside, rangeProblems, registerUsedSpaceLabTests, usedBytes } from './used-space-lab-tests.js';

const manifest = readManifest(new URL('../plugin.json', import.meta.url));
const mapper = plugin.sectorMapper!;

registerUsedSpaceLabTests('ext4', plugin, manifest);

/** The same context, with the named programs not installed anywhere; `calls` lists what ran. */
function without(context: PluginContext, ...missing: string[]) {
  const calls: string[] = [];
  const run: CommandRunner = (command, args, options) => {
    calls.push(command);
    return context.run(missing.includes(command) ? `${command}-not-installed-here` : command, args, options);
  };
  return { context: { ...context, run }, calls };
}

labTest([...fsNeeds('ext4'), 'xfs_io', 'dumpe2fs'])('ext4: GETFSMAP, the block groups\' free lists (dumpe2fs, used without xfs_io) and statfs agree', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  await lab.randomTree(30, { seed: 5 });
  await lab.writeFiles({ 'big.bin': 20 << 20, 'gone.bin': 3 << 20 });
  // Freed a moment ago: dumpe2fs must see the blocks free as GETFSMAP does.
  await unlink(lab.path('gone.bin'));
  const context = createPluginContext(manifest, {}, () => undefined);
  const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: 'ext4' };
  const viaFsmap = available(await mapper.usedSpace!(request, context));
  const noXfsIo = without(context, 'xfs_io');
  const viaGroups = available(await mapper.usedSpace!(request, noXfsIo.context));
  t.deepEqual(noXfsIo.calls, ['xfs_io', 'dumpe2fs']);
  t.deepEqual(rangeProblems(viaGroups.ranges, viaGroups.sizeBytes), []);
  t.is(viaGroups.sizeBytes, viaFsmap.sizeBytes);
  // statfs's free count is the allocator's own, and this ext4 spans the whole device.
  const { bfree, bsize } = await statfs(lab.mnt);
  t.is(usedBytes(viaGroups.ranges), viaGroups.sizeBytes - bfree * bsize);
  // GETFSMAP also counts the blocks set aside for the next small files (at most
  // mb_group_prealloc blocks per CPU), which the on-disk bitmaps dumpe2fs reads do not.
  t.deepEqual(notInside(viaFsmap.ranges, viaGroups.ranges, 'dumpe2fs used'), []);
  const preallocBlocks = Number(await readFile(`/sys/fs/ext4/${basename(lab.loop!)}/mb_group_prealloc`, 'utf8'));
  const extra = usedBytes(viaFsmap.ranges) - usedBytes(viaGroups.ranges);
  t.true(extra <= preallocBlocks * bsize * cpus().length, `GETFSMAP counts ${extra} bytes more`);
  // An unmount hands the preallocations back: then both say exactly the same.
  await lab.unmount();
  await lab.mount();
  const remounted = { ...request, device: lab.loop! };
  t.deepEqual(available(await mapper.usedSpace!(remounted, context)), available(await mapper.usedSpace!(remounted, without(context, 'xfs_io').context)));
});

labTest([...fsNeeds('ext4'), 'setpriv'])('ext4: with neither tool, or without the privilege dumpe2fs needs, it says what is missing', async (t) => {
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const context = createPluginContext(manifest, {}, () => undefined);
  const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: 'ext4' };
  const neither = await mapper.usedSpace!(request, without(context, 'xfs_io', 'dumpe2fs').context);
  t.deepEqual(neither, {
    available: false,
    reason: 'xfs_io (xfsprogs) is not installed: the used space is read through it; dumpe2fs could not tell either: dumpe2fs (e2fsprogs) is not installed',
    needs: 'xfs_io',
  });
  // dumpe2fs reads the device node, which is root's (and the disk group's). The lab's temp dir
  // is 0700: opened up so that nobody fails on the device, not on the way to the mount point.
  await chmod(lab.dir, 0o755);
  const unprivileged = await mapper.usedSpace!(request, without(asNobody(context), 'xfs_io').context);
  t.false(unprivileged.available);
  if (!unprivileged.available) {
    // (xfs_io "missing" behind setpriv fails as setpriv's complaint, not as a spawn error.)
    t.regex(unprivileged.reason, /; dumpe2fs could not tell either: dumpe2fs cannot open \/dev\/loop\d+: dumpe2fs: Permission denied while trying to open/);
    t.is(unprivileged.needs, 'root');
  }
});

test('usedSpace: an aborted request rejects, and a mount point that is not there is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-ext4-used-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const context = createPluginContext(manifest, {}, () => undefined);
  const request = { device: '/dev/null', mountPoint: dir, fsType: 'ext4' };
  await t.throwsAsync(mapper.usedSpace!({ ...request, signal: AbortSignal.abort() }, context), { any: true, name: 'AbortError' });
  const missing = await mapper.usedSpace!({ ...request, mountPoint: join(dir, 'nothing') }, context);
  t.false(missing.available);
  if (!missing.available) t.regex(missing.reason, /cannot open the mount point .*ENOENT/);
});
