// The used space of an exFAT volume: everything before the cluster heap (the boot regions, the
// FATs) and every cluster set in the Allocation Bitmap, read once per request.
import type { DeviceRange } from '../../src/shared/plugin-api.js';
import { clustersFor, fileExtents, type ChainWalk } from '../vfat/chain.js';
import type { DeviceReader } from '../vfat/device.js';
import { RangeBuilder } from '../vfat/ranges.js';
import { breathe } from '../vfat/space.js';
import { activeBitmap, bitmapAllocatedRuns } from './bitmap.js';
import type { AllocationBitmapEntry } from './directory.js';
import { openExfatVolume, type ExfatVolume } from './volume.js';

// 4 MiB of bitmap (32 Mi clusters) at a time: a big volume's bitmap is never held whole.
const BYTES_PER_READ = 4 << 20;

type UsedSpace = DeviceRange[] | { notThisFilesystem: string } | { unreadable: string };

export async function readExfatUsedSpace(device: DeviceReader, signal: AbortSignal | undefined): Promise<UsedSpace> {
  const volume = openExfatVolume(device);
  if ('notThisFilesystem' in volume) return volume;
  const { geometry } = volume;
  if ('broken' in volume.allocationBitmaps) return { unreadable: `the root directory cannot be read: ${volume.allocationBitmaps.broken}` };
  const clusterCount = geometry.lastCluster - 1;
  const found = activeBitmap(volume.allocationBitmaps, geometry.activeFat, clusterCount);
  if ('missing' in found) return { unreadable: found.missing };
  const mapped = fileExtents(bitmapClusters(volume, found.bitmap), geometry, found.bytes);
  if ('broken' in mapped) return { unreadable: `the Allocation Bitmap's clusters: ${mapped.broken}` };
  const used = new RangeBuilder();
  // The main and backup boot regions, the FAT(s) and whatever alignment gap the formatter left.
  used.add(0, geometry.heapOffset);
  let cluster = 2;
  for (const piece of mapped.extents) {
    for (let done = 0; done < piece.length; done += BYTES_PER_READ) {
      const bits = device.read(piece.physical + done, Math.min(BYTES_PER_READ, piece.length - done));
      const count = Math.min(bits.length * 8, geometry.lastCluster - cluster + 1);
      used.addClusters(bitmapAllocatedRuns(bits, cluster, count), geometry);
      cluster += count;
      await breathe(signal);
    }
  }
  return used.ranges;
}

/**
 * The specification chains the bitmap's clusters in the FAT, and mkfs.exfat writes that chain;
 * the Linux driver reads them as consecutive from the first without asking the FAT. So a chain
 * is followed where there is one, and a first cluster whose FAT entry is free is taken to start a
 * contiguous run, as a NoFatChain file's would.
 */
function bitmapClusters(volume: ExfatVolume, bitmap: AllocationBitmapEntry): ChainWalk {
  const { lastCluster, clusterSize } = volume.geometry;
  const count = clustersFor(bitmap.dataLength, clusterSize);
  const last = bitmap.firstCluster + count - 1;
  if (bitmap.firstCluster < 2 || bitmap.firstCluster > lastCluster) return { broken: `it starts at cluster ${bitmap.firstCluster}, outside the heap` };
  if (volume.next(bitmap.firstCluster) !== 'free') return volume.chain(bitmap.firstCluster);
  if (last > lastCluster) return { broken: `its contiguous clusters ${bitmap.firstCluster}..${last} run past the heap (last cluster ${lastCluster})` };
  return { runs: [{ first: bitmap.firstCluster, count }], clusters: count };
}
