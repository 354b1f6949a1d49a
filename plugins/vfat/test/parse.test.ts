// Without root or a mount: recorded boot sectors, a FAT12 image that mtools wrote (Unicode long
// names, which fusefat refuses to create), and cluster chains broken in every way a FAT can be.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseFatBootSector } from '../boot.js';
import { followChain, type Link } from '../chain.js';
import { DeviceReader } from '../device.js';
import { parseFatDirectory, shortNameChecksum } from '../directory.js';
import { FatVolume, openFatVolume } from '../volume.js';
import plugin from '../index.js';
import { mapWith } from './check.js';

const testdata = (name: string) => new URL(`../testdata/${name}`, import.meta.url);
const fat12Image = gunzipSync(readFileSync(testdata('fat12-mtools.img.gz')));
const fat12Sums = readFileSync(testdata('fat12-mtools.sha256'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => ({ sha256: line.slice(0, 64), path: line.slice(66) }));

async function withImage<T>(image: Buffer, work: (path: string, volume: FatVolume) => T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-vfat-'));
  const path = join(dir, 'fat.img');
  writeFileSync(path, image);
  const fd = openSync(path, 'r');
  try {
    const volume = openFatVolume(new DeviceReader(fd));
    if (!(volume instanceof FatVolume)) throw new Error(volume.notThisFilesystem);
    return work(path, volume);
  } finally {
    closeSync(fd);
    await rm(dir, { recursive: true });
  }
}

function contentAt(image: Buffer, located: ReturnType<FatVolume['locate']>): Buffer {
  if (located.found !== 'file') throw new Error(`expected a file, got ${JSON.stringify(located)}`);
  return Buffer.concat(located.extents.map((e) => image.subarray(e.physical, e.physical + e.length)));
}

test('boot sectors: geometry as fsck.fat -v reports it, for FAT12, FAT16 and FAT32', (t) => {
  // The numbers on the right are fsck.fat 4.2's "-n -v" output for the same images.
  t.like(parseFatBootSector(fat12Image.subarray(0, 512)), {
    type: 'FAT12',
    clusterSize: 512,
    fatOffset: 512,
    heapOffset: 16896,
    lastCluster: 2847 + 1,
    root: { offset: 9728, length: 224 * 32 },
  });
  t.like(parseFatBootSector(readFileSync(testdata('fat16-mkfs-32MiB.boot'))), {
    type: 'FAT16',
    clusterSize: 2048,
    fatOffset: 2048,
    heapOffset: 83968,
    lastCluster: 16343 + 1,
    root: { offset: 67584, length: 512 * 32 },
  });
  t.like(parseFatBootSector(readFileSync(testdata('fat32-mkfs-256MiB.boot'))), {
    type: 'FAT32',
    clusterSize: 512,
    fatOffset: 16384,
    heapOffset: 4146176,
    lastCluster: 516190 + 1,
    root: { cluster: 2 },
  });
});

test('boot sectors that are not FAT say why', (t) => {
  const ntfs = parseFatBootSector(readFileSync(testdata('ntfs-mkntfs-16MiB.boot')));
  t.deepEqual(ntfs, { notFat: 'it is NTFS' });
  t.regex((parseFatBootSector(Buffer.alloc(512)) as { notFat: string }).notFat, /no boot sector signature/);
  const mangled = Buffer.from(readFileSync(testdata('fat32-mkfs-256MiB.boot')));
  mangled.writeUInt16LE(500, 11);
  t.deepEqual(parseFatBootSector(mangled), { notFat: '500 bytes per sector' });
});

test('FAT12 image from mtools: Unicode and multi-entry long names, a fragmented file, the bytes of each', async (t) => {
  await withImage(fat12Image, (_path, volume) => {
    for (const { sha256, path } of fat12Sums) {
      const bytes = contentAt(fat12Image, volume.locate(path.split('/')));
      t.is(createHash('sha256').update(bytes).digest('hex'), sha256, path);
    }
    const grown = volume.locate(['frag', 'grown.bin']);
    t.true(grown.found === 'file' && grown.extents.length === 2, 'grown.bin filled a hole and went on elsewhere');
  });
});

test('FAT12 names: case-insensitive, short 8.3 aliases, and what is not there', async (t) => {
  await withImage(fat12Image, (_path, volume) => {
    const snow = contentAt(fat12Image, volume.locate(['Musik', 'Ünïcödé Ålbum', 'Snow ☃ – track.bin']));
    t.deepEqual(contentAt(fat12Image, volume.locate(['MUSIK', 'üNÏCÖDÉ åLBUM', 'SNOW ☃ – TRACK.BIN'])), snow);
    t.deepEqual(contentAt(fat12Image, volume.locate(['musik', 'Ünïcödé Ålbum', 'SNOW_-~1.BIN'])), snow);
    t.deepEqual(contentAt(fat12Image, volume.locate(['readme.txt'])), contentAt(fat12Image, volume.locate(['README.TXT'])));
    t.deepEqual(volume.locate(['Musik', 'nope.bin']), { found: 'nothing', missing: 'Musik/nope.bin' });
    t.deepEqual(volume.locate(['README.TXT', 'below-a-file']), { found: 'nothing', missing: 'README.TXT' });
    t.deepEqual(volume.locate(['Musik']), { found: 'directory' });
    // fusefat shows the volume label as an empty file; it maps to no data, not to an error.
    t.deepEqual(volume.locate(['RECORDED']), { found: 'file', size: 0, extents: [] });
  });
});

test('a long name whose checksum no longer matches its short entry is dropped, as drivers do', (t) => {
  const rootBytes = Buffer.from(fat12Image.subarray(9728, 9728 + 224 * 32));
  const names = parseFatDirectory(rootBytes, false).map((e) => e.longName ?? e.shortName);
  t.true(names.includes('Musik'));
  const musik = rootBytes.indexOf(Buffer.from('MUSIK      ', 'latin1'));
  t.is(rootBytes[musik - 32 + 13], shortNameChecksum(rootBytes.subarray(musik, musik + 11)), 'the recorded LFN entry carries the checksum');
  rootBytes[musik - 32 + 13]! ^= 0x01;
  const after = parseFatDirectory(rootBytes, false).find((e) => e.shortName === 'MUSIK');
  t.is(after?.longName, null);
});

test('cluster chains: runs merged, and every way a chain breaks is named', (t) => {
  const fat = (links: Record<number, Link>) => (cluster: number) => links[cluster] ?? 'free';
  t.deepEqual(followChain(2, fat({ 2: 3, 3: 4, 4: 9, 9: 10, 10: 'end' }), 100), {
    runs: [
      { first: 2, count: 3 },
      { first: 9, count: 2 },
    ],
    clusters: 5,
  });
  t.regex(brokenReason(followChain(5, fat({ 5: 5 }), 100)), /loops/);
  t.regex(brokenReason(followChain(5, fat({ 5: 6, 6: 7, 7: 8, 8: 9, 9: 10, 10: 11, 11: 7 }), 100)), /loops/);
  const long: Record<number, Link> = {};
  for (let c = 2; c < 5000; c++) long[c] = c + 1;
  long[5000] = 1234;
  t.regex(brokenReason(followChain(2, fat(long), 10_000)), /loops/);
  t.regex(brokenReason(followChain(2, fat({ 2: 3 }), 100)), /cluster 3 \(number 2 of the chain\) is marked free/);
  t.regex(brokenReason(followChain(2, fat({ 2: 'bad' }), 100)), /marked bad/);
  t.regex(brokenReason(followChain(2, fat({ 2: 'reserved' }), 100)), /reserved value/);
  t.regex(brokenReason(followChain(2, fat({ 2: 101 }), 100)), /points to 101, outside the volume/);
  t.regex(brokenReason(followChain(1, fat({}), 100)), /starts at 1/);
});

function brokenReason(walk: ReturnType<typeof followChain>): string {
  if (!('broken' in walk)) throw new Error(`expected a broken chain, got ${JSON.stringify(walk)}`);
  return walk.broken;
}

test('the plugin refuses a device that holds no FAT, and one it cannot open', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-vfat-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const notFat = join(dir, 'zeros.img');
  writeFileSync(notFat, Buffer.alloc(1 << 20));
  const request = { mountPoint: dir, fsType: 'vfat', files: [join(dir, 'a')] };
  const zeros = await mapWith(plugin, { ...request, device: notFat });
  t.false(zeros.available);
  t.regex(zeros.available ? '' : zeros.reason, /does not hold a FAT12\/16\/32 filesystem: no boot sector signature/);
  const missing = await mapWith(plugin, { ...request, device: join(dir, 'no-such-device') });
  t.regex(missing.available ? '' : missing.reason, /cannot open .*no-such-device/);
});

