// usedSpace on real ntfs-3g volumes: the ranges must follow the data (a file written shows up, a
// file deleted goes away), equal the bitmap ntfscat reads, stay the same across a remount (ntfs-3g
// wrote it through), hold every extent map() gives, and be refused plainly where they cannot be had.
import type { ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import type { CommandRunner, DeviceRange, PluginContext, PluginManifest, UsedSpaceRequest, UsedSpaceResult } from '../../../src/shared/plugin-api.js';
import { Lab, fsNeeds, labTest, writeInterleaved } from '../../../test/lab/index.js';
import { ClusterRuns, clusterCount, usedRanges } from '../bitmap.js';
import { ntfsGeometry } from '../boot-sector.js';
import plugin from '../index.js';
import { blockdevSize, ntfscatBitmap, rangeShapeProblems, uncovered, usedBytes } from './used-helpers.js';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'plugin.json'), 'utf8')) as PluginManifest;
const mapper = plugin.sectorMapper!;
const ntfsTest = labTest(fsNeeds('ntfs'));
const MiB = 1 << 20;

const context = (): PluginContext => createPluginContext(manifest, {}, () => undefined);
const usedRequest = (lab: Lab, extra: Partial<UsedSpaceRequest> = {}): UsedSpaceRequest => ({ device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', ...extra });

async function usedOf(t: ExecutionContext, lab: Lab): Promise<Extract<UsedSpaceResult, { available: true }>> {
  const result = await mapper.usedSpace!(usedRequest(lab), context());
  if (!result.available) throw new Error(`usedSpace said unavailable: ${result.reason}`);
  t.is(result.granularity, 'cluster');
  t.deepEqual(rangeShapeProblems(result.ranges, result.sizeBytes), []);
  t.is(result.sizeBytes, await blockdevSize(lab.loop!));
  return result;
}

/** What the plugin must answer, from ntfscat's bitmap: the same parser, independent reading. */
async function fromNtfscat(lab: Lab, sizeBytes: number): Promise<DeviceRange[]> {
  const handle = await open(lab.loop!, 'r');
  const boot = Buffer.alloc(512);
  await handle.read(boot, 0, 512, 0).finally(() => handle.close());
  const geometry = ntfsGeometry(boot)!;
  const runs = new ClusterRuns();
  runs.add(await ntfscatBitmap(lab.loop!), 0, clusterCount(geometry.totalSectors, geometry.bytesPerSector, geometry.clusterSize));
  const backup = geometry.totalSectors * geometry.bytesPerSector;
  return usedRanges(runs.finish(), geometry.clusterSize, { start: backup, end: backup + geometry.bytesPerSector }, sizeBytes);
}

/** map()'s extents of each file, as device ranges; files with none (resident, empty) are left out. */
async function extentRanges(lab: Lab, rels: string[]): Promise<Map<string, DeviceRange[]>> {
  const result = await mapper.map({ device: lab.loop!, mountPoint: lab.mnt, fsType: 'fuseblk', files: rels.map((rel) => lab.path(rel)) }, context());
  if (!result.available) throw new Error(`map said unavailable: ${result.reason}`);
  const out = new Map<string, DeviceRange[]>();
  result.files.forEach((file, i) => {
    if ('error' in file) throw new Error(`${rels[i]}: ${file.error}`);
    if (file.extents.length > 0) out.set(rels[i]!, file.extents.map((e) => ({ start: e.physical, end: e.physical + e.length })));
  });
  return out;
}

const notIn = (extents: DeviceRange[], used: DeviceRange[]) => extents.reduce((sum, e) => sum + uncovered(e.start, e.end, used), 0);

ntfsTest('ntfs used space: metadata only when fresh, +20 MiB for a 20 MiB file, given back when deleted; ntfscat’s bitmap, mounted or not', async (t) => {
  // 256 MiB: 64 KiB clusters from the lab.
  const lab = await Lab.create('ntfs');
  t.teardown(() => lab.dispose());
  const fresh = await usedOf(t, lab);
  t.deepEqual(fresh.ranges, await fromNtfscat(lab, fresh.sizeBytes));
  // Boot sector and $MFT, $MFTMirr, $LogFile, the root index, $Bitmap… and the backup boot sector.
  t.true(usedBytes(fresh.ranges) < 4 * MiB, `fresh: ${usedBytes(fresh.ranges)} bytes used`);

  await lab.writeFiles({ 'big.bin': 20 * MiB });
  const written = await usedOf(t, lab);
  t.deepEqual(written.ranges, await fromNtfscat(lab, written.sizeBytes));
  const grown = usedBytes(written.ranges) - usedBytes(fresh.ranges);
  t.log(`fresh ${usedBytes(fresh.ranges)} B used; the 20 MiB file added ${grown} B`);
  // 320 clusters of data, and the first file made on the volume grows $MFT by one cluster
  // (`ntfscluster -c 3` names /$MFT/$DATA): 64 KiB here, never more than two clusters.
  t.true(grown >= 20 * MiB && grown <= 20 * MiB + 2 * 65536, `grew by ${grown} bytes`);
  const big = (await extentRanges(lab, ['big.bin'])).get('big.bin')!;
  t.is(notIn(big, written.ranges), 0, 'every extent of the file is in used space');
  t.is(notIn(big, fresh.ranges), 20 * MiB, 'none of it was used before');

  await unlink(lab.path('big.bin'));
  const deleted = await usedOf(t, lab);
  // $MFT does not shrink: exactly the data comes back.
  t.is(usedBytes(written.ranges) - usedBytes(deleted.ranges), 20 * MiB);
  t.is(notIn(big, deleted.ranges), 20 * MiB, 'the freed clusters are free again');

  // Read while mounted = read after ntfs-3g has let go of the volume: nothing was held back.
  await lab.unmount();
  await lab.mount();
  const remounted = await usedOf(t, lab);
  t.deepEqual(remounted.ranges, deleted.ranges);
});

ntfsTest('ntfs used space holds every extent of every file, on 4 KiB clusters where runs start and end inside bitmap bytes', async (t) => {
  const lab = await Lab.create('ntfs', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  writeInterleaved(lab, 'frag/a.bin', 'frag/b.bin', 600_000);
  const files: Record<string, Buffer> = { 'small.txt': Buffer.from('resident\n'), 'empty.txt': Buffer.alloc(0) };
  for (let i = 1; i <= 12; i++) files[`d${i % 3}/f${i}.bin`] = randomBytes(i * 7000);
  await lab.writeFiles(files);
  await lab.writeFiles({ 'gone.bin': 2 * MiB });
  await unlink(lab.path('gone.bin'));
  const sparse = await open(lab.path('sparse.bin'), 'w');
  await sparse.write(randomBytes(4096), 0, 4096, 0);
  await sparse.write(randomBytes(8192), 0, 8192, MiB);
  await sparse.close();

  const used = await usedOf(t, lab);
  t.deepEqual(used.ranges, await fromNtfscat(lab, used.sizeBytes));
  const rels = ['frag/a.bin', 'frag/b.bin', 'sparse.bin', ...Object.keys(files)];
  const extents = await extentRanges(lab, rels);
  t.true((extents.get('frag/a.bin')?.length ?? 0) > 10, 'the interleaved file is fragmented');
  const outside = [...extents].flatMap(([rel, ranges]) => ranges.filter((r) => uncovered(r.start, r.end, used.ranges) > 0).map((r) => `${rel}: ${JSON.stringify(r)}`));
  t.deepEqual(outside, []);
  t.is(extents.size, rels.length - 2, 'all but the resident and the empty file have extents');
  // The deleted 2 MiB and the rest of the volume are free: used space is not the whole device.
  t.true(usedBytes(used.ranges) < used.sizeBytes - 4 * MiB, `${usedBytes(used.ranges)} of ${used.sizeBytes} bytes used`);
});

labTest([...fsNeeds('ntfs'), ...fsNeeds('exfat')])('ntfs used space: another fuseblk filesystem, a device not mounted there, no ntfsinfo, a cut dump: unavailable with the reason', async (t) => {
  const [ntfs, exfat] = await Promise.all([Lab.create('ntfs', { sizeMiB: 16 }), Lab.create('exfat', { sizeMiB: 16 })]);
  t.teardown(() => Promise.all([ntfs.dispose(), exfat.dispose()]));
  const refused = async (request: UsedSpaceRequest, reason: RegExp, run?: CommandRunner) => {
    const base = context();
    const result = await mapper.usedSpace!(request, run ? { ...base, run } : base);
    t.false(result.available, JSON.stringify(request));
    if (!result.available) t.regex(result.reason, reason);
    return result;
  };
  await refused(usedRequest(exfat), /does not hold an NTFS volume/);
  await refused(usedRequest(ntfs, { mountPoint: exfat.mnt }), /is not the device mounted at/);
  await refused(usedRequest(ntfs, { device: '/dev/null' }), /does not hold an NTFS volume/);
  await refused(usedRequest(ntfs, { device: ntfs.path('nothing-here') }), /cannot read .*ENOENT/);
  const real = context().run;
  const missing = await refused(usedRequest(ntfs), /ntfsinfo \(ntfs-3g package\) is not installed/, (_command, args, options) => real('ntfsinfo-not-installed', args, options));
  t.like(missing, { needs: 'ntfsinfo' });
  // The real ntfsinfo, its output cut before the runlist ends.
  const cut: CommandRunner = async (command, args, options) => {
    const output = await real(command, args, options);
    return { ...output, stdout: output.stdout.slice(0, output.stdout.indexOf('Runlist:')) };
  };
  await refused(usedRequest(ntfs), /cluster bitmap \(\$Bitmap\) of .* cannot be located: .*cut short/, cut);
});

labTest([...fsNeeds('ntfs'), 'setpriv'])('ntfs used space as a user who may not read the device: unavailable, needs root', async (t) => {
  const lab = await Lab.create('ntfs', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  const { stdout } = await promisify(execFile)(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--import=tsx', 'plugins/ntfs/test/used-space-cli.ts', lab.loop!, lab.mnt],
    { cwd: join(import.meta.dirname, '..', '..', '..'), env: { ...process.env, HOME: '/nonexistent' } },
  );
  const { uid, result } = JSON.parse(stdout) as { uid: number; result: UsedSpaceResult };
  t.not(uid, 0);
  t.like(result, { available: false, needs: 'root' });
  if (!result.available) t.regex(result.reason, /cannot read .*EACCES/);
});

ntfsTest('ntfs used space: an aborted request rejects', async (t) => {
  const lab = await Lab.create('ntfs', { sizeMiB: 16 });
  t.teardown(() => lab.dispose());
  await t.throwsAsync(mapper.usedSpace!(usedRequest(lab, { signal: AbortSignal.abort() }), context()), { any: true, name: 'AbortError' });
});
