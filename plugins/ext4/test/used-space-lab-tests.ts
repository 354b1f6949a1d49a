// usedSpace on a real filesystem, registered once per filesystem the shared mapper serves (ext4
// and xfs). Used space is checked against where the files really are (the mapper's own extents,
// themselves checked byte for byte) and against the block device, never against itself alone.
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, unlink } from 'node:fs/promises';
import type { BitarrPlugin, CommandRunner, DeviceRange, FileMapping, PhysicalExtent, PluginContext, PluginManifest, UsedSpaceResult } from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import { Lab, byteProblems, fsNeeds, hasExtents, labTest, run, writeInterleaved, type LabFs } from '../../../test/lab/index.js';

const MiB = 1 << 20;
// Beyond its 20 MiB of data blocks a 20 MiB file costs at most an extent-tree block (ext4: 1 KiB
// here, once it has more than 4 extents) or a bmbt block (xfs: 4 KiB, past ~9 extents), and a
// directory block if the root's fills up. Measured: 0 extra on both.
const SLACK = 256 * 1024;

export type Available = UsedSpaceResult & { available: true };

export function available(result: UsedSpaceResult): Available {
  if (!result.available) throw new Error(`usedSpace said unavailable: ${result.reason}${result.needs ? ` (needs ${result.needs})` : ''}`);
  return result;
}

/** What is wrong with ranges that must be sorted, merged (touching ones joined), non-empty integers within [0, size). */
export function rangeProblems(ranges: DeviceRange[], sizeBytes: number): string[] {
  const problems: string[] = [];
  ranges.forEach(({ start, end }, i) => {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start || end > sizeBytes) problems.push(`range ${i} [${start}, ${end}) is not within [0, ${sizeBytes})`);
    if (i > 0 && start <= ranges[i - 1]!.end) problems.push(`range ${i} [${start}, ${end}) does not come after range ${i - 1}, which ends at ${ranges[i - 1]!.end}`);
  });
  return problems;
}

export function usedBytes(ranges: DeviceRange[]): number {
  return ranges.reduce((sum, { start, end }) => sum + end - start, 0);
}

function rangeAt(ranges: DeviceRange[], offset: number): DeviceRange | undefined {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = ranges[middle]!;
    if (offset < range.start) high = middle - 1;
    else if (offset >= range.end) low = middle + 1;
    else return range;
  }
  return undefined;
}

/** The extents (of `label`) that are not wholly inside one of the merged ranges. */
export function notInside(ranges: DeviceRange[], extents: Pick<PhysicalExtent, 'physical' | 'length'>[], label: string): string[] {
  return extents
    .filter(({ physical, length }) => {
      const range = rangeAt(ranges, physical);
      return !range || physical + length > range.end;
    })
    .map(({ physical, length }) => `${label}: [${physical}, ${physical + length}) is not in used space`);
}

/** The extents that share any byte with the ranges. */
export function overlapping(ranges: DeviceRange[], extents: Pick<PhysicalExtent, 'physical' | 'length'>[], label: string): string[] {
  return extents
    .filter(({ physical, length }) => ranges.some((r) => r.start < physical + length && physical < r.end))
    .map(({ physical, length }) => `${label}: [${physical}, ${physical + length}) overlaps used space`);
}

export async function deviceBytes(device: string): Promise<number> {
  return Number((await run('blockdev', ['--getsize64', device])).stdout.trim());
}

/** The real runner, but every command run as `nobody` without capabilities or groups. */
export function asNobody(context: PluginContext): PluginContext {
  const real = context.run;
  const run: CommandRunner = (command, args, options) => real('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', command, ...args], options);
  return { ...context, run };
}

function extentsOf(mapping: FileMapping | undefined): PhysicalExtent[] {
  if (!hasExtents(mapping)) throw new Error(`not mapped: ${JSON.stringify(mapping)}`);
  return mapping.extents;
}

