// One usedSpace request against a FAT-family volume read straight from the device: open it
// once, check it is the mounted one, let the filesystem's reader list its allocated ranges, and
// cut them at the device's end. Shared with the exfat plugin (see both READMEs).
import { closeSync, fstatSync } from 'node:fs';
import type { DeviceRange, UsedSpaceRequest, UsedSpaceResult } from '../../src/shared/plugin-api.js';
import { DeviceReader } from './device.js';
import { deviceSize, flush, inspectMount, openDevice } from './mount.js';
import { clipRanges } from './ranges.js';

/**
 * The volume's used ranges (sorted, merged, in device bytes), why the device holds something
 * else, or why its allocation cannot be read (damaged metadata).
 */
export type UsedSpaceReader = (
  device: DeviceReader,
  signal: AbortSignal | undefined,
) => Promise<DeviceRange[] | { notThisFilesystem: string } | { unreadable: string }>;

export async function usedSpaceFromDevice(request: UsedSpaceRequest, filesystem: string, readUsed: UsedSpaceReader): Promise<UsedSpaceResult> {
  const opened = openDevice(request.device, 'the used space is read from');
  if ('available' in opened) return opened;
  const { fd } = opened;
  try {
    const stats = fstatSync(fd);
    const sizeBytes = deviceSize(request.device, stats);
    if (typeof sizeBytes === 'string') return { available: false, reason: sizeBytes };
    const mount = await inspectMount(request.device, request.mountPoint, stats.isBlockDevice() ? stats.rdev : null);
    if (typeof mount === 'string') return { available: false, reason: mount };
    if (mount.writesBack) await flush(request.mountPoint);
    let used: Awaited<ReturnType<UsedSpaceReader>>;
    try {
      used = await readUsed(new DeviceReader(fd), request.signal);
    } catch (error) {
      if (request.signal?.aborted) throw error;
      return { available: false, reason: `cannot read ${filesystem} on ${request.device}: ${(error as Error).message}` };
    }
    if ('notThisFilesystem' in used) return { available: false, reason: `${request.device} does not hold ${filesystem}: ${used.notThisFilesystem}` };
    if ('unreadable' in used) return { available: false, reason: `cannot tell the used space of ${request.device}: ${used.unreadable}` };
    return { available: true, sizeBytes, granularity: 'cluster', ranges: clipRanges(used, sizeBytes) };
  } finally {
    closeSync(fd);
  }
}

/** Gives the event loop (and an abort) a turn between big synchronous reads. */
export async function breathe(signal: AbortSignal | undefined): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}
