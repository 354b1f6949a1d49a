// Which clusters an exFAT volume has allocated: the Allocation Bitmap (specification section
// 7.1), one bit per heap cluster. The FAT cannot tell: a NoFatChain file's clusters keep free
// (or undefined) FAT entries. Pure: tested on a recorded image against dump.exfat.
import type { ClusterRun } from '../vfat/chain.js';
import { allocatedRuns } from '../vfat/ranges.js';
import type { AllocationBitmapEntry } from './directory.js';

/** Runs of set bits among the first `count` of `bitmap`: bit 0 of byte 0 is cluster `first`, bit 1 the next. */
export function bitmapAllocatedRuns(bitmap: Buffer, first: number, count: number): ClusterRun[] {
  if (bitmap.length * 8 < count) throw new Error(`${bitmap.length} bytes of bitmap hold fewer than ${count} bits`);
  return allocatedRuns(count, first, (i) => ((bitmap[i >> 3]! >> (i & 7)) & 1) === 1);
}

/**
 * The bitmap in use: the one whose BitmapIdentifier is the active FAT (a volume with two FATs has
 * two bitmaps, TexFAT switches between them), and long enough for every cluster of the heap.
 */
export function activeBitmap(
  entries: AllocationBitmapEntry[],
  activeFat: number,
  clusterCount: number,
): { bitmap: AllocationBitmapEntry; bytes: number } | { missing: string } {
  const bitmap = entries.find((entry) => entry.identifier === activeFat);
  if (bitmap === undefined) {
    return { missing: `the root directory has no Allocation Bitmap entry${activeFat === 1 ? ' for the second FAT, which is the active one' : ''}` };
  }
  const bytes = Math.ceil(clusterCount / 8);
  if (bitmap.dataLength < bytes) return { missing: `the Allocation Bitmap is ${bitmap.dataLength} bytes, but ${clusterCount} clusters need ${bytes}` };
  return { bitmap, bytes };
}
