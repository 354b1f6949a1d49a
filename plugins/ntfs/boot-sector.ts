// The NTFS boot sector, read to learn the cluster size and to make sure the device is NTFS at all:
// `fuseblk` is what mountinfo says for exFAT through exfat-fuse too. Pure: a recorded sector tests it.

export interface NtfsGeometry {
  bytesPerSector: number;
  clusterSize: number;
  /** Sectors of the volume. The backup boot sector lies in the sector right after them. */
  totalSectors: number;
}

/** Sector and cluster sizes and the volume's length from the first sector of an NTFS volume, or null when it is not NTFS. */
export function ntfsGeometry(boot: Buffer): NtfsGeometry | null {
  if (boot.length < 512 || boot.toString('latin1', 3, 11) !== 'NTFS    ') return null;
  if (boot.readUInt16LE(510) !== 0xaa55) return null;
  const bytesPerSector = boot.readUInt16LE(11);
  if (!isPowerOfTwo(bytesPerSector) || bytesPerSector < 256 || bytesPerSector > 4096) return null;
  // Values above 0x80 encode 2^(256 - v) sectors per cluster, for clusters of 128 KiB and up.
  const encoded = boot[13]!;
  const sectorsPerCluster = encoded > 0x80 ? 2 ** (256 - encoded) : encoded;
  if (!isPowerOfTwo(sectorsPerCluster)) return null;
  const totalSectors = boot.readBigUInt64LE(0x28);
  if (totalSectors === 0n || totalSectors * BigInt(bytesPerSector) > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { bytesPerSector, clusterSize: bytesPerSector * sectorsPerCluster, totalSectors: Number(totalSectors) };
}

/** Bytes per cluster from the first sector of an NTFS volume, or null when the sector is not NTFS. */
export function ntfsClusterSize(boot: Buffer): number | null {
  return ntfsGeometry(boot)?.clusterSize ?? null;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
