// Where on the device NTFS has allocated clusters: the cluster bitmap ($Bitmap, MFT record 6).
// One ntfsinfo gives its runlist; its bytes are then read from the device here, in pieces.
// (Not `ntfscat -f DEV '$Bitmap'`: the bitmap is binary, and the plugin runner hands stdout back
// as UTF-8 text, which replaces invalid bytes. The tests compare the two.)
import { open } from 'node:fs/promises';
import type { PhysicalExtent, PluginContext, UsedSpaceRequest, UsedSpaceResult } from '../../src/shared/plugin-api.js';
import { ClusterRuns, clusterCount, usedRanges } from './bitmap.js';
import { deviceSizeBytes } from './device-size.js';
import { ntfsMapping, parseNtfsinfo } from './ntfsinfo.js';
import { isMissingTool, openVolume, setting } from './volume.js';

const BITMAP_RECORD = 6;
const PIECE_BYTES = 4 << 20;
const DEFAULT_TIMEOUT_MS = 60_000;

export async function ntfsUsedSpace(request: UsedSpaceRequest, context: PluginContext): Promise<UsedSpaceResult> {
  const { device, signal } = request;
  signal?.throwIfAborted();
  const volume = await openVolume(request);
  if ('available' in volume) return volume;
  const size = await deviceSizeBytes(volume.deviceStat);
  if ('reason' in size) return { available: false, reason: `cannot tell the size of ${device}: ${size.reason}` };
  const { clusterSize, geometry } = volume;

  // ntfs-3g writes the bitmap to the device as it allocates (checked: it reads the same mounted,
  // and after a remount); a kernel driver keeps it in memory until writeback.
  if (volume.writesBack) await flush(request, context);

  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await context.run('ntfsinfo', ['-f', '-t', '-v', '-i', String(BITMAP_RECORD), device], {
      signal,
      timeoutMs: setting(context, 'timeoutMs', DEFAULT_TIMEOUT_MS),
    }));
  } catch (error) {
    signal?.throwIfAborted();
    if (isMissingTool(error)) return { available: false, reason: 'ntfsinfo (ntfs-3g package) is not installed', needs: 'ntfsinfo' };
    return { available: false, reason: `ntfsinfo could not read the cluster bitmap's MFT record: ${(error as Error).message}` };
  }
  let extents: PhysicalExtent[];
  try {
    const inode = parseNtfsinfo(stdout, stderr);
    if (inode.mftRecord !== BITMAP_RECORD) throw new Error(`ntfsinfo dumped MFT record ${inode.mftRecord}, not ${BITMAP_RECORD}`);
    const mapping = ntfsMapping(inode, clusterSize);
    if ('error' in mapping) throw new Error(mapping.error);
    extents = mapping.extents;
  } catch (error) {
    return { available: false, reason: `the cluster bitmap ($Bitmap) of ${device} cannot be located: ${(error as Error).message}` };
  }

  const clusters = clusterCount(geometry.totalSectors, geometry.bytesPerSector, clusterSize);
  const bitmapBytes = extents.reduce((sum, e) => sum + e.length, 0);
  if (bitmapBytes * 8 < clusters) {
    return { available: false, reason: `the cluster bitmap of ${device} holds ${bitmapBytes * 8} bits for ${clusters} clusters` };
  }
  const runs = new ClusterRuns();
  try {
    const handle = await open(device, 'r');
    try {
      for (const extent of extents) {
        for (let done = 0; done < extent.length; done += PIECE_BYTES) {
          signal?.throwIfAborted();
          const piece = Buffer.alloc(Math.min(PIECE_BYTES, extent.length - done));
          const { bytesRead } = await handle.read(piece, 0, piece.length, extent.physical + done);
          if (bytesRead !== piece.length) throw new Error(`${device} ends inside the cluster bitmap, at ${extent.physical + done + bytesRead}`);
          runs.add(piece, (extent.logical + done) * 8, clusters);
        }
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    signal?.throwIfAborted();
    return { available: false, reason: `cannot read the cluster bitmap from ${device}: ${(error as Error).message}` };
  }
  const backup = geometry.totalSectors * geometry.bytesPerSector;
  const ranges = usedRanges(runs.finish(), clusterSize, { start: backup, end: backup + geometry.bytesPerSector }, size.bytes);
  return { available: true, sizeBytes: size.bytes, granularity: 'cluster', ranges };
}

/**
 * A kernel driver (ntfs3) writes the bitmap at writeback: syncfs(2) through `sync -f` writes it.
 * Not tested here: this kernel has no ntfs3. A failure only leaves the map behind by a while.
 */
async function flush(request: UsedSpaceRequest, context: PluginContext): Promise<void> {
  await context.run('sync', ['-f', request.mountPoint], { signal: request.signal }).catch((error: unknown) => {
    request.signal?.throwIfAborted();
    context.log(`sync -f ${request.mountPoint} failed, the cluster bitmap may be behind: ${(error as Error).message}`);
  });
}
