// The raw device behind a FAT-family mount, opened and checked against the mount the same way
// for map and usedSpace requests. Shared with the exfat plugin (see both READMEs).
import { openSync, readFileSync, type Stats } from 'node:fs';
import { open, stat, statfs } from 'node:fs/promises';

// statfs f_type of every FUSE mount; anything else is a kernel driver (vfat, msdos, exfat).
const FUSE_SUPER_MAGIC = 0x65735546;

export type Unavailable = { available: false; reason: string; needs?: string };

export interface Mount {
  /** st_dev of the mount point, which every file to map must share. */
  dev: number;
  /**
   * Kernel drivers keep directory entries and the FAT in memory and write them back later, so
   * they are fsynced before the device is read. The FUSE drivers here write a file's entries when
   * it is closed (seen with fusefat and exfat-fuse): an fsync there would only cost time.
   */
  writesBack: boolean;
}

/** The device opened read-only, or why not; `readsFor` says what the raw reads are for. */
export function openDevice(device: string, readsFor: string): { fd: number } | Unavailable {
  try {
    return { fd: openSync(device, 'r') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        available: false,
        reason: `cannot read ${device} (${code}): ${readsFor} the raw device, which takes root or read access to the device`,
        needs: 'root',
      };
    }
    return { available: false, reason: `cannot open ${device}: ${(error as Error).message}` };
  }
}

/**
 * What the files to map must share, or why the device cannot be the one mounted there. Kernel
 * drivers and fuseblk (exfat-fuse) give files the device's own number; FUSE on a file name
 * (fusefat) gives an anonymous one (major 0), which says nothing either way.
 */
export async function inspectMount(device: string, mountPoint: string, deviceNumber: number | null): Promise<Mount | string> {
  let mount: Mount;
  try {
    const [stats, fs] = await Promise.all([stat(mountPoint), statfs(mountPoint)]);
    mount = { dev: stats.dev, writesBack: fs.type !== FUSE_SUPER_MAGIC };
  } catch (error) {
    return `cannot stat the mount point ${mountPoint}: ${(error as Error).message}`;
  }
  if (deviceNumber !== null && major(mount.dev) !== 0 && deviceNumber !== mount.dev) {
    return `${device} is not the device mounted at ${mountPoint}`;
  }
  return mount;
}

/**
 * Asks a kernel driver to write back what it holds. On a directory (the mount point) too: vfat's
 * and exfat's fsync write the block device's dirty buffers, where the FAT and bitmap live.
 * A failing fsync is not fatal: what the device holds is still read and checked.
 */
export async function flush(path: string): Promise<void> {
  const handle = await open(path, 'r');
  await handle
    .sync()
    .catch(() => undefined)
    .finally(() => handle.close());
}

/**
 * Bytes on the device: a block device's size from sysfs (fstat says 0 for those, and the
 * BLKGETSIZE64 ioctl is out of Node's reach), a regular file's (an image) from fstat.
 */
export function deviceSize(device: string, stats: Stats): number | string {
  if (stats.isFile()) return stats.size;
  if (!stats.isBlockDevice()) return `${device} is neither a block device nor an image file`;
  const sysfs = `/sys/dev/block/${major(stats.rdev)}:${minor(stats.rdev)}/size`;
  try {
    // sysfs counts 512-byte units whatever the device's sector size.
    return Number(readFileSync(sysfs, 'utf8').trim()) * 512;
  } catch (error) {
    return `cannot learn the size of ${device} from ${sysfs}: ${(error as Error).message}`;
  }
}

// glibc's encoding of dev_t: the major in bits 8-19 and 44-63, the minor in bits 0-7 and 20-43.
export function major(dev: number): number {
  const bits = BigInt(dev);
  return Number(((bits >> 8n) & 0xfffn) | ((bits >> 32n) & ~0xfffn));
}

export function minor(dev: number): number {
  const bits = BigInt(dev);
  return Number((bits & 0xffn) | ((bits >> 12n) & 0xffffff00n));
}
