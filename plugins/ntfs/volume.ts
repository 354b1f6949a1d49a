// What holds for a whole request, checked once: the device is NTFS, readable, and the one mounted
// at the mount point; and the settings and tool failures every ntfsinfo call shares.
import type { Stats } from 'node:fs';
import { open, stat, statfs } from 'node:fs/promises';
import type { MapRequest, MapResult, PluginContext } from '../../src/shared/plugin-api.js';
import { ntfsGeometry, type NtfsGeometry } from './boot-sector.js';

// statfs f_type of every FUSE mount; anything else here is a kernel driver (ntfs3, or the old ntfs).
const FUSE_SUPER_MAGIC = 0x65735546;

export interface Volume {
  clusterSize: number;
  geometry: NtfsGeometry;
  mountStat: Stats;
  deviceStat: Stats;
  /** ntfs3 keeps a file's runlist in memory and writes its MFT record at writeback; ntfs-3g writes it at once. */
  writesBack: boolean;
}

/** Checks what holds for the whole request once: the device is NTFS, readable, and the one mounted here. */
export async function openVolume(request: Pick<MapRequest, 'device' | 'mountPoint'>): Promise<Volume | Extract<MapResult, { available: false }>> {
  // The device first: a user who may not read it learns that it takes root, whatever the mount point says.
  let boot: Buffer;
  let deviceStat: Stats;
  try {
    const handle = await open(request.device, 'r');
    try {
      deviceStat = await handle.stat();
      boot = Buffer.alloc(512);
      await handle.read(boot, 0, 512, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = `cannot read ${request.device}: ${(error as Error).message}`;
    return code === 'EACCES' || code === 'EPERM' ? { available: false, reason, needs: 'root' } : { available: false, reason };
  }
  let mountStat: Stats;
  let writesBack: boolean;
  try {
    mountStat = await stat(request.mountPoint);
    writesBack = (await statfs(request.mountPoint)).type !== FUSE_SUPER_MAGIC;
  } catch (error) {
    return { available: false, reason: `cannot open the mount point ${request.mountPoint}: ${(error as Error).message}` };
  }
  const geometry = ntfsGeometry(boot);
  if (geometry === null) return { available: false, reason: `${request.device} does not hold an NTFS volume (no NTFS boot sector)` };
  // For a block device, the files' st_dev is the device's number (fuseblk and kernel drivers alike).
  if (deviceStat.isBlockDevice() && deviceStat.rdev !== mountStat.dev) {
    return { available: false, reason: `${request.device} is not the device mounted at ${request.mountPoint}` };
  }
  return { clusterSize: geometry.clusterSize, geometry, mountStat, deviceStat, writesBack };
}

export function setting(context: PluginContext, key: string, fallback: number): number {
  const value = context.config[key];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

export function isMissingTool(error: unknown): boolean {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  return code === 'ENOENT' || (typeof cause === 'object' && cause !== null && cause.code === 'ENOENT');
}
