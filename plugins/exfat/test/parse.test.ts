// Without root or a mount: an exFAT image that mkfs.exfat and exfat-fuse wrote (see
// testdata/make-exfat-image.sh), read as it was and after damage a disk could do to it.
import test from 'ava';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runsToExtents } from '../../vfat/chain.js';
import { DeviceReader } from '../../vfat/device.js';
import type { Located } from '../../vfat/request.js';
import { mapWith } from '../../vfat/test/check.js';
import { parseExfatBootSector } from '../boot.js';
import { entrySetChecksum, parseExfatDirectory } from '../directory.js';
import plugin from '../index.js';
import { ExfatVolume, openExfatVolume } from '../volume.js';

const testdata = (name: string) => new URL(name, import.meta.url);
const recorded = gunzipSync(readFileSync(testdata('../testdata/exfat-fuse.img.gz')));
const sums = readFileSync(testdata('../testdata/exfat-fuse.sha256'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => ({ sha256: line.slice(0, 64), path: line.slice(66) }));

async function withImage<T>(image: Buffer, work: (volume: ExfatVolume, device: DeviceReader) => T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-exfat-'));
  writeFileSync(join(dir, 'exfat.img'), image);
  const fd = openSync(join(dir, 'exfat.img'), 'r');
  try {
    const device = new DeviceReader(fd);
    const volume = openExfatVolume(device);
    if (!(volume instanceof ExfatVolume)) throw new Error(volume.notThisFilesystem);
    return work(volume, device);
  } finally {
    closeSync(fd);
    await rm(dir, { recursive: true });
  }
}

function bytesOf(image: Buffer, located: Located): Buffer {
  if (located.found !== 'file') throw new Error(`expected a file, got ${JSON.stringify(located)}`);
  return Buffer.concat(located.extents.map((e) => image.subarray(e.physical, e.physical + e.length)));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Where the entry set of the file named `name` starts in the image (names up to 15 units: one 0xC1 entry). */
function entrySetOffset(image: Buffer, name: string): number {
  const nameEntry = image.indexOf(Buffer.from(name, 'utf16le')) - 2;
  if (image[nameEntry] !== 0xc1 || image[nameEntry - 64] !== 0x85) throw new Error(`no entry set for ${name}`);
  return nameEntry - 64;
}

test('boot sector: geometry as dump.exfat reports it', (t) => {
  // dump.exfat: FAT offset 2048, heap offset 4096 (sectors of 512), 512 clusters of 4096 bytes, root at cluster 5.
  t.deepEqual(parseExfatBootSector(recorded.subarray(0, 512)), {
    bytesPerSector: 512,
    clusterSize: 4096,
    fatOffset: 2048 * 512,
    activeFat: 0,
    heapOffset: 4096 * 512,
    lastCluster: 513,
    rootCluster: 5,
  });
});

test('boot sectors that are not exFAT say why', (t) => {
  const fat32 = readFileSync(testdata('../../vfat/testdata/fat32-mkfs-256MiB.boot'));
  t.deepEqual(parseExfatBootSector(fat32), { notExfat: 'the file system name is "mkfs.fat", not EXFAT' });
  t.regex((parseExfatBootSector(Buffer.alloc(512)) as { notExfat: string }).notExfat, /no boot sector signature/);
  const mangled = Buffer.from(recorded.subarray(0, 512));
  mangled[108] = 13;
  t.deepEqual(parseExfatBootSector(mangled), { notExfat: 'BytesPerSectorShift 13 is outside 9..12' });
});

test('every recorded file: contiguous and chained, Unicode and long names, a directory past one cluster', async (t) => {
  await withImage(recorded, (volume, device) => {
    for (const { sha256: expected, path } of sums) t.is(sha256(bytesOf(recorded, volume.locate(path.split('/')))), expected, path);
    // Each kind of allocation the recording was made to hold is really in it.
    const rootWalk = volume.chain(volume.geometry.rootCluster);
    if ('broken' in rootWalk) throw new Error(rootWalk.broken);
    const rootBytes = Buffer.concat(runsToExtents(rootWalk.runs, volume.geometry, 1 << 20).map((e) => device.read(e.physical, e.length)));
    const root = new Map(parseExfatDirectory(rootBytes).entries.map((e) => [e.name, e]));
    t.like(root.get('contiguous.bin'), { noFatChain: true, damaged: null });
    t.like(root.get('frag-a.bin'), { noFatChain: false });
    t.like(root.get('many'), { noFatChain: false, dataLength: 3 * 4096 });
    const fragmented = volume.locate(['frag-a.bin']);
    t.true(fragmented.found === 'file' && fragmented.extents.length > 1);
  });
});

test('names compare through the volume up-case table, beyond ASCII', async (t) => {
  await withImage(recorded, (volume) => {
    t.is(volume.upCase?.[0xe9], 0xc9, 'é up-cases to É');
    t.is(volume.upCase?.[0xff], 0x178, 'ÿ up-cases to Ÿ');
    const snow = bytesOf(recorded, volume.locate(['Musik', 'Ünïcödé Ålbum', 'Snow ☃ – track.bin']));
    t.deepEqual(bytesOf(recorded, volume.locate(['MUSIK', 'üNÏCÖDÉ åLBUM', 'SNOW ☃ – TRACK.BIN'])), snow);
    t.is(volume.locate(['ÉMOJI 😀', 'SMILE.BIN']).found, 'file');
    t.deepEqual(volume.locate(['Musik', 'nope.bin']), { found: 'nothing', missing: 'Musik/nope.bin' });
    t.deepEqual(volume.locate(['contiguous.bin', 'below']), { found: 'nothing', missing: 'contiguous.bin' });
  });
});

test('an up-case table that fails its checksum is not trusted; ASCII still folds', async (t) => {
  const image = Buffer.from(recorded);
  image[2097152 + (3 - 2) * 4096 + 200]! ^= 0x01; // the table starts at cluster 3 (dump.exfat)
  await withImage(image, (volume) => {
    t.is(volume.upCase, null);
    t.is(volume.locate(['MUSIK', 'ünïcödé ålbum', 'SNOW ☃ – TRACK.BIN']).found, 'file');
  });
});

test('a damaged directory entry set is the file error, not a guess', async (t) => {
  const image = Buffer.from(recorded);
  image[entrySetOffset(image, 'contiguous.bin') + 8]! ^= 0x04; // a timestamp bit
  await withImage(image, (volume) => {
    const located = volume.locate(['contiguous.bin']);
    t.is(located.found, 'broken');
    t.regex(located.found === 'broken' ? located.error : '', /^contiguous\.bin: its directory entry set fails its checksum/);
    t.is(volume.locate(['frag-a.bin']).found, 'file', 'its neighbours are unaffected');
  });
});

test('bytes past ValidDataLength are not mapped, and the note says why', async (t) => {
  const image = Buffer.from(recorded);
  const set = entrySetOffset(image, 'contiguous.bin');
  image.writeBigUInt64LE(5000n, set + 32 + 8);
  image.writeUInt16LE(entrySetChecksum(image.subarray(set, set + 32 * (image[set + 1]! + 1))), set + 2);
  await withImage(image, (volume) => {
    const located = volume.locate(['contiguous.bin']);
    if (located.found !== 'file') throw new Error(JSON.stringify(located));
    t.is(located.size, 20000);
    t.is(located.extents.reduce((sum, e) => sum + e.length, 0), 5000);
    t.regex(located.note ?? '', /bytes 5000 to 20000 were never written/);
  });
});

test('a FAT chain that loops is a broken chain for that file alone', async (t) => {
  const image = Buffer.from(recorded);
  await withImage(recorded, (volume) => {
    const first = volume.locate(['frag-a.bin']);
    if (first.found !== 'file') throw new Error('frag-a.bin');
    const cluster = (first.extents[1]!.physical - volume.geometry.heapOffset) / volume.geometry.clusterSize + 2;
    image.writeUInt32LE(cluster, volume.geometry.fatOffset + cluster * 4); // its second cluster points at itself
  });
  await withImage(image, (volume) => {
    const located = volume.locate(['frag-a.bin']);
    t.regex(located.found === 'broken' ? located.error : '', /^broken cluster chain: it loops/);
    t.is(sha256(bytesOf(image, volume.locate(['frag-b.bin']))), sums.find((s) => s.path === 'frag-b.bin')!.sha256);
  });
});

test('the plugin refuses a device that holds no exFAT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bitarr-exfat-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const fat12 = join(dir, 'fat12.img');
  writeFileSync(fat12, gunzipSync(readFileSync(testdata('../../vfat/testdata/fat12-mtools.img.gz'))));
  const result = await mapWith(plugin, { device: fat12, mountPoint: dir, fsType: 'fuseblk', files: [join(dir, 'README.TXT')] });
  t.deepEqual(result, { available: false, reason: `${fat12} does not hold an exFAT filesystem: the file system name is "mkfs.fat", not EXFAT` });
});
