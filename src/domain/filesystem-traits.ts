/**
 * What a filesystem's metadata can prove. A same-mtime comparison is only evidence when the
 * filesystem would have moved the mtime for a later write, and "mtime restored by a tool" can
 * only be told from bitrot when the filesystem keeps a change time (ctime) nobody can set.
 */
export interface FilesystemTraits {
  /** False on FAT/exFAT and on FUSE filesystems that report ctime as a copy of mtime. */
  hasChangeTime: boolean;
  /**
   * Writes closer together than this may leave the same mtime. Linux stamps inodes from a coarse
   * clock (one jiffy, up to 10 ms), so even ext4's nanosecond fields are only that fine.
   */
  granularityNs: bigint;
  /**
   * False where inode numbers are made up per mount (FAT and exFAT drivers number files in the
   * order they are looked up), so an inode cannot pair a missing file with a new one.
   */
  stableInodes: boolean;
}

const MS = 1_000_000n;
const S = 1_000_000_000n;
const NATIVE: FilesystemTraits = { hasChangeTime: true, granularityNs: 20n * MS, stableInodes: true };
const FAT: FilesystemTraits = { hasChangeTime: false, granularityNs: 2n * S, stableInodes: false };

const BY_TYPE: Record<string, FilesystemTraits> = {
  vfat: FAT,
  msdos: FAT,
  fat: FAT,
  'fuse.fusefat': FAT,
  // exFAT stores 10 ms increments, but not every driver (exfat-fuse) keeps them: assume 2 s.
  exfat: FAT,
  ntfs: NATIVE,
  ntfs3: NATIVE,
  ext2: { hasChangeTime: true, granularityNs: 1n * S, stableInodes: true },
  ext3: NATIVE,
  ext4: NATIVE,
  xfs: NATIVE,
  btrfs: NATIVE,
  zfs: NATIVE,
  f2fs: NATIVE,
  tmpfs: NATIVE,
  nfs: NATIVE,
  nfs4: NATIVE,
  cifs: { hasChangeTime: true, granularityNs: 1n * S, stableInodes: true },
  smb3: { hasChangeTime: true, granularityNs: 1n * S, stableInodes: true },
};

/** Unknown FUSE filesystems (sshfs, rclone, smbnetfs) get the cautious default. */
const UNKNOWN_FUSE: FilesystemTraits = { hasChangeTime: false, granularityNs: 2n * S, stableInodes: false };

/**
 * `fsType` is the content type when known (blkid TYPE: ntfs, exfat, vfat), else the mount type
 * (fuseblk says only "some FUSE block filesystem").
 */
export function filesystemTraits(fsType: string | null | undefined): FilesystemTraits {
  if (!fsType) return UNKNOWN_FUSE;
  const t = fsType.toLowerCase();
  if (BY_TYPE[t]) return BY_TYPE[t];
  if (t.startsWith('fuse')) return UNKNOWN_FUSE;
  return NATIVE;
}
