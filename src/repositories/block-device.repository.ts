/** The whole disk behind a partition, as smartctl wants it (/dev/sdb for /dev/sdb1). */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * sysfs puts a partition's directory inside its disk's: /sys/class/block/sdb1 → …/block/sdb/sdb1.
 * Anything that is not a partition (a disk, loop, md, dm) is its own answer; null when the path
 * is not a block device here.
 */
export function wholeDisk(devicePath: string | null): string | null {
  if (!devicePath?.startsWith('/dev/')) return null;
  try {
    if (!statSync(devicePath).isBlockDevice()) return null;
    const kname = basename(realpathSync(devicePath));
    const sys = `/sys/class/block/${kname}`;
    if (!existsSync(`${sys}/partition`)) return `/dev/${kname}`;
    return `/dev/${basename(dirname(realpathSync(sys)))}`;
  } catch {
    return null;
  }
}

/**
 * The SCSI layer's count of commands that ended in an I/O error for this disk (sd*, also SATA
 * through libata), from sysfs; null where the kernel keeps none (NVMe, virtio, loop).
 */
export function kernelIoErrors(disk: string | null): number | null {
  if (!disk?.startsWith('/dev/')) return null;
  try {
    const text = readFileSync(`/sys/block/${basename(realpathSync(disk))}/device/ioerr_cnt`, 'utf8').trim();
    const n = Number.parseInt(text, text.startsWith('0x') ? 16 : 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}
