// The exFAT Main Boot Sector (Microsoft's exFAT specification, section 3.1), reduced to where
// things are. Pure: tested on recorded boot sectors.

export interface ExfatGeometry {
  bytesPerSector: number;
  clusterSize: number;
  /** Byte offset of the FAT in use (TexFAT volumes may have made the second one active). */
  fatOffset: number;
  /** 0 or 1: which FAT, and which Allocation Bitmap, is in use. */
  activeFat: number;
  /** Byte offset of cluster 2, the first cluster of the heap. */
  heapOffset: number;
  /** Highest valid cluster number (clusters run from 2). */
  lastCluster: number;
  rootCluster: number;
}

/** Geometry from the first sector, or why this is not an exFAT boot sector. */
export function parseExfatBootSector(boot: Buffer): ExfatGeometry | { notExfat: string } {
  if (boot.length < 512) return { notExfat: `the boot sector is ${boot.length} bytes` };
  if (boot.readUInt16LE(510) !== 0xaa55) return { notExfat: 'no boot sector signature (55 AA at byte 510)' };
  const name = boot.toString('latin1', 3, 11);
  if (name !== 'EXFAT   ') return { notExfat: `the file system name is ${JSON.stringify(name.trim())}, not EXFAT` };
  // MustBeZero covers the old BPB, so a FAT driver can never take this for FAT.
  if (boot.subarray(11, 64).some((byte) => byte !== 0)) return { notExfat: 'bytes 11-63 are not zero' };
  const sectorShift = boot[108]!;
  const clusterShift = boot[109]!;
  const fatCount = boot[110]!;
  if (sectorShift < 9 || sectorShift > 12) return { notExfat: `BytesPerSectorShift ${sectorShift} is outside 9..12` };
  if (clusterShift > 25 - sectorShift) return { notExfat: `SectorsPerClusterShift ${clusterShift} makes clusters over 32 MiB` };
  if (fatCount !== 1 && fatCount !== 2) return { notExfat: `NumberOfFats is ${fatCount}` };
  const bytesPerSector = 2 ** sectorShift;
  const fatOffset = boot.readUInt32LE(80);
  const fatLength = boot.readUInt32LE(84);
  const heapSector = boot.readUInt32LE(88);
  const clusterCount = boot.readUInt32LE(92);
  const rootCluster = boot.readUInt32LE(96);
  const activeFat = boot.readUInt16LE(106) & 0x0001;
  if (activeFat >= fatCount) return { notExfat: 'the second FAT is named active, but there is one' };
  if (fatLength === 0 || heapSector === 0 || clusterCount === 0) return { notExfat: 'FatLength, ClusterHeapOffset and ClusterCount must be non-zero' };
  const lastCluster = clusterCount + 1;
  if (rootCluster < 2 || rootCluster > lastCluster) return { notExfat: `the root directory starts at cluster ${rootCluster}, outside the heap` };
  return {
    bytesPerSector,
    clusterSize: bytesPerSector * 2 ** clusterShift,
    fatOffset: (fatOffset + activeFat * fatLength) * bytesPerSector,
    activeFat,
    heapOffset: heapSector * bytesPerSector,
    lastCluster,
    rootCluster,
  };
}
