// What the kernel says about a block device in /sys. Readable without root, present in
// containers that have no udev — except the SCSI VPD pages, which are root-only files.
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface SysfsFacts {
  kname: string;
  /** Where the device hangs in the device tree: `/sys/devices/pci…/usb2/…/block/sda`. */
  devicePath: string | null;
  /** Partition number when this is a partition; its disk is then parents[0]. */
  partition: number | null;
  /** The partition's disk, or a dm/md device's slaves. */
  parents: string[];
  rotational: boolean | null;
  removable: boolean | null;
  sizeBytes: number | null;
  model: string | null;
  vendor: string | null;
  serial: string | null;
  /** `naa.5000c500…`, `eui.0025…`, `t10.ATA …`: the kernel's world-wide id. */
  wwid: string | null;
  backingFile: string | null;
  /** An MMC card's kind from device/type: `SD`, `MMC` (eMMC), `SDIO`. */
  cardType: string | null;
  dmName: string | null;
  dmUuid: string | null;
  mdLevel: string | null;
  /** Serial from the SCSI VPD page 0x80 (root-only file); 'denied' when it exists but could not be read. */
  vpdSerial: string | 'denied' | null;
}

async function attr(path: string): Promise<string | null> {
  try {
    const value = (await readFile(path, 'utf8')).trim();
    return value === '' ? null : value;
  } catch {
    return null;
  }
}

async function entries(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return [];
  }
}

/** VPD page 0x80 (Unit Serial Number): a 4-byte header (page code, reserved, length) then ASCII. */
export function serialFromVpd80(page: Buffer): string | null {
  if (page.length < 4 || page[1] !== 0x80) return null;
  const length = page.readUInt16BE(2);
  const serial = page.subarray(4, 4 + length).toString('latin1').replace(/\0/g, '').trim();
  return serial === '' ? null : serial;
}

async function vpdSerial(deviceDir: string): Promise<string | 'denied' | null> {
  try {
    return serialFromVpd80(await readFile(join(deviceDir, 'vpd_pg80')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'denied' : null;
  }
}

/** The kernel name behind a `major:minor`, or null when sysfs has no such block device. */
export async function knameForDevno(devno: string, sysRoot = '/sys'): Promise<string | null> {
  try {
    return basename(await readlink(join(sysRoot, 'dev', 'block', devno)));
  } catch {
    return null;
  }
}

export async function readSysfs(kname: string, sysRoot = '/sys'): Promise<SysfsFacts | null> {
  const dir = join(sysRoot, 'class', 'block', kname);
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return null;
  }
  const partitionText = await attr(join(dir, 'partition'));
  const partition = partitionText !== null && /^\d+$/.test(partitionText) ? Number(partitionText) : null;
  const parents = partition !== null ? [basename(dirname(real))] : await entries(join(dir, 'slaves'));
  const device = join(dir, 'device');
  const [rotational, removable, size, model, vendor] = await Promise.all([
    attr(join(dir, 'queue', 'rotational')),
    attr(join(dir, 'removable')),
    attr(join(dir, 'size')),
    attr(join(device, 'model')),
    attr(join(device, 'vendor')),
  ]);
  const [serial, wwid, backingFile, type, dmName, dmUuid, mdLevel] = await Promise.all([
    // virtio-blk puts its serial on the disk, NVMe and MMC on the controller/card.
    attr(join(dir, 'serial')).then(async (s) => s ?? (await attr(join(device, 'serial')))),
    attr(join(dir, 'wwid')).then(async (w) => w ?? (await attr(join(device, 'wwid')))),
    attr(join(dir, 'loop', 'backing_file')),
    attr(join(device, 'type')),
    attr(join(dir, 'dm', 'name')),
    attr(join(dir, 'dm', 'uuid')),
    attr(join(dir, 'md', 'level')),
  ]);
  return {
    kname,
    devicePath: real,
    partition,
    parents,
    rotational: rotational === null ? null : rotational === '1',
    removable: removable === null ? null : removable === '1',
    // sysfs counts 512-byte sectors whatever the device's sector size.
    sizeBytes: size !== null && /^\d+$/.test(size) ? Number(size) * 512 : null,
    model,
    vendor,
    serial,
    wwid,
    backingFile,
    cardType: type !== null && /^[A-Za-z]+$/.test(type) ? type : null,
    dmName,
    dmUuid,
    mdLevel,
    vpdSerial: partition === null ? await vpdSerial(device) : null,
  };
}

/**
 * btrfs lists each mounted filesystem in /sys/fs/btrfs/<fsid>/devices/<kname>: the filesystem
 * UUID and all member devices, readable without root (blkid needs to open the device).
 */
export async function readBtrfsMembers(sysRoot = '/sys'): Promise<Map<string, string[]>> {
  const members = new Map<string, string[]>();
  const base = join(sysRoot, 'fs', 'btrfs');
  for (const fsid of await entries(base)) {
    if (!/^[0-9a-f-]{36}$/.test(fsid)) continue;
    members.set(fsid, await entries(join(base, fsid, 'devices')));
  }
  return members;
}
