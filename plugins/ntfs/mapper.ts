// The NTFS sector mapper: each file's runlist read by ntfsinfo from the device (read-only), by
// MFT record number. ntfsinfo dumps one inode per process, so files are mapped a few at a time
// (README: why not filefrag through ntfs-3g's FIBMAP).
import type { Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FileMapping, MapRequest, MapResult, PluginContext, SectorMapper } from '../../src/shared/plugin-api.js';
import { ntfsMapping, parseNtfsinfo } from './ntfsinfo.js';
import { ntfsUsedSpace } from './used-space.js';
import { isMissingTool, openVolume, setting, type Volume } from './volume.js';

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TIMEOUT_MS = 60_000;

class ToolMissing extends Error {}

export const ntfsMapper: SectorMapper = {
  async map(request: MapRequest, context: PluginContext): Promise<MapResult> {
    const volume = await openVolume(request);
    if ('available' in volume) return volume;
    try {
      const files = await inParallel(request.files, setting(context, 'concurrency', DEFAULT_CONCURRENCY), (path) =>
        mapOne(path, request, volume, context),
      );
      return { available: true, files };
    } catch (error) {
      if (error instanceof ToolMissing) return { available: false, reason: 'ntfsinfo (ntfs-3g package) is not installed', needs: 'ntfsinfo' };
      throw error;
    }
  },
  usedSpace: ntfsUsedSpace,
};

async function mapOne(path: string, request: MapRequest, volume: Volume, context: PluginContext): Promise<FileMapping> {
  request.signal?.throwIfAborted();
  const name = relative(request.mountPoint, resolve(path));
  if (!isAbsolute(path) || name === '' || name === '..' || name.startsWith(`..${sep}`) || isAbsolute(name)) {
    return { path, error: `not a file under the mount point ${request.mountPoint}` };
  }
  let info: Stats;
  try {
    info = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { path, error: code === 'ENOENT' ? 'no longer exists' : (error as Error).message };
  }
  if (info.isSymbolicLink()) return { path, error: 'is a symbolic link: map the file it points to instead' };
  if (!info.isFile()) return { path, error: 'not a regular file' };
  // The inode number is only an MFT record number of this volume if the file is on this volume.
  if (info.dev !== volume.mountStat.dev) return { path, error: `on another filesystem mounted below ${request.mountPoint}` };
  if (info.size === 0) return { path, extents: [], note: 'empty file' };
  if (volume.writesBack && !(await flushed(path))) return { path, error: 'no longer exists' };

  const mapping = await readRunlist(path, info, request, volume, context);
  // ntfsinfo on the freed MFT record of a file deleted meanwhile says only "No such file or directory".
  if ('error' in mapping && (await vanished(path))) return { path, error: 'no longer exists' };
  return mapping;
}

async function readRunlist(path: string, info: Stats, request: MapRequest, volume: Volume, context: PluginContext): Promise<FileMapping> {
  let output: { stdout: string; stderr: string };
  try {
    // -f: ntfs-3g holds the device open exclusively and ntfsinfo refuses it otherwise; ntfsinfo
    // mounts read-only whatever -f says, so it only reads. -i: ntfs-3g's st_ino is the MFT record number.
    output = await context.run('ntfsinfo', ['-f', '-t', '-v', '-i', String(info.ino), request.device], {
      signal: request.signal,
      timeoutMs: setting(context, 'timeoutMs', DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    if (isMissingTool(error)) throw new ToolMissing();
    return { path, error: `ntfsinfo failed: ${(error as Error).message}` };
  }
  try {
    const inode = parseNtfsinfo(output.stdout, output.stderr);
    if (inode.mftRecord !== info.ino) return { path, error: `ntfsinfo dumped MFT record ${inode.mftRecord}, not ${info.ino}` };
    // A file replaced or rewritten since lstat shows another size: its runlist would be someone else's.
    const size = inode.data?.dataSize;
    if (size != null && size !== info.size) return { path, error: `changed while being mapped (${info.size} bytes, the MFT record says ${size})` };
    return { path, ...ntfsMapping(inode, volume.clusterSize) };
  } catch (error) {
    return { path, error: (error as Error).message };
  }
}

/**
 * Makes a kernel driver write the file's MFT record to the device, where ntfsinfo reads it. Only
 * a vanished file is an answer here: if fsync fails otherwise, the size check after ntfsinfo
 * still catches a runlist that is behind the file.
 */
async function flushed(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r');
    await handle.sync().finally(() => handle.close());
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

async function vanished(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        // One failure ends the batch: the other workers start no more processes.
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
