// The NTFS boot sector, read to learn the cluster size and to make sure the device is NTFS at all:
// `fuseblk` is what mountinfo says for exFAT through exfat-fuse too. Pure: a recorded sector tests it.

/** Bytes per cluster from the first sector of an NTFS volume, or null when the sector is not NTFS. */
export function ntfsClusterSize(boot: Buffer): number | null {
  if (boot.length < 512 || boot.toString('latin1', 3, 11) !== 'NTFS    ') return null;
  if (boot.readUInt16LE(510) !== 0xaa55) return null;
  const bytesPerSector = boot.readUInt16LE(11);
  if (!isPowerOfTwo(bytesPerSector) || bytesPerSector < 256 || bytesPerSector > 4096) return null;
  // Values above 0x80 encode 2^(256 - v) sectors per cluster, for clusters of 128 KiB and up.
  const encoded = boot[13]!;
  const sectorsPerCluster = encoded > 0x80 ? 2 ** (256 - encoded) : encoded;
  if (!isPowerOfTwo(sectorsPerCluster)) return null;
  return bytesPerSector * sectorsPerCluster;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
