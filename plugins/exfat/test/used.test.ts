// Used space without root or a mount: the recorded image against what dump.exfat said about it,
// the Allocation Bitmap read contiguously, through its FAT chain (moved away on a fresh
// mkfs.exfat volume), or refused when its chain is broken, and the ways a request is refused.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, readSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { labTest } from '../../../test/lab/index.js';
import { DeviceReader } from '../../vfat/device.js';
import { usedBytes } from '../../vfat/ranges.js';
import { extentsOutside, rangeProblems, rangesOf, usedWith } from '../../vfat/test/check.js';
import { activeBitmap, bitmapAllocatedRuns } from '../bitmap.js';
import { parseExfatBootSector, type ExfatGeometry } from '../boot.js';
import plugin from '../index.js';
import { openExfatVolume } from '../volume.js';

const testdata = (name: string) => new URL(`../testdata/${name}`, import.meta.url);
const recorded = gunzipSync(readFileSync(testdata('exfat-fuse.img.gz')));
const geometry = parseExfatBootSector(recorded.subarray(0, 512)) as ExfatGeometry;

/** dump.exfat's statistics: "Total Clusters" and "Free Clusters". */
function dumpedClusters(output: string): { total: number; free: number } {
  const number = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN);
  return { total: number('Total Clusters'), free: number('Free Clusters') };
}

async function usedOfImage(image: Buffer, t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-exfat-used-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const device = join(dir, 'exfat.img');
  writeFileSync(device, image);
  return { dir, device, result: await usedWith(plugin, { device, mountPoint: dir, fsType: 'exfat' }) };
}

const clusterAt = (g: ExfatGeometry, cluster: number) => g.heapOffset + (cluster - 2) * g.clusterSize;
const setFat = (image: Buffer, cluster: number, value: number) => image.writeUInt32LE(value, geometry.fatOffset + cluster * 4);

test('the recorded image: the area before the heap and as many clusters as dump.exfat counted, holding every file', async (t) => {
  const { device, result } = await usedOfImage(recorded, t);
  t.deepEqual(rangeProblems(result, recorded.length), []);
  const dumped = dumpedClusters(readFileSync(testdata('exfat-fuse.dump.txt'), 'utf8'));
  t.is(dumped.total, geometry.lastCluster - 1);
  t.is(usedBytes(rangesOf(result)), geometry.heapOffset + (dumped.total - dumped.free) * geometry.clusterSize);
  const fd = openSync(device, 'r');
  try {
    const volume = openExfatVolume(new DeviceReader(fd));
    if ('notThisFilesystem' in volume) throw new Error(volume.notThisFilesystem);
    for (const line of readFileSync(testdata('exfat-fuse.sha256'), 'utf8').trim().split('\n')) {
      const located = volume.locate(line.slice(66).split('/'));
      if (located.found !== 'file') throw new Error(`${line.slice(66)}: ${JSON.stringify(located)}`);
      t.deepEqual(extentsOutside(located.extents, rangesOf(result)), [], line.slice(66));
    }
  } finally {
    closeSync(fd);
  }
});

test('bits, least significant first, are clusters; bits past the heap are ignored; the active bitmap is chosen', (t) => {
  t.deepEqual(bitmapAllocatedRuns(Buffer.from([0b1000_0110, 0b1111_1111]), 2, 12), [
    { first: 3, count: 2 },
    { first: 9, count: 5 },
  ]);
  t.throws(() => bitmapAllocatedRuns(Buffer.alloc(1), 2, 9), { message: /fewer than 9 bits/ });
  const first = { identifier: 0, firstCluster: 2, dataLength: 64 };
  const second = { identifier: 1, firstCluster: 3, dataLength: 64 };
  t.deepEqual(activeBitmap([first, second], 1, 512), { bitmap: second, bytes: 64 });
  t.deepEqual(activeBitmap([first], 1, 512), { missing: 'the root directory has no Allocation Bitmap entry for the second FAT, which is the active one' });
  t.deepEqual(activeBitmap([first], 0, 513), { missing: 'the Allocation Bitmap is 64 bytes, but 513 clusters need 65' });
});

