// The FAT12/16/32 boot sector (BIOS Parameter Block, Microsoft's fatgen103), reduced to where
// things are. Pure: tested on recorded boot sectors.

export type FatType = 'FAT12' | 'FAT16' | 'FAT32';

export interface FatGeometry {
  type: FatType;
  bytesPerSector: number;
  clusterSize: number;
  /** Byte offset of the FAT in use (FAT32 can turn mirroring off and name another copy). */
  fatOffset: number;
  /** Byte offset of cluster 2, the first cluster of the data region. */
  heapOffset: number;
  /** Highest valid cluster number (clusters run from 2). */
  lastCluster: number;
  /** FAT12/16: the fixed root directory region; FAT32: the root directory's first cluster. */
  root: { offset: number; length: number } | { cluster: number };
}

const SECTOR_SIZES = new Set([512, 1024, 2048, 4096]);

/** Geometry from the first sector, or why this is not a FAT12/16/32 boot sector. */
export function parseFatBootSector(boot: Buffer): FatGeometry | { notFat: string } {
  if (boot.length < 512) return { notFat: `the boot sector is ${boot.length} bytes` };
  if (boot.readUInt16LE(510) !== 0xaa55) return { notFat: 'no boot sector signature (55 AA at byte 510)' };
  const oem = boot.toString('latin1', 3, 11);
  if (oem === 'EXFAT   ' || oem === 'NTFS    ') return { notFat: `it is ${oem.trim()}` };
  if (boot[0] !== 0xeb && boot[0] !== 0xe9) return { notFat: 'no jump instruction at byte 0' };
  const bytesPerSector = boot.readUInt16LE(11);
  const sectorsPerCluster = boot[13]!;
  const reservedSectors = boot.readUInt16LE(14);
  const fatCount = boot[16]!;
  const rootEntries = boot.readUInt16LE(17);
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32);
  const fatSize16 = boot.readUInt16LE(22);
  const fatSectors = fatSize16 || boot.readUInt32LE(36);
  if (!SECTOR_SIZES.has(bytesPerSector)) return { notFat: `${bytesPerSector} bytes per sector` };
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) {
    return { notFat: `${sectorsPerCluster} sectors per cluster` };
  }
  if (reservedSectors === 0 || fatCount === 0 || fatSectors === 0 || totalSectors === 0) {
    return { notFat: 'reserved sectors, FAT count, FAT size and volume size must all be non-zero' };
  }
  const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + fatCount * fatSectors + rootSectors;
  if (firstDataSector >= totalSectors) return { notFat: 'the FATs and root directory do not fit in the volume' };
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  // Like Linux: a zero 16-bit FAT size means the FAT32 layout; otherwise the cluster count
  // decides between FAT12 and FAT16 (fatgen103's thresholds).
  const type: FatType = fatSize16 === 0 ? 'FAT32' : clusterCount < 4085 ? 'FAT12' : 'FAT16';
  if (type === 'FAT32' && rootEntries !== 0) return { notFat: 'a FAT32 layout with a fixed root directory' };
  // A FAT holds entries for clusters 0 and 1 too; clusters past its end cannot be chained.
  const entriesInFat = Math.floor((fatSectors * bytesPerSector * 8) / { FAT12: 12, FAT16: 16, FAT32: 32 }[type]);
  const lastCluster = Math.min(clusterCount + 1, entriesInFat - 1);
  let activeFat = 0;
  if (type === 'FAT32') {
    const extFlags = boot.readUInt16LE(40);
    if (extFlags & 0x80) activeFat = extFlags & 0x0f;
    if (activeFat >= fatCount) return { notFat: `FAT ${activeFat} is named active, but there are ${fatCount}` };
  }
  return {
    type,
    bytesPerSector,
    clusterSize: bytesPerSector * sectorsPerCluster,
    fatOffset: (reservedSectors + activeFat * fatSectors) * bytesPerSector,
    heapOffset: firstDataSector * bytesPerSector,
    lastCluster,
    root:
      type === 'FAT32'
        ? { cluster: boot.readUInt32LE(44) }
        : { offset: (reservedSectors + fatCount * fatSectors) * bytesPerSector, length: rootEntries * 32 },
  };
}