test('without read access to the device: unavailable, and it says root would do', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-vfat-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const device = join(dir, 'fat.img');
  writeFileSync(device, fat12Image);
  chmodSync(device, 0o600);
  const request = { device, mountPoint: dir, fsType: 'vfat', files: [join(dir, 'README.TXT')] };
  let result: unknown;
  if (process.getuid?.() === 0) {
    // Root reads anything, so the plugin runs once more as nobody, the way a non-root install would.
    const script = `const { default: plugin } = await import(${JSON.stringify(fileURLToPath(new URL('../index.ts', import.meta.url)))});
      process.stdout.write(JSON.stringify(await plugin.sectorMapper.map(${JSON.stringify(request)}, {})));`;
    const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    t.is(child.status, 0, child.stderr);
    result = JSON.parse(child.stdout);
  } else {
    chmodSync(device, 0o000);
    result = await mapWith(plugin, request);
  }
  t.deepEqual(result, {
    available: false,
    reason: `cannot read ${device} (EACCES): mapping reads the raw device, which takes root or read access to the device`,
    needs: 'root',
  });
});

test('the request loop: names the device does not have yet, and sizes it has not caught up with', async (t) => {
  // A plain directory stands in for the mount, the recorded image for its device: as a FUSE
  // driver that has not written its newest state out yet would leave them.
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-vfat-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const device = join(dir, 'fat.img');
  writeFileSync(device, fat12Image);
  const mount = join(dir, 'mnt');
  mkdirSync(join(mount, 'frag'), { recursive: true });
  writeFileSync(join(mount, 'README.TXT'), Buffer.alloc(700));
  writeFileSync(join(mount, 'ghost.bin'), 'not written out yet');
  writeFileSync(join(mount, 'frag', 'grown.bin'), 'grown since');
  const files = ['README.TXT', 'ghost.bin', 'frag/grown.bin'].map((rel) => join(mount, rel));
  const result = await mapWith(plugin, { device, mountPoint: mount, fsType: 'vfat', files });
  t.true(result.available);
  const [readme, ghost, grown] = result.available ? result.files : [];
  const readmeExtents = (readme as { extents: { physical: number; length: number }[] }).extents;
  const readmeBytes = Buffer.concat(readmeExtents.map((e) => fat12Image.subarray(e.physical, e.physical + e.length)));
  t.is(createHash('sha256').update(readmeBytes).digest('hex'), fat12Sums.find((s) => s.path === 'README.TXT')!.sha256);
  t.regex((ghost as { error: string }).error, /^"ghost\.bin" is not in the directory on the device: the driver has not written it there yet/);
  t.regex((grown as { error: string }).error, /^the directory on the device says 6000 bytes, the mount says 11: the driver has not written/);
});
