// The size of a block device without a process: sysfs gives it in 512-byte sectors, what
// `blockdev --getsize64` (BLKGETSIZE64) gives in bytes. stat() says 0 for a block device.
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** glibc's gnu_dev_major/gnu_dev_minor: the 64-bit dev_t split into its two numbers. */
export function majorMinor(rdev: number): string {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** Bytes of the device (a block device, or an image file), or null with the reason. */
export async function deviceSizeBytes(stats: Stats): Promise<{ bytes: number } | { reason: string }> {
  if (stats.isFile()) return { bytes: stats.size };
  if (!stats.isBlockDevice()) return { reason: 'not a block device' };
  const where = `/sys/dev/block/${majorMinor(stats.rdev)}/size`;
  try {
    const sectors = Number((await readFile(where, 'utf8')).trim());
    if (!Number.isSafeInteger(sectors * 512)) return { reason: `${where} says ${sectors} sectors` };
    return { bytes: sectors * 512 };
  } catch (error) {
    return { reason: `cannot read ${where}: ${(error as Error).message}` };
  }
}
