// FAT and exFAT have no FIEMAP under FUSE and no tool that prints a file's clusters, so their
// files are found by searching the raw image for their bytes. That only works for content that
// occurs once in the image, which random data does; repeated content is refused, not guessed.
import type { Extent } from './filesystems.js';

export interface ClusterGeometry {
  clusterSize: number;
  /** Image offset of the first cluster; every cluster starts at heapStart + k * clusterSize. */
  heapStart: number;
}

export function fatGeometry(boot: Buffer): ClusterGeometry {
  if (boot.readUInt16LE(510) !== 0xaa55) throw new Error('no FAT/exFAT boot sector signature');
  if (boot.toString('latin1', 3, 11) === 'EXFAT   ') {
    const sectorSize = 2 ** boot[108]!;
    return { clusterSize: sectorSize * 2 ** boot[109]!, heapStart: boot.readUInt32LE(88) * sectorSize };
  }
  const sectorSize = boot.readUInt16LE(11);
  const reserved = boot.readUInt16LE(14);
  const fatCount = boot[16]!;
  const rootDirSectors = Math.ceil((boot.readUInt16LE(17) * 32) / sectorSize); // 0 on FAT32
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  return {
    clusterSize: sectorSize * boot[13]!,
    heapStart: (reserved + fatCount * fatSectors + rootDirSectors) * sectorSize,
  };
}

// A hit only counts where that part of the file could be: at the same offset within a cluster.
function isPlausible(at: number, geo: ClusterGeometry, inCluster: number): boolean {
  return at >= geo.heapStart && (at - geo.heapStart) % geo.clusterSize === inCluster;
}

function searchAligned(image: Buffer, needle: Buffer, geo: ClusterGeometry, inCluster: number): number[] {
  const hits: number[] = [];
  for (let at = image.indexOf(needle); at >= 0 && hits.length < 2; at = image.indexOf(needle, at + 1)) {
    if (isPlausible(at, geo, inCluster)) hits.push(at);
  }
  return hits;
}

/**
 * Finds files' data in a raw FAT/exFAT image. Searching the whole image for every piece (and
 * again to prove it occurs once) costs ~100 ms a piece, so every step-aligned block of the
 * cluster heap is indexed once by its first 8 bytes; zero-prefixed pieces fall back to a search.
 */
export class ImageSearch {
  readonly #image: Buffer;
  readonly #geo: ClusterGeometry;
  readonly #step: number;
  readonly #byPrefix = new Map<bigint, number[]>();

  constructor(image: Buffer, geo: ClusterGeometry) {
    this.#image = image;
    this.#geo = geo;
    // Steps never straddle a cluster boundary, so fragmentation cannot hide one.
    this.#step = Math.min(4096, geo.clusterSize);
    for (let at = geo.heapStart; at + 8 <= image.length; at += this.#step) {
      const prefix = image.readBigUInt64LE(at);
      if (prefix === 0n) continue;
      const list = this.#byPrefix.get(prefix);
      if (list) list.push(at);
      else this.#byPrefix.set(prefix, [at]);
    }
  }

  #find(piece: Buffer, inCluster: number): number[] {
    const prefix = piece.length >= 8 ? piece.readBigUInt64LE(0) : 0n;
    if (prefix === 0n) return searchAligned(this.#image, piece, this.#geo, inCluster);
    return (this.#byPrefix.get(prefix) ?? []).filter(
      (at) => isPlausible(at, this.#geo, inCluster) && this.#image.subarray(at, at + piece.length).equals(piece),
    );
  }

  /** Extents of `data`, lengths rounded up to whole clusters like the other filesystems' maps. */
  locate(data: Buffer, what: string): Extent[] {
    const geo = this.#geo;
    const extents: Extent[] = [];
    let run: Extent | undefined;
    for (let offset = 0; offset < data.length; offset += this.#step) {
      const piece = data.subarray(offset, offset + this.#step);
      if (run) {
        const next = run.physical + run.length;
        if (this.#image.subarray(next, next + piece.length).equals(piece)) {
          run.length += piece.length;
          continue;
        }
        extents.push(run);
      }
      const hits = this.#find(piece, offset % geo.clusterSize);
      if (hits.length === 0) throw new Error(`${what}: bytes at offset ${offset} are not in the image (not flushed yet?)`);
      if (hits.length > 1) throw new Error(`${what}: bytes at offset ${offset} occur more than once in the image; use distinct content`);
      run = { logical: offset, physical: hits[0]!, length: piece.length };
    }
    if (run) {
      const usedInLastCluster = (run.physical + run.length - geo.heapStart) % geo.clusterSize;
      if (usedInLastCluster !== 0) run.length += geo.clusterSize - usedInLastCluster;
      extents.push(run);
    }
    return extents;
  }
}
