// The block device behind a mount: is it the one the request names, and how large is it.
import { type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/**
 * The offsets are only worth something on the device that is really mounted here. A device node
 * that cannot be looked at (a container without /dev) is taken on trust.
 */
export async function deviceMismatch(device: string, mountStat: Stats): Promise<string | null> {
  let info: Stats;
  try {
    info = await stat(device);
  } catch {
    return null;
  }
  if (!info.isBlockDevice() || info.rdev === mountStat.dev) return null;
  return `${device} is not the device mounted there (the mount is on device ${major(mountStat.dev)}:${minor(mountStat.dev)})`;
}

/**
 * The size of device major:minor in bytes, from sysfs: readable by anyone, unlike the device node
 * (BLKGETSIZE64 needs it open). sysfs counts 512-byte sectors whatever the logical block size.
 */
export async function blockDeviceBytes(major: number, minor: number): Promise<number> {
  const text = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
  const sectors = Number(text.trim());
  if (!Number.isSafeInteger(sectors) || sectors <= 0) throw new Error(`/sys/dev/block/${major}:${minor}/size says ${JSON.stringify(text.trim())}`);
  return sectors * 512;
}

// Linux dev_t (new_encode_dev): minor's low 8 bits, then 12 bits of major, then the rest of minor.
export function major(dev: number): number {
  return Math.floor(dev / 0x100) & 0xfff;
}

export function minor(dev: number): number {
  return (dev & 0xff) | (Math.floor(dev / 0x1000) & 0xfff00);
}