test("a bitmap without a FAT chain is read as consecutive clusters; a looping chain is refused", async (t) => {
  const before = rangesOf((await usedOfImage(recorded, t)).result);
  const unchained = Buffer.from(recorded);
  setFat(unchained, 2, 0); // the bitmap's one cluster (dump.exfat: start cluster 2)
  t.deepEqual(rangesOf((await usedOfImage(unchained, t)).result), before);
  const looped = Buffer.from(recorded);
  setFat(looped, 2, 2);
  const { result } = await usedOfImage(looped, t);
  t.regex(result.available ? '' : result.reason, /^cannot tell the used space of .*: the Allocation Bitmap's clusters: broken cluster chain: it loops/);
});

labTest(['mkfs.exfat'])('a bitmap chained through the FAT is read through its chain, wherever its clusters are', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-exfat-used-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const device = join(dir, 'chained.img');
  writeFileSync(device, Buffer.alloc(0));
  truncateSync(device, 256 << 20);
  const made = spawnSync('mkfs.exfat', [device], { encoding: 'utf8' });
  t.is(made.status, 0, made.stderr);
  const used = async () => rangesOf(await usedWith(plugin, { device, mountPoint: dir, fsType: 'exfat' }));
  const fresh = await used();
  const fd = openSync(device, 'r+');
  try {
    const read = (at: number, length: number) => {
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, at);
      return bytes;
    };
    const write = (at: number, bytes: Buffer) => writeSync(fd, bytes, 0, bytes.length, at);
    const g = parseExfatBootSector(read(0, 512)) as ExfatGeometry;
    const fatEntry = (cluster: number, value: number) => write(g.fatOffset + cluster * 4, Buffer.from(new Uint32Array([value]).buffer));
    // 65024 clusters need 8128 bytes of bitmap: clusters 2 and 3. Move the second far away.
    t.is(g.clusterSize, 4096);
    t.is(read(g.fatOffset + 2 * 4, 4).readUInt32LE(0), 3, 'mkfs.exfat chains the bitmap');
    const far = 40_000;
    const first = read(clusterAt(g, 2), g.clusterSize);
    const second = read(clusterAt(g, 3), g.clusterSize);
    const bit = (cluster: number) => ({ byte: (cluster - 2) >> 3, mask: 1 << ((cluster - 2) & 7) });
    first[bit(3).byte]! &= ~bit(3).mask;
    second[bit(far).byte - g.clusterSize]! |= bit(far).mask;
    write(clusterAt(g, 2), first);
    write(clusterAt(g, far), second);
    write(clusterAt(g, 3), Buffer.alloc(g.clusterSize)); // read there, the bitmap's second half would be all free
    fatEntry(2, far);
    fatEntry(far, 0xffffffff);
    fatEntry(3, 0);
    t.deepEqual(await used(), [
      { start: 0, end: clusterAt(g, 3) },
      { start: clusterAt(g, 4), end: fresh[0]!.end },
      { start: clusterAt(g, far), end: clusterAt(g, far + 1) },
    ]);
  } finally {
    closeSync(fd);
  }
});

test('a device that is not exFAT, a FAT one, one that does not exist', async (t) => {
  const { dir, device: zeros, result } = await usedOfImage(Buffer.alloc(1 << 20), t);
  t.deepEqual(result, { available: false, reason: `${zeros} does not hold an exFAT filesystem: no boot sector signature (55 AA at byte 510)` });
  const fat12 = gunzipSync(readFileSync(new URL('../../vfat/testdata/fat12-mtools.img.gz', import.meta.url)));
  const { device: fat, result: fatResult } = await usedOfImage(fat12, t);
  t.deepEqual(fatResult, { available: false, reason: `${fat} does not hold an exFAT filesystem: the file system name is "mkfs.fat", not EXFAT` });
  const missing = await usedWith(plugin, { device: join(dir, 'nothing'), mountPoint: dir, fsType: 'exfat' });
  t.regex(missing.available ? '' : missing.reason, /^cannot open .*nothing: ENOENT/);
});

test('without read access to the device: unavailable, and it says root would do', async (t) => {
  const { dir, device } = await usedOfImage(recorded, t);
  chmodSync(device, 0o600);
  const request = { device, mountPoint: dir, fsType: 'exfat' };
  let result: unknown;
  if (process.getuid?.() === 0) {
    // Root reads anything, so the plugin runs once more as nobody, the way a non-root install would.
    const script = `const { default: plugin } = await import(${JSON.stringify(fileURLToPath(new URL('../index.ts', import.meta.url)))});
      process.stdout.write(JSON.stringify(await plugin.sectorMapper.usedSpace(${JSON.stringify(request)}, {})));`;
    const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    t.is(child.status, 0, child.stderr);
    result = JSON.parse(child.stdout);
  } else {
    chmodSync(device, 0o000);
    result = await usedWith(plugin, request);
  }
  t.deepEqual(result, {
    available: false,
    reason: `cannot read ${device} (EACCES): the used space is read from the raw device, which takes root or read access to the device`,
    needs: 'root',
  });
});
