// usedSpace on real xfs images (the ext4 plugin's mapper, see ../index.ts), through the same lab
// tests as ext4, plus what differs on xfs: no fallback without xfs_io, and the reverse-mapping
// btree, which only CAP_SYS_ADMIN gets to read.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFilefrag } from '../../../src/shared/fiemap.js';
import type { CommandRunner } from '../../../src/shared/plugin-api.js';
import { createPluginContext } from '../../../src/plugin-host/context.js';
import { Lab, fsNeeds, labTest } from '../../../test/lab/index.js';
import { parseFsmap, usedFromFsmap } from '../../ext4/space-map.js';
import { readManifest } from '../../ext4/test/fiemap-lab-tests.js';
import { notInside, rangeProblems, registerUsedSpaceLabTests, usedBytes } from '../../ext4/test/used-space-lab-tests.js';
import plugin from '../index.js';

const manifest = readManifest(new URL('../plugin.json', import.meta.url));

registerUsedSpaceLabTests('xfs', plugin, manifest);

labTest(fsNeeds('xfs'))('xfs: without xfs_io there is no used space, and the reason says what to install', async (t) => {
  const lab = await Lab.create('xfs');
  t.teardown(() => lab.dispose());
  const context = createPluginContext(manifest, {}, () => undefined);
  const calls: string[] = [];
  const noXfsIo: CommandRunner = (command, args, options) => {
    calls.push(command);
    return context.run(command === 'xfs_io' ? 'xfs_io-not-installed-here' : command, args, options);
  };
  const result = await plugin.sectorMapper!.usedSpace!({ device: lab.loop!, mountPoint: lab.mnt, fsType: 'xfs' }, { ...context, run: noXfsIo });
  t.deepEqual(result, { available: false, reason: 'xfs_io (xfsprogs) is not installed: the used space is read through it', needs: 'xfs_io' });
  t.deepEqual(calls, ['xfs_io'], 'dumpe2fs is for ext2/3/4 only');
});

const recorded = (name: string) => readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
const device = (name: string) => {
  const [devno, size] = recorded(name).trim().split(' ');
  const [major, minor] = devno!.split(':').map(Number) as [number, number];
  return { major, minor, sizeBytes: Number(size) };
};

test('xfs recorded fsmap: every record of the device, none missing, and the big file in used space', (t) => {
  const { major, minor, sizeBytes } = device('fsmap-xfs.device');
  const records = parseFsmap(recorded('fsmap-xfs.txt'));
  // Without rmapbt xfs knows free space only: everything else is "unknown" (special_0:2).
  t.deepEqual([...new Set(records.map((r) => r.owner))].sort(), ['special_0:1', 'special_0:2']);
  const gaps = records.filter((r, i) => r.start !== (i === 0 ? 0 : records[i - 1]!.end));
  t.deepEqual(gaps, [], 'xfs reports every byte, what it cannot name as "unknown"');
  t.is(records.at(-1)!.end, sizeBytes);
  const used = usedFromFsmap(records, major, minor, sizeBytes);
  t.deepEqual(rangeProblems(used, sizeBytes), []);
  const big = parseFilefrag(recorded('fsmap-xfs-big.txt'), ['big.bin']).get('big.bin')!;
  t.deepEqual(notInside(used, big.extents, 'big.bin'), []);
  // A 64 MiB log and AG headers, the 20 MiB file, 550 small files in 4 KiB blocks, inode chunks.
  t.is(usedBytes(used), 91_140_096);
});

test('xfs recorded fsmap with rmapbt: root sees owners, nobody does not, both see the same used space', (t) => {
  const { major, minor, sizeBytes } = device('fsmap-xfs-rmap.device');
  const asRoot = parseFsmap(recorded('fsmap-xfs-rmap.txt'));
  const asNobody = parseFsmap(recorded('fsmap-xfs-rmap-nobody.txt'));
  // Root reads the reverse-mapping btree: inodes own their data, the log is special_88:2.
  t.true(asRoot.some((r) => /^inode_\d+_data$/.test(r.owner)));
  t.true(asRoot.some((r) => r.owner === 'special_88:2'));
  // Without CAP_SYS_ADMIN xfs answers from the free-space btree, as if it had no rmapbt.
  t.deepEqual([...new Set(asNobody.map((r) => r.owner))].sort(), ['special_0:1', 'special_0:2']);
  const used = usedFromFsmap(asRoot, major, minor, sizeBytes);
  t.deepEqual(usedFromFsmap(asNobody, major, minor, sizeBytes), used);
  t.deepEqual(rangeProblems(used, sizeBytes), []);
});