export function registerUsedSpaceLabTests(fs: LabFs, plugin: BitarrPlugin, manifest: PluginManifest): void {
  const labTestFs = labTest([...fsNeeds(fs), 'xfs_io', 'blockdev']);
  const mapper = plugin.sectorMapper!;
  const context = createPluginContext(manifest, {}, () => undefined);

  labTestFs(`${fs}: used space is metadata when fresh, grows by a 20 MiB file where the file is, and shrinks when it is deleted`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: fs };
    const fresh = available(await mapper.usedSpace!(request, context));
    t.is(fresh.sizeBytes, await deviceBytes(lab.loop!));
    t.is(fresh.granularity, 'block');
    t.deepEqual(rangeProblems(fresh.ranges, fresh.sizeBytes), []);
    // Journal/log, inode tables, bitmaps, superblocks: ext4 27 MiB of 256 (8 MiB journal),
    // xfs 64 MiB of 320 (a 64 MiB log).
    const freshBytes = usedBytes(fresh.ranges);
    t.true(freshBytes > 1 * MiB && freshBytes < 0.25 * fresh.sizeBytes, `${freshBytes} bytes used on a fresh ${fs}`);

    await lab.writeFiles({ 'big.bin': 20 * MiB });
    const mapped = await mapper.map({ ...request, files: [lab.path('big.bin')] }, context);
    if (!mapped.available) return t.fail(mapped.reason);
    const mapping = mapped.files[0];
    const extents = extentsOf(mapping);
    t.deepEqual(await byteProblems(lab.img, mapping as { path: string; extents: PhysicalExtent[] }, await readFile(lab.path('big.bin'))), []);
    const withBig = available(await mapper.usedSpace!(request, context));
    t.deepEqual(rangeProblems(withBig.ranges, withBig.sizeBytes), []);
    const growth = usedBytes(withBig.ranges) - freshBytes;
    t.true(growth >= 20 * MiB && growth <= 20 * MiB + SLACK, `used grew by ${growth} bytes`);
    t.deepEqual(notInside(withBig.ranges, extents, 'big.bin'), []);
    t.deepEqual(overlapping(fresh.ranges, extents, 'big.bin'), [], 'the file went where the fresh map said free');

    // No sync here: usedSpace's own syncfs commits the journal that frees ext4's blocks.
    await unlink(lab.path('big.bin'));
    const after = available(await mapper.usedSpace!(request, context));
    t.deepEqual(rangeProblems(after.ranges, after.sizeBytes), []);
    t.deepEqual(overlapping(after.ranges, extents, 'deleted big.bin'), []);
    const left = usedBytes(after.ranges) - freshBytes;
    t.true(left >= 0 && left <= SLACK, `${left} bytes more used than fresh after the delete`);
  });

  labTestFs(`${fs}: every extent of every mapped file lies in used space, delayed allocations included`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const rels = await lab.randomTree(40, { seed: 11 });
    // Big enough to run across ext4 block groups, where its GETFSMAP leaves allocated space out.
    await lab.writeFiles({ 'big.bin': 20 * MiB });
    // Never synced: only usedSpace's syncfs gives these a place before it reads the map.
    writeInterleaved(lab, 'frag/a.bin', 'frag/b.bin', 512 * 1024);
    const sparse = await open(lab.path('sparse.bin'), 'w');
    await sparse.write(randomBytes(8192), 0, 8192, 4 * MiB);
    await sparse.close();
    const all = [...rels, 'big.bin', 'frag/a.bin', 'frag/b.bin', 'sparse.bin'];

    const used = available(await mapper.usedSpace!({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs }, context));
    const mapped = await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: fs, files: all.map((rel) => lab.path(rel)) }, context);
    if (!mapped.available) return t.fail(mapped.reason);
    const problems: string[] = [];
    let extentCount = 0;
    for (const [i, mapping] of mapped.files.entries()) {
      const extents = extentsOf(mapping);
      extentCount += extents.length;
      problems.push(...notInside(used.ranges, extents, all[i]!));
    }
    t.deepEqual(problems, []);
    t.true(extentCount >= all.length, `${extentCount} extents checked`);
  });

  labTestFs(`${fs}: the wrong device, a missing mount point and an unreadable fsmap are refused with a reason`, async (t) => {
    const lab = await Lab.create(fs);
    const other = await Lab.create(fs);
    t.teardown(async () => {
      await other.dispose();
      await lab.dispose();
    });
    const wrong = await mapper.usedSpace!({ device: other.loop!, mountPoint: lab.mnt, fsType: fs }, context);
    t.false(wrong.available);
    if (!wrong.available) t.regex(wrong.reason, /is not the device mounted there/);
    const gone = await mapper.usedSpace!({ device: lab.loop!, mountPoint: `${lab.dir}/not-mounted-here`, fsType: fs }, context);
    t.false(gone.available);
    if (!gone.available) t.regex(gone.reason, /cannot open the mount point/);
    // xfs_io answering in a shape the parser does not know: no ranges made up from it.
    const garbled: CommandRunner = async (command, args, options) => {
      const out = await context.run(command, args, options);
      return command === 'xfs_io' ? { ...out, stdout: out.stdout.replace(/^(\d+),/m, '$1;') } : out;
    };
    const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: fs };
    const result = await mapper.usedSpace!(request, { ...context, run: garbled });
    if (fs === 'xfs') {
      t.false(result.available);
      if (!result.available) t.regex(result.reason, /xfs_io printed an fsmap it could not be read from: fsmap line 2/);
    } else {
      // ext4 has the block groups' free lists to fall back on, and they say the same.
      t.deepEqual(available(result), available(await mapper.usedSpace!(request, context)));
    }
  });

  labTestFs(`${fs}: a syncfs that fails (writeback errors) costs one more run, not the map`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    const calls: string[][] = [];
    // What xfs_io does when syncfs(2) fails: fsmap still runs, but the exit status is 1.
    const failingSync: CommandRunner = async (command, args, options) => {
      calls.push(args);
      if (args.includes('syncfs')) throw Object.assign(new Error('xfs_io failed (exit 1): syncfs: Input/output error'), { exitCode: 1, stderr: 'syncfs: Input/output error\n' });
      return context.run(command, args, options);
    };
    const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: fs };
    const result = available(await mapper.usedSpace!(request, { ...context, run: failingSync }));
    t.deepEqual(result, available(await mapper.usedSpace!(request, context)));
    t.deepEqual(calls, [['-r', '-c', 'syncfs', '-c', 'fsmap -m', lab.mnt], ['-r', '-c', 'fsmap -m', lab.mnt]]);
  });

  labTest([...fsNeeds(fs), 'xfs_io', 'setpriv'])(`${fs}: an unprivileged user gets the same used space as root`, async (t) => {
    const lab = await Lab.create(fs);
    t.teardown(() => lab.dispose());
    // The lab's temp dir is 0700: nobody could not even reach the mount point.
    await chmod(lab.dir, 0o755);
    await lab.writeFiles({ 'a.bin': 3 * MiB, 'dir/b.bin': 100_000 });
    const request = { device: lab.loop!, mountPoint: lab.mnt, fsType: fs };
    const byNobody = available(await mapper.usedSpace!(request, asNobody(context)));
    t.deepEqual(byNobody, available(await mapper.usedSpace!(request, context)));
  });
}
