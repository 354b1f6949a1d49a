// Which clusters a FAT12/16/32 volume has allocated: every cluster whose FAT entry is not 0
// (free). Chain links, end marks, bad marks (0x…FF7) and reserved values all count as used: a
// bad cluster holds no free space either. Pure: tested on a recorded image against fsck.fat.
import type { FatType } from './boot.js';
import type { ClusterRun } from './chain.js';
import { allocatedRuns } from './ranges.js';

/** Byte offset of the entry of the cluster at `index` from the first one read, and its width in bytes to read. */
function entryAt(type: FatType, index: number): number {
  if (type === 'FAT12') return index + (index >> 1); // 12 bits packed in pairs: 3 bytes per 2 entries
  return type === 'FAT16' ? index * 2 : index * 4;
}

/** FAT bytes holding the entries of `count` clusters from an even-numbered one. */
export function fatBytesFor(type: FatType, count: number): number {
  return count === 0 ? 0 : entryAt(type, count - 1) + (type === 'FAT32' ? 4 : 2);
}

/** Byte offset of cluster `cluster`'s entry in the FAT; `cluster` is even for FAT12 (a pair starts there). */
export function fatOffsetOf(type: FatType, cluster: number): number {
  if (type === 'FAT12' && cluster % 2 !== 0) throw new Error(`FAT12 entries are read from even clusters, not ${cluster}`);
  return entryAt(type, cluster);
}

/**
 * Runs of allocated clusters among `count` clusters from `first`, whose entries start at byte 0
 * of `fat` (`fatBytesFor(type, count)` bytes). For FAT12 `first` must be even.
 */
export function fatAllocatedRuns(type: FatType, fat: Buffer, first: number, count: number): ClusterRun[] {
  if (fat.length < fatBytesFor(type, count)) throw new Error(`${fat.length} bytes of FAT hold fewer than ${count} entries`);
  if (type === 'FAT12') {
    if (first % 2 !== 0) throw new Error(`FAT12 entries are read from even clusters, not ${first}`);
    return allocatedRuns(count, first, (i) => {
      const pair = fat.readUInt16LE(i + (i >> 1));
      return (i & 1 ? pair >> 4 : pair & 0x0fff) !== 0;
    });
  }
  if (type === 'FAT16') return allocatedRuns(count, first, (i) => fat.readUInt16LE(i * 2) !== 0);
  // The top 4 bits of a FAT32 entry are reserved: an entry with only those set is free.
  return allocatedRuns(count, first, (i) => (fat.readUInt32LE(i * 4) & 0x0fffffff) !== 0);
}
