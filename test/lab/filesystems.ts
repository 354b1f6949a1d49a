// Everything that differs between the lab's filesystems lives here, so the Lab class can stay
// one code path with a few switches on "is it FUSE" and "how is it mapped".
import { closeSync, openSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { run } from './host.js';

export type LabFs = 'ext4' | 'xfs' | 'btrfs' | 'ntfs' | 'vfat' | 'exfat';

export const LAB_FILESYSTEMS: readonly LabFs[] = ['ext4', 'xfs', 'btrfs', 'ntfs', 'vfat', 'exfat'];

/** One piece of a file's data. Bytes; physical is the offset in the image file (== on the loop device). */
export interface Extent {
  logical: number;
  physical: number;
  length: number;
}

// The kernel here has no ntfs3/exfat/vfat drivers, and users' NAS boxes often mount these
// through FUSE too, so the lab uses the userspace drivers rather than skipping them.
const FUSE: ReadonlySet<LabFs> = new Set(['ntfs', 'vfat', 'exfat']);

export function isFuse(fs: LabFs): boolean {
  return FUSE.has(fs);
}

const TOOLS: Record<LabFs, string[]> = {
  ext4: ['mkfs.ext4', 'filefrag'],
  xfs: ['mkfs.xfs', 'filefrag'],
  btrfs: ['mkfs.btrfs', 'filefrag', 'btrfs'],
  ntfs: ['mkntfs', 'ntfs-3g', 'ntfsinfo', 'fuser'],
  vfat: ['mkfs.vfat', 'fusefat', 'fuser'],
  exfat: ['mkfs.exfat', 'mount.exfat-fuse', 'fuser'],
};

export function fsTools(fs: LabFs): string[] {
  return ['losetup', 'mount', 'umount', 'sync', ...TOOLS[fs]];
}

/** Everything hostCan() must find before a lab of this kind can be created. */
export function fsNeeds(fs: LabFs): string[] {
  const devices = ['/dev/loop-control', ...(isFuse(fs) ? ['/dev/fuse'] : [])];
  return ['root', ...devices, ...fsTools(fs)];
}

// mkfs.xfs refuses anything under 300 MB; every other filesystem is happy with 256 MiB, which
// holds randomTree(50) with room to spare.
export function defaultSizeMiB(fs: LabFs): number {
  return fs === 'xfs' ? 320 : 256;
}

// ntfs-3g starts every new file 4096 clusters past the previous one (NTFS_LCNALLOC_SKIP), so
// with 4 KiB clusters files land 16 MiB apart and three neighbours only appear after several
// wraps, with directory index blocks wedged between them. At <= 4096 clusters per volume the
// skip always wraps, and the allocator fills the largest free range front to back instead.
function ntfsClusterSize(sizeMiB: number): number {
  let size = 4096;
  while (size < 65536 && (sizeMiB * 1024 * 1024) / size > 4096) size *= 2;
  return size;
}

export async function makeFilesystem(fs: LabFs, img: string, sizeMiB: number): Promise<void> {
  if (fs === 'xfs' && sizeMiB < 300) throw new Error(`mkfs.xfs refuses images under 300 MB (asked for ${sizeMiB} MiB)`);
  closeSync(openSync(img, 'w'));
  await truncate(img, sizeMiB * 1024 * 1024);
  switch (fs) {
    case 'ext4':
      // Eager init: otherwise ext4lazyinit keeps writing inode tables after mount, behind our back.
      await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', img]);
      return;
    case 'xfs':
      await run('mkfs.xfs', ['-q', '-f', img]);
      return;
    case 'btrfs':
      await run('mkfs.btrfs', ['-q', '-f', img]);
      return;
    case 'ntfs':
      await run('mkntfs', ['-q', '-F', '-f', '-c', String(ntfsClusterSize(sizeMiB)), img]);
      return;
    case 'vfat':
      await run('mkfs.vfat', ['-F', '32', img]);
      return;
    case 'exfat':
      await run('mkfs.exfat', [img]);
      return;
  }
}

/** Mounts dev at mnt. The FUSE helpers fork a daemon, so their output goes to daemonLog. */
export async function mountDevice(fs: LabFs, dev: string, mnt: string, daemonLog: string): Promise<void> {
  switch (fs) {
    case 'ext4':
    case 'xfs':
    case 'btrfs':
      await run('mount', ['-t', fs, dev, mnt]);
      return;
    case 'ntfs':
      await run('ntfs-3g', [dev, mnt], { daemonLog });
      return;
    case 'exfat':
      await run('mount.exfat-fuse', [dev, mnt], { daemonLog });
      return;
    case 'vfat':
      // Without rw+ fusefat mounts read-only, whatever the image allows.
      await run('fusefat', ['-o', 'rw+', dev, mnt], { daemonLog });
      return;
  }
}
