// One map request against a FAT-family volume read straight from the device: open it once,
// resolve each file's path in the on-disk directories, and turn every problem with one file
// into that file's error. Shared with the exfat plugin (see both READMEs).
import { closeSync, fstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { FileMapping, MapRequest, MapResult, PhysicalExtent } from '../../src/shared/plugin-api.js';
import { DeviceReader } from './device.js';
import { flush, inspectMount, openDevice, type Mount } from './mount.js';

export type Located =
  | { found: 'file'; size: number; extents: PhysicalExtent[]; note?: string }
  | { found: 'directory' }
  /** `missing` is the path (inside the filesystem) of the first name that is not there. */
  | { found: 'nothing'; missing: string }
  | { found: 'broken'; error: string };

export interface Volume {
  /** The file at these path components (inside the filesystem), as the device describes it now. */
  locate(components: string[]): Located;
}

/** A volume of this filesystem on the device, or why the device holds something else. */
export type VolumeOpener = (device: DeviceReader) => Volume | { notThisFilesystem: string };

const YIELD_EVERY = 64;

export async function mapFromDevice(request: MapRequest, filesystem: string, openVolume: VolumeOpener): Promise<MapResult> {
  const opened = openDevice(request.device, 'mapping reads');
  if ('available' in opened) return opened;
  const { fd } = opened;
  try {
    const deviceStats = fstatSync(fd);
    const mount = await inspectMount(request.device, request.mountPoint, deviceStats.isBlockDevice() ? deviceStats.rdev : null);
    if (typeof mount === 'string') return { available: false, reason: mount };
    let volume: ReturnType<VolumeOpener>;
    try {
      volume = openVolume(new DeviceReader(fd));
    } catch (error) {
      return { available: false, reason: `cannot read ${filesystem} on ${request.device}: ${(error as Error).message}` };
    }
    if ('notThisFilesystem' in volume) {
      return { available: false, reason: `${request.device} does not hold ${filesystem}: ${volume.notThisFilesystem}` };
    }
    const files: FileMapping[] = [];
    for (const [i, path] of request.files.entries()) {
      // The reads are synchronous: give the event loop (and an abort) a turn now and then.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
      request.signal?.throwIfAborted();
      files.push(await mapOne(volume, request.mountPoint, mount, path));
    }
    return { available: true, files };
  } finally {
    closeSync(fd);
  }
}

async function mapOne(volume: Volume, mountPoint: string, mount: Mount, path: string): Promise<FileMapping> {
  const inside = relative(mountPoint, path);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return { path, error: `not a file under the mount point ${mountPoint}` };
  }
  let size: number;
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) return { path, error: 'not a regular file' };
    if (stats.dev !== mount.dev) return { path, error: `on another filesystem mounted below ${mountPoint}` };
    size = stats.size;
    if (mount.writesBack) await flush(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path, error: 'vanished: the file no longer exists' };
    return { path, error: `cannot stat the file: ${code ?? (error as Error).message}` };
  }
  let located: Located;
  try {
    located = volume.locate(inside.split(sep));
  } catch (error) {
    return { path, error: `reading the device failed: ${(error as Error).message}` };
  }
  switch (located.found) {
    case 'nothing':
      return {
        path,
        error:
          `"${located.missing}" is not in the directory on the device: the driver has not written it there yet ` +
          '(map after a sync or a remount), or the directory is damaged',
      };
    case 'directory':
      return { path, error: 'the device holds a directory under this name' };
    case 'broken':
      return { path, error: located.error };
    case 'file':
      if (located.size !== size) {
        return {
          path,
          error:
            `the directory on the device says ${located.size} bytes, the mount says ${size}: ` +
            'the driver has not written the newest state to the device yet (map after a sync or a remount)',
        };
      }
      return located.note === undefined ? { path, extents: located.extents } : { path, extents: located.extents, note: located.note };
  }
}
