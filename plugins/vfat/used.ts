// The used space of a FAT12/16/32 volume: everything before the data region, and every data
// cluster whose entry in the FAT in use is not free, read from the FAT once per request.
import type { DeviceRange } from '../../src/shared/plugin-api.js';
import { fatAllocatedRuns, fatBytesFor, fatOffsetOf } from './allocation.js';
import { parseFatBootSector } from './boot.js';
import type { DeviceReader } from './device.js';
import { RangeBuilder } from './ranges.js';
import { breathe } from './space.js';

// Even (FAT12 reads entries in pairs), and 4 MiB of FAT32 at a time: a 2 TB volume's FAT of
// hundreds of MiB is never held whole.
const CLUSTERS_PER_READ = 1 << 20;

export async function readFatUsedSpace(device: DeviceReader, signal: AbortSignal | undefined): Promise<DeviceRange[] | { notThisFilesystem: string }> {
  const geometry = parseFatBootSector(device.read(0, 512));
  if ('notFat' in geometry) return { notThisFilesystem: geometry.notFat };
  const used = new RangeBuilder();
  // Reserved sectors (boot sector, FSInfo, backup boot), every FAT copy and FAT12/16's fixed root.
  used.add(0, geometry.heapOffset);
  for (let first = 2; first <= geometry.lastCluster; first += CLUSTERS_PER_READ) {
    const count = Math.min(CLUSTERS_PER_READ, geometry.lastCluster - first + 1);
    const fat = device.read(geometry.fatOffset + fatOffsetOf(geometry.type, first), fatBytesFor(geometry.type, count));
    used.addClusters(fatAllocatedRuns(geometry.type, fat, first, count), geometry);
    await breathe(signal);
  }
  return used.ranges;
}
