// The cluster bitmap, the boot sector and ntfsinfo's dump of $Bitmap's MFT record as recorded on
// real volumes (testdata/record-used.sh), without a disk.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterRuns, clusterCount, usedRanges } from '../bitmap.js';
import { ntfsClusterSize, ntfsGeometry } from '../boot-sector.js';
import { majorMinor } from '../device-size.js';
import { ntfsMapping, parseNtfsinfo } from '../ntfsinfo.js';

const testdata = join(import.meta.dirname, '..', 'testdata');
const bytes = (name: string): Buffer => readFileSync(join(testdata, name));
const MiB = 1 << 20;

function runsOf(bitmap: Buffer, limit: number, pieceBytes = bitmap.length) {
  const runs = new ClusterRuns();
  for (let at = 0; at < bitmap.length; at += pieceBytes) runs.add(bitmap.subarray(at, at + pieceBytes), at * 8, limit);
  return runs.finish();
}

test('boot sectors: cluster size, sector size and the volume length, one sector short of the device', (t) => {
  t.deepEqual(ntfsGeometry(bytes('used-64k-bootsector.bin')), { bytesPerSector: 512, clusterSize: 65536, totalSectors: 256 * 2048 - 1 });
  t.deepEqual(ntfsGeometry(bytes('used-4k-bootsector.bin')), { bytesPerSector: 512, clusterSize: 4096, totalSectors: 16 * 2048 - 1 });
  t.is(ntfsClusterSize(bytes('bootsector-64k.bin')), 65536);
  const noLength = Buffer.from(bytes('used-4k-bootsector.bin'));
  noLength.writeBigUInt64LE(0n, 0x28);
  t.is(ntfsGeometry(noLength), null);
  // A volume of 4095 whole clusters: the device's last 64 KiB hold only the backup boot sector.
  t.is(clusterCount(256 * 2048 - 1, 512, 65536), 4095);
});

test('$Bitmap is located by its MFT record: one cluster, 512 bytes long', (t) => {
  for (const [name, clusterSize, lcn] of [['used-64k', 65536, 0x204], ['used-4k', 4096, 0x207]] as const) {
    const inode = parseNtfsinfo(readFileSync(join(testdata, `${name}-inode6.stdout`), 'utf8'));
    t.is(inode.mftRecord, 6);
    t.deepEqual(ntfsMapping(inode, clusterSize), { extents: [{ logical: 0, physical: lcn * clusterSize, length: 512 }] });
    t.is(bytes(`${name}-bitmap.bin`).length, 512);
  }
});

test('64 KiB clusters: runs of set bits, a deleted file’s clusters free, the padding bit past the volume ignored', (t) => {
  const runs = runsOf(bytes('used-64k-bitmap.bin'), 4095);
  // Boot sector and friends; $MFT; $LogFile, $Bitmap… and the root index; then 2068..2115 where
  // the deleted 3 MiB were (48 clusters), and the 20 MiB file's 320 clusters. Bit 4095 is set
  // in the recording but lies past the volume's 4095 clusters.
  t.deepEqual(runs, [
    { start: 0, end: 4 },
    { start: 513, end: 524 },
    { start: 2047, end: 2068 },
    { start: 2116, end: 2436 },
  ]);
  const backup = { start: 256 * MiB - 512, end: 256 * MiB };
  const ranges = usedRanges(runs, 65536, backup, 256 * MiB);
  t.deepEqual(ranges.at(-1), backup);
  t.is(ranges.reduce((sum, r) => sum + r.end - r.start, 0), (4 + 11 + 21 + 320) * 65536 + 512);
});

test('4 KiB clusters: runs start and end inside bytes, and read piece by piece they are the same', (t) => {
  const bitmap = bytes('used-4k-bitmap.bin');
  const whole = runsOf(bitmap, 4095);
  // f1 … f5 of 5000 … 25000 bytes take 2, 3, 4, 5 and 7 clusters from 2560; f2 and f4 deleted.
  t.deepEqual(whole, [
    { start: 0, end: 3 },
    { start: 4, end: 23 },
    { start: 515, end: 617 },
    { start: 2047, end: 2562 },
    { start: 2565, end: 2569 },
    { start: 2574, end: 2581 },
  ]);
  for (const piece of [1, 3, 7, 64]) t.deepEqual(runsOf(bitmap, 4095, piece), whole, `pieces of ${piece} bytes`);
});

test('bits at and past the volume’s end are not clusters, and ranges are clipped to the device', (t) => {
  t.deepEqual(runsOf(Buffer.from([0xff, 0xff]), 5), [{ start: 0, end: 5 }]);
  t.deepEqual(runsOf(Buffer.from([0xff, 0xff]), 12), [{ start: 0, end: 12 }]);
  t.deepEqual(runsOf(Buffer.from([0x81, 0x01]), 16), [{ start: 0, end: 1 }, { start: 7, end: 9 }]);
  t.deepEqual(runsOf(Buffer.from([0, 0]), 16), []);
  // A last cluster that reaches past a device cut short, and a backup sector right after a run.
  t.deepEqual(usedRanges([{ start: 0, end: 2 }, { start: 3, end: 5 }], 4096, { start: 2 * 4096, end: 2 * 4096 + 512 }, 4 * 4096 + 100), [
    { start: 0, end: 2 * 4096 + 512 },
    { start: 3 * 4096, end: 4 * 4096 + 100 },
  ]);
});

test('device numbers split as glibc does, for sysfs', (t) => {
  t.is(majorMinor(0x702), '7:2');
  t.is(majorMinor((259 << 8) + 44 + (256 << 12)), '259:300');
});
